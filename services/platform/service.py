"""The platform service: nameko entrypoints only; the logic is in ``domain`` and ``audit``.

Each entrypoint makes one call with the worker's unit of work and commits it. Inputs are
validated there (``shared.contracts.platform``), errors are those of ``shared.errors``.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

from nameko.dependency_providers import Config
from nameko.timer import timer

from services.platform import (
    audit,
    clients,
    delivery,
    event_log,
    handlers,
    registries,
    sessions,
    subscriptions,
)
from services.platform.egress import EgressPolicy, setting
from services.platform.models import Base
from services.platform.public_feed import PublicFeedRelay
from services.platform.sender import DeliverySender
from shared.clock import utcnow
from shared.contracts.common import load
from shared.contracts.platform import ThroughputRequest
from shared.db import Database
from shared.messaging import Event, subscribe
from shared.rpc import rpc
from shared.service import ServiceBase

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"


class PlatformService(ServiceBase):
    """Identity (residents, citizen cards, login tokens, API clients), the personal-data audit
    log, and the base registries (population, legal entities, housing)."""

    name = "platform"
    db = Database(Base, MIGRATIONS)
    config = Config()
    public_feed = PublicFeedRelay()
    sender = DeliverySender()

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
        result = sessions.issue_token(self.db, username, password, client_ip)
        self.db.commit()
        return result

    @rpc
    def refresh_token(self, token: str) -> dict[str, Any]:
        result = sessions.refresh_token(self.db, token)
        self.db.commit()
        return result

    @rpc
    def session_active(self, session_id: str) -> dict[str, Any]:
        return sessions.session_active(self.db, session_id)

    @rpc
    def revoke_refresh_token(self, token: str) -> dict[str, Any]:
        result = sessions.revoke_refresh_token(self.db, token)
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
        result = clients.create_client(self.db, name, role, department, scopes, unit)
        self.db.commit()
        return result

    @rpc
    def authenticate_api_key(self, api_key: str) -> dict[str, Any]:
        return clients.authenticate_api_key(self.db, api_key)

    @rpc
    def list_clients(self, limit: int = 50, offset: int = 0) -> dict[str, Any]:
        return clients.list_clients(self.db, limit, offset)

    @rpc
    def revoke_client(self, client_id: str) -> dict[str, Any]:
        result = clients.revoke_client(self.db, client_id)
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

    # --- subscriptions (and the /webhooks view of them) ------------------------------------

    def _egress(self) -> EgressPolicy:
        return EgressPolicy.from_config(self.config)

    @rpc
    def create_webhook(self, client_id: str, url: str, patterns: list[str]) -> dict[str, Any]:
        result = subscriptions.create_webhook(self.db, client_id, url, patterns, self._egress())
        self.db.commit()
        return result

    @rpc
    def list_webhooks(self, client_id: str, limit: int = 50, offset: int = 0) -> dict[str, Any]:
        return subscriptions.list_webhooks(self.db, client_id, limit, offset)

    @rpc
    def delete_webhook(self, client_id: str, webhook_id: str) -> dict[str, Any]:
        result = subscriptions.delete_webhook(self.db, client_id, webhook_id)
        self.db.commit()
        return result

    @rpc
    def webhook_deliveries(
        self, client_id: str, webhook_id: str, limit: int = 50, offset: int = 0
    ) -> dict[str, Any]:
        return subscriptions.list_webhook_deliveries(self.db, client_id, webhook_id, limit, offset)

    @rpc
    def create_subscription(self, client_id: str, payload: dict[str, Any]) -> dict[str, Any]:
        result = subscriptions.create_subscription(self.db, client_id, payload, self._egress())
        self.db.commit()
        return result

    @rpc
    def list_subscriptions(
        self, client_id: str, limit: int = 50, offset: int = 0
    ) -> dict[str, Any]:
        return subscriptions.list_subscriptions(self.db, client_id, limit, offset)

    @rpc
    def get_subscription(self, client_id: str, subscription_id: str) -> dict[str, Any]:
        return subscriptions.get_subscription(self.db, client_id, subscription_id)

    @rpc
    def update_subscription(
        self, client_id: str, subscription_id: str, payload: dict[str, Any]
    ) -> dict[str, Any]:
        result = subscriptions.update_subscription(self.db, client_id, subscription_id, payload)
        self.db.commit()
        return result

    @rpc
    def delete_subscription(self, client_id: str, subscription_id: str) -> dict[str, Any]:
        result = subscriptions.delete_subscription(self.db, client_id, subscription_id)
        self.db.commit()
        return result

    @rpc
    def subscription_deliveries(
        self, client_id: str, subscription_id: str, limit: int = 50, offset: int = 0
    ) -> dict[str, Any]:
        return subscriptions.list_deliveries(self.db, client_id, subscription_id, limit, offset)

    @rpc
    def rotate_subscription_secret(
        self, client_id: str, subscription_id: str, payload: dict[str, Any]
    ) -> dict[str, Any]:
        result = subscriptions.rotate_secret(self.db, client_id, subscription_id, payload)
        self.db.commit()
        return result

    @rpc
    def replay_subscription(
        self, client_id: str, subscription_id: str, payload: dict[str, Any]
    ) -> dict[str, Any]:
        result = subscriptions.replay(self.db, client_id, subscription_id, payload)
        self.db.commit()
        return result

    @subscribe("#")
    def queue_webhook_deliveries(self, event: Event) -> None:
        """Every event: into the event log, the public feed's outbox when public, and the
        matching subscriptions' deliveries (sent by ``sender``), in one transaction."""
        delivery.queue_event(self.db, event)
        self.db.commit()

    @rpc
    def event_throughput(self, hours: int = 24) -> dict[str, Any]:
        """Events per hour per source over the last ``hours`` hours (counts of the event log)."""
        request = load(ThroughputRequest, {"hours": hours})
        return event_log.throughput(self.db, utcnow(), request["hours"])

    @timer(interval=3600)
    def prune_event_log(self) -> None:
        days = float(setting(self.config, "EVENT_LOG_RETENTION_DAYS", 7))
        event_log.prune(self.db, utcnow(), timedelta(days=days))
        self.db.commit()
