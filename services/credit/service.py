"""The credit service: the public credit platform's nameko entrypoints.

The entrypoints are thin: each is one unit of work, one call of a use case in
``handlers.py`` (which writes through ``repository`` and puts the events its changes cause in
the outbox) and then one commit, so a change and its events are stored together or not at
all. Errors are the ``shared.errors`` classes; nameko re-raises them at the RPC caller with
their ``fields``.

Records arrive two ways: departments call ``add_record`` (through the gateway), and every
department's ``*.administrative_penalty_issued`` / ``*.commendation_issued`` events are
recorded by the event handlers below, in batches (a few statements and one commit per batch;
if an event of it fails, each event in its own savepoint: ``shared.messaging.apply_batch``).
Both are idempotent on ``(department, source_record_id)``; the handlers are also idempotent on
the event id.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nameko.dependency_providers import Config
from nameko.rpc import RpcProxy
from nameko.timer import timer

from services.credit import handlers, list_counts, reports
from services.credit.domain import (
    check_individual_purpose,
    department_view,
    objection_department_view,
)
from services.credit.models import Base
from shared.clock import city_today
from shared.config import PLATFORM
from shared.contracts.common import load
from shared.contracts.credit import ListChangesRequest
from shared.db import Database
from shared.errors import NotFound, Unprocessable, invalid
from shared.identity import is_valid_card_number, validate_card_number
from shared.messaging import Event, EventFailures, apply_batch, subscribe
from shared.rpc import call_with_deadline, consumer_rpc_timeout, rpc
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
        ``created: false`` and publishes nothing. The answer goes to the department: an
        individual's ID number in it is masked.
        """
        payload = self._prepared(department, payload)
        record, created = self.db.commit_retrying(
            lambda: handlers.store_record(self.db, department, payload, city_today())
        )
        return {"record": department_view(record), "created": created}

    @subscribe("*.administrative_penalty_issued", batch=True)
    def on_penalty_issued(self, events: list[Event]) -> EventFailures:
        """Departments' administrative penalties become negative records of those departments."""
        return self._record_decisions(events, "negative", f"{self.name}.on_penalty_issued")

    @subscribe("*.commendation_issued", batch=True)
    def on_commendation_issued(self, events: list[Event]) -> EventFailures:
        """Departments' commendations become positive records of those departments."""
        return self._record_decisions(events, "positive", f"{self.name}.on_commendation_issued")

    @subscribe("platform.legal_entity_registered")
    def on_legal_entity_registered(self, event: Event) -> None:
        """The registry names enterprises and organisations; public summaries show the name."""
        consumer = f"{self.name}.on_legal_entity_registered"
        self.db.commit_retrying(lambda: handlers.name_legal_entity(self.db, event, consumer))

    def _record_decisions(self, events: list[Event], polarity: str, consumer: str) -> EventFailures:
        # Each event's data has the record's fields; the event type gives the polarity. A bad
        # payload (or a purpose the source is not granted) fails that event alone: the
        # subscriber retries it and then parks it in credit.dead_letters with the error, while
        # the rest of the batch commits together. The batch is stored in a few statements
        # (``handlers.record_decisions``); if any event of it fails there, the batch runs
        # again one event per savepoint (``apply_batch``), which finds the failing one.
        today = city_today()
        failures: EventFailures = {}
        prepared: dict[str, Any] = {}
        for event in events:  # no database yet: an RPC to the platform for a person's card
            try:
                prepared[event.event_id] = self._prepared(
                    event.source, {**event.data, "polarity": polarity}
                )
            except Exception as exc:
                log.warning(
                    "event %s (%s) failed in its batch: %s", event.event_id, event.type, exc
                )
                failures[event.event_id] = exc
        ready = [event for event in events if event.event_id not in failures]

        def record_all(batch: list[Event]) -> None:
            decisions = [(event, prepared[event.event_id]) for event in batch]
            handlers.record_decisions(self.db, decisions, consumer, today)

        def record(event: Event) -> None:
            handlers.record_decision(self.db, event, consumer, prepared[event.event_id], today)

        failures.update(apply_batch(self.db, ready, record_all, record))
        return failures

    def _prepared(self, department: str, payload: Any) -> Any:
        """The payload held to the department's purposes, its identity taken from the registry.

        A department's ``subject_name`` is dropped (names come from the registries). For an
        individual the department must be granted the record's category; a citizen card given
        as ``subject_id`` is resolved to the ID number by the platform (which issued the card),
        and a ``card_number`` sent beside an ID number must be that person's card (else 422
        naming ``card_number``). Only the registry's card is kept on the subject.
        """
        if not isinstance(payload, Mapping):
            return payload
        payload = {name: value for name, value in payload.items() if name != "subject_name"}
        if payload.get("subject_type") != "individual":
            return payload
        check_individual_purpose(department, "individual", payload.get("category"))
        subject_id, sent_card = payload.get("subject_id"), payload.get("card_number")
        if is_valid_card_number(subject_id):
            card_number = validate_card_number(subject_id, "subject_id")
            if sent_card not in (None, card_number):
                raise invalid("card_number", "differs from the card number given as subject_id")
            resident = self._registered_holder(card_number, "subject_id")
            return {**payload, "subject_id": resident["id_number"], "card_number": card_number}
        if sent_card is None:
            return payload
        card_number = validate_card_number(sent_card, "card_number")
        resident = self._registered_holder(card_number, "card_number")
        if resident["id_number"] != str(subject_id).strip().upper():
            raise Unprocessable(
                "card_number belongs to another resident in the population registry",
                fields={"card_number": ["not the card of the resident named by subject_id"]},
            )
        return {**payload, "card_number": card_number}

    def _registered_holder(self, card_number: str, field: str) -> dict[str, Any]:
        # A dead platform must hold a worker briefly: well inside the gateway's own deadline.
        try:
            return call_with_deadline(
                self.platform.resolve_card,
                card_number,
                timeout=consumer_rpc_timeout(self.config),
                service=PLATFORM,
            )
        except NotFound:
            raise Unprocessable(
                f"{field}: no resident holds this citizen card",
                fields={field: ["no resident holds this citizen card"]},
            ) from None

    # --- joint rewards and punishment -----------------------------------------------------------

    @rpc
    def check(
        self, subject_type: str, subject_id: str, purpose: str, requesting_department: str
    ) -> dict[str, Any]:
        """A department's credit check before granting ``purpose``: level, lists, measures.

        On other departments' hot path: two statements (``check_query``'s one read, the check
        log's insert) and one commit (with, for a person, the audit event), nothing else.
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
        """What the checking department did after the check (once, by that department only);
        feedback on a check of a person is audited as a write of their data."""
        feedback = handlers.record_check_feedback(self.db, check_id, department, action_taken, note)
        self.db.commit()
        return feedback

    # --- reports and publication ----------------------------------------------------------------

    @rpc
    def subject_report(self, subject_type: str, subject_id: str) -> dict[str, Any]:
        """A subject's whole credit file; reading an individual's file is audited.

        The audit names the resident by the caller's own card when a resident reads their
        file, else by the ID number (the platform's audit log files it under that person's
        card). The purpose is the gateway's (``purpose`` in the call context). A resident
        without records gets the empty file (their level, no records).
        """
        report = handlers.subject_report(
            self.db, subject_type, subject_id, city_today(), self._resident_actor_card()
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
        return reports.published_list(self.db.read_session, kind, limit, offset, today=city_today())

    @rpc
    def list_changes(self, days: int = 30) -> dict[str, Any]:
        """Red and black list entries added and removed per day over ``days`` days (counts)."""
        request = load(ListChangesRequest, {"days": days})
        return list_counts.list_changes(self.db.session, city_today(), request["days"])

    # --- objection and repair -------------------------------------------------------------------

    @rpc
    def file_objection(self, record_id: str, subject_id: str, reason: str) -> dict[str, Any]:
        """The subject disputes one of their records; it goes under objection (audited)."""
        objection = handlers.file_objection(
            self.db, record_id, subject_id, reason, city_today(), self._resident_actor_card()
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
        objection = self.db.commit_retrying(
            lambda: handlers.resolve_objection(
                self.db, objection_id, department, decision, note, corrections, city_today()
            )
        )
        return objection_department_view(objection)

    @rpc
    def repair_record(self, record_id: str, department: str, note: str) -> dict[str, Any]:
        """The source department confirms a credit repair; the record stops counting."""
        record = self.db.commit_retrying(
            lambda: handlers.repair_record(self.db, record_id, department, note, city_today())
        )
        return department_view(record)

    @rpc
    def objections_for_department(
        self, department: str, status: str | None = None, limit: int = 50, offset: int = 0
    ) -> dict[str, Any]:
        """A page of objections to ``department``'s own records, earliest filing day first;
        each person on the page has the read in their access log."""
        page = handlers.objections_for_department(
            self.db, department, status, limit, offset, city_today()
        )
        self.db.commit()
        return {**page, "items": [objection_department_view(item) for item in page["items"]]}

    # --- the daily sweep ------------------------------------------------------------------------

    @timer(interval=SWEEP_INTERVAL_S)
    def expire_records(self) -> None:
        """Mark lapsed records expired and take subjects off lists whose basis ran out."""
        changes = self.db.commit_retrying(lambda: handlers.expire_records(self.db, city_today()))
        if changes:
            log.info("expiry sweep: %d list change(s)", len(changes))
