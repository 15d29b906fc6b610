"""The platform service: nameko entrypoints only; the logic is in ``domain`` and ``audit``.

Each entrypoint makes one call with the worker's unit of work and commits it. Inputs are
validated there (``shared.contracts.platform``), errors are those of ``shared.errors``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nameko.rpc import rpc

from gateway.platform import audit, domain
from gateway.platform.models import Base
from shared.db import Database
from shared.messaging import Event, subscribe
from shared.service import ServiceBase

MIGRATIONS = Path(__file__).parent / "migrations"


class PlatformService(ServiceBase):
    """Identity (residents, citizen cards, login tokens, API clients), the personal-data audit
    log, and the base registries (population, legal entities, housing)."""

    name = "platform"
    db = Database(Base, MIGRATIONS)

    # --- residents and citizen cards -------------------------------------------------------

    @rpc
    def register_resident(self, payload: dict[str, Any]) -> dict[str, Any]:
        result = domain.register_resident(self.db, payload)
        self.db.commit()
        return result

    @rpc
    def get_profile(self, card_number: str) -> dict[str, Any]:
        result = domain.get_profile(self.db, card_number)
        self.db.commit()  # the audit entry of this read
        return result

    @rpc
    def verify_card(self, card_number: str) -> dict[str, Any]:
        return domain.verify_card(self.db, card_number)

    @subscribe("*.card_linked")
    def record_card_link(self, event: Event) -> None:
        domain.link_card_from_event(self.db, event)
        self.db.commit()

    # --- login sessions --------------------------------------------------------------------

    @rpc
    def issue_token(
        self, username: str, password: str, client_ip: str | None = None
    ) -> dict[str, Any]:
        result = domain.issue_token(self.db, username, password, client_ip)
        self.db.commit()
        return result

    @rpc
    def refresh_token(self, token: str) -> dict[str, Any]:
        result = domain.refresh_token(self.db, token)
        self.db.commit()
        return result

    @rpc
    def revoke_refresh_token(self, token: str) -> dict[str, Any]:
        result = domain.revoke_refresh_token(self.db, token)
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
    ) -> dict[str, Any]:
        result = domain.create_client(self.db, name, role, department, scopes)
        self.db.commit()
        return result

    @rpc
    def authenticate_api_key(self, api_key: str) -> dict[str, Any]:
        return domain.authenticate_api_key(self.db, api_key)

    @rpc
    def list_clients(self, limit: int = 50, offset: int = 0) -> dict[str, Any]:
        return domain.list_clients(self.db, limit, offset)

    @rpc
    def revoke_client(self, client_id: str) -> dict[str, Any]:
        result = domain.revoke_client(self.db, client_id)
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
        return audit.access_log(self.db, card_number, limit, offset)

    @rpc
    def department_access_log(
        self, department: str, limit: int = 50, offset: int = 0
    ) -> dict[str, Any]:
        return audit.department_access_log(self.db, department, limit, offset)

    # --- base registries -------------------------------------------------------------------

    @rpc
    def lookup_resident(self, identifier: str) -> dict[str, Any]:
        result = domain.lookup_resident(self.db, identifier)
        self.db.commit()  # the audit entry of this read
        return result

    @rpc
    def resolve_card(self, card_number: str) -> dict[str, str]:
        result = domain.resolve_card(self.db, card_number)
        self.db.commit()  # the audit entry of this read
        return result

    @rpc
    def register_legal_entity(self, payload: dict[str, Any]) -> dict[str, Any]:
        result = domain.register_legal_entity(self.db, payload)
        self.db.commit()
        return result

    @rpc
    def get_legal_entity(self, credit_code: str) -> dict[str, Any]:
        return domain.get_legal_entity(self.db, credit_code)

    @rpc
    def list_legal_entities(self, limit: int = 50, offset: int = 0) -> dict[str, Any]:
        return domain.list_legal_entities(self.db, limit, offset)

    @rpc
    def register_housing(self, payload: dict[str, Any]) -> dict[str, Any]:
        result = domain.register_housing(self.db, payload)
        self.db.commit()
        return result

    @rpc
    def get_housing(self, housing_id: str) -> dict[str, Any]:
        result = domain.get_housing(self.db, housing_id)
        self.db.commit()  # the audit entry of this read
        return result

    @rpc
    def housing_of_owner(
        self, card_number: str, limit: int = 50, offset: int = 0
    ) -> dict[str, Any]:
        result = domain.housing_of_owner(self.db, card_number, limit, offset)
        self.db.commit()  # the audit entry of this read
        return result
