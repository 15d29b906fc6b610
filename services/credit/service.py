"""The credit service: the public credit platform's nameko entrypoints.

The entrypoints are thin: each is one unit of work, one call of a use case in
``handlers.py`` (which writes through ``repository`` and puts the events its changes cause in
the outbox) and then one commit, so a change and its events are stored together or not at
all. Errors are the ``shared.errors`` classes; nameko re-raises them at the RPC caller with
their ``fields``.

Records arrive two ways: departments call ``add_record`` (through the gateway), and every
department's ``*.administrative_penalty_issued`` / ``*.commendation_issued`` events are
recorded by the event handlers below. Both are idempotent on ``(department, source_record_id)``;
the handlers are also idempotent on the event id.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nameko.dependency_providers import Config
from nameko.rpc import RpcProxy, rpc
from nameko.timer import timer

from services.credit import handlers, objections, reports
from services.credit.models import Base
from shared.clock import city_today
from shared.config import PLATFORM
from shared.db import Database
from shared.errors import invalid
from shared.identity import is_valid_card_number, validate_card_number
from shared.messaging import Event, subscribe
from shared.rpc import call_with_deadline, consumer_rpc_timeout
from shared.service import ServiceBase

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"

SWEEP_INTERVAL_S = 3600
"""How often the expiry sweep runs. It is idempotent, so hourly runs make a daily sweep that
catches up within the hour after midnight or after a restart."""


class CreditService(ServiceBase):
    name = "credit"
    db = Database(Base, MIGRATIONS)
    platform = RpcProxy(PLATFORM)
    config = Config()

    # --- collecting records ---------------------------------------------------------------------

    @rpc
    def add_record(self, department: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Store a department's record: ``{"record": ..., "created": bool}``.

        A record sent again (same department and ``source_record_id``) comes back with
        ``created: false`` and publishes nothing.
        """
        payload = self._with_resident_id(payload)
        record, created = self.db.commit_retrying(
            lambda: handlers.store_record(self.db, department, payload, city_today())
        )
        return {"record": record, "created": created}

    @subscribe("*.administrative_penalty_issued")
    def on_penalty_issued(self, event: Event) -> None:
        """A department's administrative penalty becomes a negative record of that department."""
        self._record_decision(event, "negative", f"{self.name}.on_penalty_issued")

    @subscribe("*.commendation_issued")
    def on_commendation_issued(self, event: Event) -> None:
        """A department's commendation becomes a positive record of that department."""
        self._record_decision(event, "positive", f"{self.name}.on_commendation_issued")

    @subscribe("platform.legal_entity_registered")
    def on_legal_entity_registered(self, event: Event) -> None:
        """The registry names enterprises and organisations; public summaries show the name."""
        consumer = f"{self.name}.on_legal_entity_registered"
        self.db.commit_retrying(lambda: handlers.name_legal_entity(self.db, event, consumer))

    def _record_decision(self, event: Event, polarity: str, consumer: str) -> None:
        # The event's data has the record's fields; the event type gives the polarity. A bad
        # payload raises ValidationFailed: the subscriber retries it and then parks it in
        # credit.dead_letters with the error.
        payload = self._with_resident_id({**event.data, "polarity": polarity})
        self.db.commit_retrying(
            lambda: handlers.record_decision(self.db, event, consumer, payload, city_today())
        )

    def _with_resident_id(self, payload: Any) -> Any:
        """The payload with an individual's citizen card number resolved to their ID number.

        Credit files of individuals are keyed by the resident ID number; a department that
        knows only the card sends that instead, and the platform (which issued the card)
        says whose it is. The card number is kept on the subject.
        """
        if not isinstance(payload, Mapping) or payload.get("subject_type") != "individual":
            return payload
        if not is_valid_card_number(payload.get("subject_id")):
            return payload
        card_number = validate_card_number(payload["subject_id"], "subject_id")
        if payload.get("card_number") not in (None, card_number):
            raise invalid("card_number", "differs from the card number given as subject_id")
        resident = self._lookup_resident(card_number)
        return {**payload, "subject_id": resident["id_number"], "card_number": card_number}

    def _lookup_resident(self, card_number: str) -> dict[str, Any]:
        # A dead platform must hold a worker briefly: well inside the gateway's own deadline.
        return call_with_deadline(
            self.platform.resolve_card,
            card_number,
            timeout=consumer_rpc_timeout(self.config),
            service=PLATFORM,
        )

    # --- joint rewards and punishment -----------------------------------------------------------

    @rpc
    def check(
        self, subject_type: str, subject_id: str, purpose: str, requesting_department: str
    ) -> dict[str, Any]:
        """A department's credit check before granting ``purpose``: level, lists, measures.

        On other departments' hot path: the repository's four indexed statements and one
        commit (of the check log row and, for a person, the audit event), nothing else.
        """
        result = handlers.check(
            self.db,
            subject_type,
            subject_id,
            purpose,
            requesting_department,
            city_today(),
            self._resident_actor_card(),
        )
        self.db.commit()
        return result

    @rpc
    def record_check_feedback(
        self, check_id: str, department: str, action_taken: str, note: str | None = None
    ) -> dict[str, Any]:
        """What the checking department did after the check (once, by that department only)."""
        feedback = reports.record_check_feedback(
            self.db.session, check_id, department, action_taken, note
        )
        self.db.commit()
        return feedback

    # --- reports and publication ----------------------------------------------------------------

    @rpc
    def subject_report(
        self, subject_type: str, subject_id: str, card_number: str | None = None
    ) -> dict[str, Any]:
        """A subject's whole credit file; reading an individual's file is audited.

        The audit names the resident by citizen card: the caller's own card when a resident
        reads their file, else ``card_number``, else the card stored on the subject. The
        purpose is the gateway's (``purpose`` in the call context). A resident without
        records gets the empty file (their level, no records).
        """
        report = handlers.subject_report(
            self.db,
            subject_type,
            subject_id,
            city_today(),
            self._resident_actor_card(),
            card_number,
        )
        if report["subject_type"] == "individual":
            self.db.commit()
        return report

    def _resident_actor_card(self) -> str | None:
        context = self.db.context
        return context.get("actor") if context.get("actor_role") == "resident" else None

    @rpc
    def public_summary(self, credit_code: str) -> dict[str, Any]:
        """What anyone may see about an enterprise or organisation: name, level, lists."""
        return reports.public_summary(self.db.session, credit_code, city_today())

    @rpc
    def published_list(self, kind: str, limit: int = 50, offset: int = 0) -> dict[str, Any]:
        """A page of the published red or black list (enterprises and organisations only)."""
        return reports.published_list(self.db.session, kind, limit, offset, today=city_today())

    # --- objection and repair -------------------------------------------------------------------

    @rpc
    def file_objection(self, record_id: str, subject_id: str, reason: str) -> dict[str, Any]:
        """The subject disputes one of their records; it goes under objection."""
        objection = objections.file_objection(
            self.db.session, record_id, subject_id, reason, today=city_today()
        )
        self.db.commit()
        return objection

    @rpc
    def resolve_objection(
        self,
        objection_id: str,
        department: str,
        decision: str,
        note: str,
        corrections: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The source department upholds, corrects or revokes; lists follow the outcome."""
        return self.db.commit_retrying(
            lambda: handlers.resolve_objection(
                self.db, objection_id, department, decision, note, corrections, city_today()
            )
        )

    @rpc
    def repair_record(self, record_id: str, department: str, note: str) -> dict[str, Any]:
        """The source department confirms a credit repair; the record stops counting."""
        return self.db.commit_retrying(
            lambda: handlers.repair_record(self.db, record_id, department, note, city_today())
        )

    @rpc
    def objections_for_department(
        self, department: str, status: str | None = None, limit: int = 50, offset: int = 0
    ) -> dict[str, Any]:
        """A page of objections to ``department``'s own records, earliest filing day first."""
        return objections.objections_for_department(
            self.db.session, department, status, limit, offset, today=city_today()
        )

    # --- the daily sweep ------------------------------------------------------------------------

    @timer(interval=SWEEP_INTERVAL_S)
    def expire_records(self) -> None:
        """Mark lapsed records expired and take subjects off lists whose basis ran out."""
        changes = self.db.commit_retrying(lambda: handlers.expire_records(self.db, city_today()))
        if changes:
            log.info("expiry sweep: %d list change(s)", len(changes))
