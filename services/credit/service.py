"""The credit service: the public credit platform's nameko entrypoints.

The entrypoints are thin. Each one is a unit of work: one call into ``repository`` (which
validates, reads, writes and flushes but never commits), the events that call's changes cause
written to the outbox with ``self.db.publish``, then one commit, so a change and its events are
stored together or not at all. Errors are the ``shared.errors`` classes raised by the
repository; nameko re-raises them at the RPC caller with their ``fields``.

Records arrive two ways: departments call ``add_record`` (through the gateway), and every
department's ``*.administrative_penalty_issued`` / ``*.commendation_issued`` events are
recorded by the handlers below. Both are idempotent on ``(department, source_record_id)``;
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

from services.credit import repository
from services.credit.models import Base
from shared.clock import city_today
from shared.config import PLATFORM
from shared.db import Database
from shared.errors import invalid
from shared.identity import is_valid_card_number, validate_card_number
from shared.messaging import Event, subscribe
from shared.rpc import call_with_deadline
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
        record, created = self.db.commit_retrying(lambda: self._store_record(department, payload))
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

        def name_once() -> None:
            if self.db.claim(event.event_id, f"{self.name}.on_legal_entity_registered"):
                data = event.data
                repository.name_subject(
                    self.db.session, data["kind"], data["credit_code"], data["name"]
                )

        self.db.commit_retrying(name_once)

    def _record_decision(self, event: Event, polarity: str, consumer: str) -> None:
        # The event's data has the record's fields; the event type gives the polarity and the
        # publishing service is the source department. A bad payload raises ValidationFailed:
        # the subscriber retries it and then parks it in credit.dead_letters with the error.
        payload = self._with_resident_id({**event.data, "polarity": polarity})

        def record_once() -> None:
            if self.db.claim(event.event_id, consumer):
                self._store_record(event.source, payload)

        self.db.commit_retrying(record_once)

    def _store_record(self, department: str, payload: Any) -> tuple[dict[str, Any], bool]:
        record, created, changes = repository.add_record(
            self.db.session, department, payload, city_today()
        )
        if created:
            self.db.publish(
                "credit.record_added",
                {
                    "record_id": record["record_id"],
                    "subject_type": record["subject_type"],
                    "subject_id": record["subject_id"],
                    "department": record["department"],
                    "category": record["category"],
                    "polarity": record["polarity"],
                    "severity": record["severity"],
                },
                subject=record["subject_id"],
            )
            self._publish_list_changes(changes)
        return record, created

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
        # A dead platform must not hold a worker forever.
        return call_with_deadline(
            self.platform.resolve_card,
            card_number,
            timeout=float(self.config.get("RPC_TIMEOUT", 10)),
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
        session = self.db.session
        result = repository.check(
            session, subject_type, subject_id, purpose, requesting_department, city_today()
        )
        if result["subject_type"] == "individual":
            self._audit_individual_read(result["subject_id"], "credit_check", purpose)
        self.db.commit()
        return result

    @rpc
    def record_check_feedback(
        self, check_id: str, department: str, action_taken: str, note: str | None = None
    ) -> dict[str, Any]:
        """What the checking department did after the check (once, by that department only)."""
        feedback = repository.record_check_feedback(
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
        purpose is the gateway's (``purpose`` in the call context).
        """
        session = self.db.session
        report = repository.subject_report(
            session,
            subject_type,
            subject_id,
            city_today(),
            empty_if_unknown=self._resident_actor_card() is not None,
        )
        if report["subject_type"] == "individual":
            self._audit_individual_read(report["subject_id"], "credit_report", card=card_number)
            self.db.commit()
        return report

    def _audit_individual_read(
        self, id_number: str, resource: str, purpose: str | None = None, card: str | None = None
    ) -> None:
        """Audit a read of a person's credit data, naming them by citizen card when known
        (the caller's own, the one given, the one on file), else by ID number: a person
        without a card has no access log to show it in, but the audit chain still holds it."""
        subject = (
            self._resident_actor_card()
            or card
            or repository.subject_card_number(self.db.session, "individual", id_number)
            or id_number
        )
        self.db.record_access(subject, "read", resource, purpose)

    def _resident_actor_card(self) -> str | None:
        context = self.db.context
        return context.get("actor") if context.get("actor_role") == "resident" else None

    @rpc
    def public_summary(self, credit_code: str) -> dict[str, Any]:
        """What anyone may see about an enterprise or organisation: name, level, lists."""
        return repository.public_summary(self.db.session, credit_code, city_today())

    @rpc
    def published_list(self, kind: str, limit: int = 50, offset: int = 0) -> dict[str, Any]:
        """A page of the published red or black list (enterprises and organisations only)."""
        return repository.published_list(self.db.session, kind, limit, offset, today=city_today())

    # --- objection and repair -------------------------------------------------------------------

    @rpc
    def file_objection(self, record_id: str, subject_id: str, reason: str) -> dict[str, Any]:
        """The subject disputes one of their records; it goes under objection."""
        objection = repository.file_objection(
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

        def resolve() -> dict[str, Any]:
            objection, changes = repository.resolve_objection(
                self.db.session,
                objection_id,
                department,
                decision,
                note,
                corrections,
                today=city_today(),
            )
            self.db.publish(
                "credit.objection_resolved",
                {
                    "objection_id": objection["objection_id"],
                    "record_id": objection["record_id"],
                    "decision": objection["decision"],
                    "department": objection["resolved_by"],
                },
                subject=objection["record"]["subject_id"],
            )
            self._publish_list_changes(changes)
            return objection

        return self.db.commit_retrying(resolve)

    @rpc
    def repair_record(self, record_id: str, department: str, note: str) -> dict[str, Any]:
        """The source department confirms a credit repair; the record stops counting."""

        def repair() -> dict[str, Any]:
            record, changes = repository.repair_record(
                self.db.session, record_id, department, note, today=city_today()
            )
            self._publish_list_changes(changes)
            return record

        return self.db.commit_retrying(repair)

    @rpc
    def objections_for_department(
        self, department: str, status: str | None = None, limit: int = 50, offset: int = 0
    ) -> dict[str, Any]:
        """A page of objections to ``department``'s own records, earliest filing day first."""
        return repository.objections_for_department(
            self.db.session, department, status, limit, offset, today=city_today()
        )

    # --- the daily sweep ------------------------------------------------------------------------

    @timer(interval=SWEEP_INTERVAL_S)
    def expire_records(self) -> None:
        """Mark lapsed records expired and take subjects off lists whose basis ran out."""

        def sweep() -> list[dict[str, str]]:
            changes = repository.expire_records(self.db.session, city_today())
            self._publish_list_changes(changes)
            return changes

        changes = self.db.commit_retrying(sweep)
        if changes:
            log.info("expiry sweep: %d list change(s)", len(changes))

    # --- units of work --------------------------------------------------------------------------

    def _publish_list_changes(self, changes: list[dict[str, str]]) -> None:
        for change in changes:
            self.db.publish("credit.list_changed", change, subject=change["subject_id"])
