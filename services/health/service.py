"""The health service: nameko entrypoints only; the use cases live in the modules beside it.

Each entrypoint is one unit of work: it reads the caller from the gateway's context (a
resident's card, or an institution: a ``health`` client whose unit is its Organization id),
runs one use case and commits, so a record, its audit entries and its events are stored
together or not at all. The gateway is the only caller (broker rights).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from nameko.dependency_providers import Config
from nameko.rpc import RpcProxy

from services.health import consultations, handlers, reads, statistics, transactions
from services.health.domain.access import Caller, caller_of
from services.health.models import Base
from shared.clock import city_today, utcnow
from shared.config import PLATFORM
from shared.db import Database
from shared.rpc import call_with_deadline, consumer_rpc_timeout, rpc
from shared.service import ServiceBase

MIGRATIONS = Path(__file__).parent / "migrations"
T = TypeVar("T")


class HealthService(ServiceBase):
    name = "health"
    db = Database(Base, MIGRATIONS)
    platform = RpcProxy(PLATFORM)
    config = Config()

    # --- the FHIR store ------------------------------------------------------------------------

    @rpc
    def fhir_write(
        self,
        resource_type: str,
        resource: Any,
        resource_id: str | None = None,
        if_match: str | None = None,
    ) -> dict[str, Any]:
        """Create (no ``resource_id``) or update one resource: ``{"resource", "created"}``."""
        stored, created = self._commit(
            lambda caller, now: handlers.write(
                self.db,
                caller,
                resource_type,
                resource,
                now,
                self._verify_card,
                resource_id,
                if_match,
            ),
            retrying=True,
        )
        return {"resource": stored, "created": created}

    @rpc
    def fhir_transaction(self, bundle: Any) -> dict[str, Any]:
        """Every entry of a ``transaction`` Bundle written, or none."""
        return self._commit(
            lambda caller, now: transactions.transaction(
                self.db, caller, bundle, now, self._verify_card
            ),
            retrying=True,
        )

    @rpc
    def fhir_read(
        self, resource_type: str, resource_id: str, break_glass: str | None = None
    ) -> dict[str, Any]:
        return self._commit(
            lambda caller, now: reads.read(
                self.db, caller, resource_type, resource_id, now, break_glass
            )
        )

    @rpc
    def fhir_search(
        self, resource_type: str, params: dict[str, Any], break_glass: str | None = None
    ) -> dict[str, Any]:
        """A page of matches the caller may read: ``{"total", "resources", "offset", "count"}``."""
        return self._commit(
            lambda caller, now: reads.search(
                self.db, caller, resource_type, params, now, break_glass
            )
        )

    @rpc
    def fhir_everything(self, patient_id: str, break_glass: str | None = None) -> dict[str, Any]:
        return self._commit(
            lambda caller, now: reads.everything(self.db, caller, patient_id, now, break_glass)
        )

    @rpc
    def my_records(self) -> dict[str, Any]:
        return self._commit(lambda caller, now: reads.my_records(self.db, caller, now))

    # --- consent -------------------------------------------------------------------------------

    @rpc
    def grant_consent(self, form: dict[str, Any]) -> dict[str, Any]:
        return self._commit(lambda caller, now: handlers.grant_consent(self.db, caller, form, now))

    @rpc
    def withdraw_consent(self, consent_id: str) -> dict[str, Any]:
        return self._commit(
            lambda caller, now: handlers.withdraw_consent(self.db, caller, consent_id, now)
        )

    # --- remote consultation -------------------------------------------------------------------

    @rpc
    def request_consultation(
        self, form: dict[str, Any], break_glass: str | None = None
    ) -> dict[str, Any]:
        return self._commit(
            lambda caller, now: consultations.request(self.db, caller, form, now, break_glass)
        )

    @rpc
    def consultation(self, consultation_id: str) -> dict[str, Any]:
        return self._commit(
            lambda caller, now: consultations.get(self.db, caller, consultation_id, now)
        )

    @rpc
    def consultation_action(
        self, consultation_id: str, action: str, form: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """``assign``, ``answer``, ``close`` or ``cancel``; 409 naming the state if illegal."""
        return self._commit(
            lambda caller, now: consultations.act(
                self.db, caller, consultation_id, action, form or {}, now
            )
        )

    @rpc
    def overdue_consultations(self, as_of: str | None = None) -> dict[str, Any]:
        return self._commit(
            lambda caller, now: consultations.overdue(
                self.db, caller, datetime.fromisoformat(as_of) if as_of else now, now
            )
        )

    # --- supervision ---------------------------------------------------------------------------

    @rpc
    def statistics(self, dimension: str, code: str | None = None) -> dict[str, Any]:
        return statistics.counts(self.db.session, dimension, code, city_today())

    @rpc
    def ratings(self) -> dict[str, Any]:
        return statistics.ratings(self.db.session, utcnow())

    @rpc
    def consultation_backlog(self, as_of: str | None = None) -> dict[str, Any]:
        """Open and overdue consultations per urgency, now or at ``as_of`` (counts only:
        nothing is audited)."""
        moment = datetime.fromisoformat(as_of) if as_of else utcnow()
        return statistics.consultation_backlog(self.db.session, moment)

    # --- helpers -------------------------------------------------------------------------------

    def _commit(self, work: Callable[[Caller, datetime], T], retrying: bool = False) -> T:
        caller = caller_of(self.db.context)
        if retrying:
            return self.db.commit_retrying(lambda: work(caller, utcnow()))
        result = work(caller, utcnow())
        self.db.commit()
        return result

    def _verify_card(self, card_number: str) -> dict[str, Any]:
        # A dead platform holds a worker briefly: well inside the gateway's own deadline.
        return call_with_deadline(
            self.platform.verify_card,
            card_number,
            timeout=consumer_rpc_timeout(self.config),
            service=PLATFORM,
        )
