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

from services.credit import objections, record_batch, reports, repository
from shared.db import UnitOfWork
from shared.messaging import Event


def store_record(
    uow: UnitOfWork, department: str, payload: Any, today: date
) -> tuple[dict[str, Any], bool]:
    """Store a department's record: ``(record, created)``; a new one is announced as
    ``credit.record_added``, with the list changes it causes. Writing a record about a person
    (or reading it back on a repeat) is audited, with the record's category as purpose."""
    record, created, changes = repository.add_record(uow.session, department, payload, today)
    announce_record(uow, record, created)
    if created:
        publish_list_changes(uow, changes)
    return record, created


def announce_record(uow: UnitOfWork, record: dict[str, Any], created: bool) -> None:
    """A person's record written (or read back on a repeat) is audited, with the record's
    category as purpose; a new record is announced as ``credit.record_added``."""
    if record["subject_type"] == "individual":
        action = "write" if created else "read"
        uow.record_access(record["subject_id"], action, "credit_record", record["category"])
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


def record_decision(
    uow: UnitOfWork, event: Event, consumer: str, payload: Any, today: date
) -> None:
    """A department's decision event, stored as its record once per event id.

    ``payload`` is the event's data with the polarity its type gives (and an individual's card
    resolved); the publishing service is the source department.
    """
    if uow.claim(event.event_id, consumer):
        store_record(uow, event.source, payload, today)


def record_decisions(
    uow: UnitOfWork, decisions: list[tuple[Event, Any]], consumer: str, today: date
) -> None:
    """``record_decision`` for a batch of ``(event, payload)``, in a few statements: the
    events claimed at once, their records stored by ``record_batch``, every outbox row in one
    insert. Raises if any event fails (``record_batch.RecordExists`` for a repeat): the caller
    then applies them one by one (``shared.event_batches.apply_batch``)."""
    claimed = uow.claim_many([event.event_id for event, _ in decisions], consumer)
    new: list[tuple[Event, Any]] = []
    for event, payload in decisions:
        if event.event_id in claimed:
            claimed.discard(event.event_id)  # a duplicate inside the batch: once
            new.append((event, payload))
    if not new:
        return
    records, changes = record_batch.add_records(
        uow.session, [(event.source, payload) for event, payload in new], today
    )
    # Each event's outbox rows carry its request id; a subject's list changes, the id of the
    # batch's last event about that subject.
    cause: dict[tuple[str, str], str | None] = {}
    with uow.events_in_one_insert():
        for (event, _), record in zip(new, records, strict=True):
            uow.context["request_id"] = event.request_id
            announce_record(uow, record, created=True)
            cause[(record["subject_type"], record["subject_id"])] = event.request_id
        for key, subject_changes in changes.items():
            uow.context["request_id"] = cause[key]
            publish_list_changes(uow, subject_changes)
    uow.context.pop("request_id", None)


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


def record_check_feedback(
    uow: UnitOfWork, check_id: str, department: str, action_taken: str, note: str | None
) -> dict[str, Any]:
    """The checking department's feedback; on a check of a person it is audited as a write."""
    feedback = reports.record_check_feedback(uow.session, check_id, department, action_taken, note)
    subject_type, subject_id = reports.checked_subject(uow.session, feedback["check_id"])
    if subject_type == "individual":
        uow.record_access(subject_id, "write", "credit_check_feedback")
    return feedback


def subject_report(
    uow: UnitOfWork,
    subject_type: str,
    subject_id: str,
    today: date,
    reader_card: str | None,
) -> dict[str, Any]:
    """A subject's whole credit file; reading a person's is audited.

    A resident reading their own file (``reader_card``) gets the empty file when they have no
    records; anyone else gets ``NotFound`` for a subject without a file.
    """
    report = reports.subject_report(
        uow.session, subject_type, subject_id, today, empty_if_unknown=reader_card is not None
    )
    if report["subject_type"] == "individual":
        audit_individual_read(uow, report["subject_id"], "credit_report", reader_card)
    return report


def audit_individual_read(
    uow: UnitOfWork,
    id_number: str,
    resource: str,
    reader_card: str | None,
    purpose: str | None = None,
) -> None:
    """Audit a read of a person's credit data: by the reading resident's own card, else by the
    ID number, which the platform's audit log files under the card the population registry
    gives that person. Never by a card stored here: a department's record once could set it."""
    uow.record_access(reader_card or id_number, "read", resource, purpose)


def file_objection(
    uow: UnitOfWork,
    record_id: str,
    subject_id: str,
    reason: str,
    today: date,
    reader_card: str | None,
) -> dict[str, Any]:
    """The subject disputes one of their records (audited as a write of their file)."""
    objection = objections.file_objection(uow.session, record_id, subject_id, reason, today=today)
    uow.record_access(reader_card or objection["record"]["subject_id"], "write", "credit_objection")
    return objection


def objections_for_department(
    uow: UnitOfWork,
    department: str,
    status: str | None,
    limit: int,
    offset: int,
    today: date,
) -> dict[str, Any]:
    """A page of the department's review queue; each person on it has the read audited."""
    page = objections.objections_for_department(
        uow.session, department, status, limit, offset, today=today
    )
    audit_people(uow, [item["record"] for item in page["items"]], "read", "credit_objections")
    return page


def audit_people(
    uow: UnitOfWork, records: list[dict[str, Any]], action: str, resource: str
) -> None:
    """One audit entry per person among ``records`` (a person with two records: one entry)."""
    people = {r["subject_id"] for r in records if r["subject_type"] == "individual"}
    for id_number in sorted(people):
        uow.record_access(id_number, action, resource)


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
    audit_people(uow, [objection["record"]], "write", "credit_objection_decision")
    return objection


def repair_record(
    uow: UnitOfWork, record_id: str, department: str, note: str, today: date
) -> dict[str, Any]:
    """A confirmed credit repair; the lists follow. Repairing a person's record is audited."""
    record, changes = objections.repair_record(
        uow.session, record_id, department, note, today=today
    )
    publish_list_changes(uow, changes)
    audit_people(uow, [record], "write", "credit_record_repair")
    return record


def expire_records(uow: UnitOfWork, today: date) -> list[dict[str, str]]:
    """The daily sweep: lapsed records expired, lists whose basis ran out left."""
    changes = repository.expire_records(uow.session, today)
    publish_list_changes(uow, changes)
    return changes


def publish_list_changes(uow: UnitOfWork, changes: list[dict[str, str]]) -> None:
    for change in changes:
        uow.publish("credit.list_changed", change, subject=change["subject_id"])
