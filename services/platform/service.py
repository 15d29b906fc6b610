"""The platform service: nameko entrypoints only; the logic is in ``domain`` and ``audit``.

Each entrypoint makes one call with the worker's unit of work and commits it. Inputs are
validated there (``shared.contracts.platform``), errors are those of ``shared.errors``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import eventlet
import requests
from nameko.dependency_providers import Config
from nameko.rpc import rpc
from nameko.timer import timer

from services.platform import audit, handlers, registries, webhooks
from services.platform.models import Base
from shared.db import Database
from shared.messaging import Event, subscribe
from shared.service import ServiceBase

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
WEBHOOK_TIMEOUT_S = 5
WEBHOOK_BATCH = 20
WEBHOOK_CONCURRENCY = 10


def post_webhook(outgoing: webhooks.Outgoing) -> tuple[str, int | None, str | None]:
    """POST one delivery: ``(delivery_id, status code or None, error or None)``; never raises."""
    try:
        response = requests.post(
            outgoing.url,
            data=outgoing.body,
            headers=outgoing.headers(),
            timeout=WEBHOOK_TIMEOUT_S,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        return outgoing.delivery_id, None, f"{type(exc).__name__}: {exc}"
    error = None if response.ok else f"HTTP {response.status_code}: {response.text[:200]}"
    return outgoing.delivery_id, response.status_code, error


class PlatformService(ServiceBase):
    """Identity (residents, citizen cards, login tokens, API clients), the personal-data audit
    log, and the base registries (population, legal entities, housing)."""

    name = "platform"
    db = Database(Base, MIGRATIONS)
    config = Config()

    # --- residents and citizen cards -------------------------------------------------------

    @rpc
    def register_resident(self, payload: dict[str, Any]) -> dict[str, Any]:
        result = handlers.register_resident(self.db, payload)
        self.db.commit()
        return result

    @rpc
    def get_profile(self, card_number: str) -> dict[str, Any]:
        result = handlers.get_profile(self.db, card_number)
        self.db.commit()  # the audit entry of this read
        return result

    @rpc
    def verify_card(self, card_number: str) -> dict[str, Any]:
        return handlers.verify_card(self.db, card_number)

    @subscribe("*.card_linked")
    def record_card_link(self, event: Event) -> None:
        handlers.link_card_from_event(self.db, event)
        self.db.commit()

    # --- login sessions --------------------------------------------------------------------

    @rpc
    def issue_token(
        self, username: str, password: str, client_ip: str | None = None
    ) -> dict[str, Any]:
        result = handlers.issue_token(self.db, username, password, client_ip)
        self.db.commit()
        return result

    @rpc
    def refresh_token(self, token: str) -> dict[str, Any]:
        result = handlers.refresh_token(self.db, token)
        self.db.commit()
        return result

    @rpc
    def session_active(self, session_id: str) -> dict[str, Any]:
        return handlers.session_active(self.db, session_id)

    @rpc
    def revoke_refresh_token(self, token: str) -> dict[str, Any]:
        result = handlers.revoke_refresh_token(self.db, token)
        self.db.commit()
        return result

    # --- API clients -----------------------------------------------------------------------

    @rpc
    def create_client(
        self,
        name: str,
        role: str,
        department: str | None = None,
        scopes: list[str] | None = None,
        unit: str | None = None,
    ) -> dict[str, Any]:
        result = handlers.create_client(self.db, name, role, department, scopes, unit)
        self.db.commit()
        return result

    @rpc
    def authenticate_api_key(self, api_key: str) -> dict[str, Any]:
        return handlers.authenticate_api_key(self.db, api_key)

    @rpc
    def list_clients(self, limit: int = 50, offset: int = 0) -> dict[str, Any]:
        return handlers.list_clients(self.db, limit, offset)

    @rpc
    def revoke_client(self, client_id: str) -> dict[str, Any]:
        result = handlers.revoke_client(self.db, client_id)
        self.db.commit()
        return result

    # --- audit log -------------------------------------------------------------------------

    @subscribe("*.personal_data_accessed")
    def record_personal_data_access(self, event: Event) -> None:
        audit.append_from_event(self.db, event)
        self.db.commit()

    @rpc
    def append_audit(self, entry: dict[str, Any]) -> dict[str, Any]:
        result = audit.append_requested(self.db, entry)
        self.db.commit()
        return result

    @rpc
    def verify_audit_chain(self) -> dict[str, Any]:
        return audit.verify_stored_chain(self.db)

    @rpc
    def access_log(self, card_number: str, limit: int = 50, offset: int = 0) -> dict[str, Any]:
        result = audit.access_log(self.db, card_number, limit, offset)
        self.db.commit()  # the audit entry of this read
        return result

    @rpc
    def department_access_log(
        self, department: str, limit: int = 50, offset: int = 0
    ) -> dict[str, Any]:
        result = audit.department_access_log(self.db, department, limit, offset)
        self.db.commit()  # the audit entries of this read, one per resident listed
        return result

    # --- base registries -------------------------------------------------------------------

    @rpc
    def lookup_resident(self, identifier: str) -> dict[str, Any]:
        result = handlers.lookup_resident(self.db, identifier)
        self.db.commit()  # the audit entry of this read
        return result

    @rpc
    def resolve_card(self, card_number: str) -> dict[str, str]:
        result = handlers.resolve_card(self.db, card_number)
        self.db.commit()  # the audit entry of this read
        return result

    @rpc
    def register_legal_entity(self, payload: dict[str, Any]) -> dict[str, Any]:
        result = registries.register_legal_entity(self.db, payload)
        self.db.commit()
        return result

    @rpc
    def get_legal_entity(self, credit_code: str) -> dict[str, Any]:
        return registries.get_legal_entity(self.db, credit_code)

    @rpc
    def list_legal_entities(self, limit: int = 50, offset: int = 0) -> dict[str, Any]:
        return registries.list_legal_entities(self.db, limit, offset)

    @rpc
    def register_housing(self, payload: dict[str, Any]) -> dict[str, Any]:
        result = registries.register_housing(self.db, payload)
        self.db.commit()
        return result

    @rpc
    def get_housing(self, housing_id: str) -> dict[str, Any]:
        result = registries.get_housing(self.db, housing_id)
        self.db.commit()  # the audit entry of this read
        return result

    @rpc
    def housing_of_owner(
        self, card_number: str, limit: int = 50, offset: int = 0
    ) -> dict[str, Any]:
        result = registries.housing_of_owner(self.db, card_number, limit, offset)
        self.db.commit()  # the audit entry of this read
        return result

    # --- webhooks --------------------------------------------------------------------------

    @rpc
    def create_webhook(self, client_id: str, url: str, patterns: list[str]) -> dict[str, Any]:
        result = webhooks.create_webhook(self.db, client_id, url, patterns)
        self.db.commit()
        return result

    @rpc
    def list_webhooks(self, client_id: str, limit: int = 50, offset: int = 0) -> dict[str, Any]:
        return webhooks.list_webhooks(self.db, client_id, limit, offset)

    @rpc
    def delete_webhook(self, client_id: str, webhook_id: str) -> dict[str, Any]:
        result = webhooks.delete_webhook(self.db, client_id, webhook_id)
        self.db.commit()
        return result

    @rpc
    def webhook_deliveries(
        self, client_id: str, webhook_id: str, limit: int = 50, offset: int = 0
    ) -> dict[str, Any]:
        return webhooks.list_deliveries(self.db, client_id, webhook_id, limit, offset)

    @subscribe("#")
    def queue_webhook_deliveries(self, event: Event) -> None:
        webhooks.queue_event(self.db, event)
        self.db.commit()

    @timer(interval=1)
    def deliver_webhooks(self) -> None:
        """Send due deliveries: take and lease them (committed, so other instances skip them),
        POST them concurrently, then record every outcome."""
        outgoing = webhooks.due_deliveries(self.db, limit=WEBHOOK_BATCH)
        self.db.commit()
        if not outgoing:
            return
        retry_base_s = float(self.config.get("WEBHOOK_RETRY_BASE_S", webhooks.DEFAULT_RETRY_BASE_S))
        pool = eventlet.GreenPool(WEBHOOK_CONCURRENCY)
        for delivery_id, status_code, error in pool.imap(post_webhook, outgoing):
            if error:
                log.info("webhook delivery %s not accepted: %s", delivery_id, error)
            webhooks.record_attempt(
                self.db, delivery_id, status_code, error, retry_base_s=retry_base_s
            )
        self.db.commit()
