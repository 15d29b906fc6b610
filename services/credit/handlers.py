"""The credit service's use cases: what each entrypoint does inside its unit of work.

Each function takes the worker's ``UnitOfWork`` (``uow``): it reads and writes through
``repository`` (which validates, flushes and never commits), and writes the events its changes
cause to the outbox with ``uow.publish``, so a change and its events are stored together or
not at all. The entrypoint (``service.py``) commits: ``uow.commit_retrying(...)`` where a
concurrent insert of the same key may clash, ``uow.commit()`` otherwise.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from services.credit import objections, reports, repository
from shared.db import UnitOfWork
from shared.messaging import Event


def store_record(
    uow: UnitOfWork, department: str, payload: Any, today: date
) -> tuple[dict[str, Any], bool]:
    """Store a department's record: ``(record, created)``; a new one is announced as
    ``credit.record_added``, with the list changes it causes."""
    record, created, changes = repository.add_record(uow.session, department, payload, today)
    if created:
        uow.publish(
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
        publish_list_changes(uow, changes)
    return record, created


def record_decision(
    uow: UnitOfWork, event: Event, consumer: str, payload: Any, today: date
) -> None:
    """A department's decision event, stored as its record once per event id.

    ``payload`` is the event's data with the polarity its type gives (and an individual's card
    resolved); the publishing service is the source department.
    """
    if uow.claim(event.event_id, consumer):
        store_record(uow, event.source, payload, today)


def name_legal_entity(uow: UnitOfWork, event: Event, consumer: str) -> None:
    """The registry names enterprises and organisations; public summaries show the name."""
    if uow.claim(event.event_id, consumer):
        data = event.data
        repository.name_subject(uow.session, data["kind"], data["credit_code"], data["name"])


def check(
    uow: UnitOfWork,
    subject_type: str,
    subject_id: str,
    purpose: str,
    requesting_department: str,
    today: date,
    reader_card: str | None,
) -> dict[str, Any]:
    """A department's credit check, logged; checking a person is audited as a read."""
    result = reports.check(
        uow.session, subject_type, subject_id, purpose, requesting_department, today
    )
    if result["subject_type"] == "individual":
        audit_individual_read(uow, result["subject_id"], "credit_check", reader_card, purpose)
    return result


def subject_report(
    uow: UnitOfWork,
    subject_type: str,
    subject_id: str,
    today: date,
    reader_card: str | None,
    card_number: str | None,
) -> dict[str, Any]:
    """A subject's whole credit file; reading a person's is audited.

    A resident reading their own file (``reader_card``) gets the empty file when they have no
    records; anyone else gets ``NotFound`` for a subject without a file.
    """
    report = reports.subject_report(
        uow.session, subject_type, subject_id, today, empty_if_unknown=reader_card is not None
    )
    if report["subject_type"] == "individual":
        audit_individual_read(
            uow, report["subject_id"], "credit_report", reader_card, card=card_number
        )
    return report


def audit_individual_read(
    uow: UnitOfWork,
    id_number: str,
    resource: str,
    reader_card: str | None,
    purpose: str | None = None,
    card: str | None = None,
) -> None:
    """Audit a read of a person's credit data, naming them by citizen card when known (the
    reading resident's own, the one given, the one on file), else by ID number: a person
    without a card has no access log to show it in, but the audit chain still holds it."""
    subject = (
        reader_card
        or card
        or reports.subject_card_number(uow.session, "individual", id_number)
        or id_number
    )
    uow.record_access(subject, "read", resource, purpose)


def resolve_objection(
    uow: UnitOfWork,
    objection_id: str,
    department: str,
    decision: str,
    note: str,
    corrections: dict[str, Any] | None,
    today: date,
) -> dict[str, Any]:
    """The source department's decision, announced as ``credit.objection_resolved``."""
    objection, changes = objections.resolve_objection(
        uow.session, objection_id, department, decision, note, corrections, today=today
    )
    uow.publish(
        "credit.objection_resolved",
        {
            "objection_id": objection["objection_id"],
            "record_id": objection["record_id"],
            "decision": objection["decision"],
            "department": objection["resolved_by"],
        },
        subject=objection["record"]["subject_id"],
    )
    publish_list_changes(uow, changes)
    return objection


def repair_record(
    uow: UnitOfWork, record_id: str, department: str, note: str, today: date
) -> dict[str, Any]:
    """A confirmed credit repair; the lists follow."""
    record, changes = objections.repair_record(
        uow.session, record_id, department, note, today=today
    )
    publish_list_changes(uow, changes)
    return record


def expire_records(uow: UnitOfWork, today: date) -> list[dict[str, str]]:
    """The daily sweep: lapsed records expired, lists whose basis ran out left."""
    changes = repository.expire_records(uow.session, today)
    publish_list_changes(uow, changes)
    return changes


def publish_list_changes(uow: UnitOfWork, changes: list[dict[str, str]]) -> None:
    for change in changes:
        uow.publish("credit.list_changed", change, subject=change["subject_id"])
