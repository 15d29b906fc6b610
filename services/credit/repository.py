"""The credit service's database functions: load rows, apply ``domain``, store the outcome.

This module holds the records and the lists, and the conversions and lookups that
``reports.py`` (checks, reports, published lists) and ``objections.py`` (objection and
repair) share.

Every function takes an SQLAlchemy ``Session`` whose transaction the caller owns: functions
flush so that ids exist and constraints are checked, and never commit. Everything returned is
JSON-ready (ids and dates as strings) so the service can hand it straight to RPC callers and
events.

List changes are returned as event-ready dicts, one per change, shaped like the
``credit.list_changed`` payload: ``{"subject_type", "subject_id", "list", "change", "basis"}``.

Concurrency: records, subjects and standing list entries have unique constraints. When a
concurrent transaction stored the same key between our lookup and our insert, the flush
raises ``sqlalchemy.exc.IntegrityError``; the caller rolls the unit of work back and retries
it, and the retry finds the stored row (a redelivered record then comes back with
``created=False``).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.credit.domain import (
    COUNTING_STATUSES,
    DEFAULT_RULES,
    RecordFacts,
    RecordInput,
    RuleSet,
    check_record_rules,
    effective_status,
    evaluate_lists,
    next_record_status,
    validate_department,
)
from services.credit.models import CreditRecord, ListEntry, Objection, Subject
from shared.contracts.common import load
from shared.contracts.credit import (
    LIST_KINDS,
    RecordIn,
)
from shared.errors import Conflict, NotFound, invalid

# --- conversions --------------------------------------------------------------------------------


def parse_uuid(value: object, field: str) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, str):
        try:
            return uuid.UUID(value)
        except ValueError:
            pass
    raise invalid(field, "must be a UUID")


def iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def iso_time(moment: datetime | None) -> str | None:
    """ISO time in UTC (a naive time is one stored in UTC)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat()


def facts(record: CreditRecord) -> RecordFacts:
    return RecordFacts(
        record_id=str(record.id),
        source_department=record.source_department,
        source_record_id=record.source_record_id,
        category=record.category,
        polarity=record.polarity,
        severity=record.severity,
        basis=record.basis,
        decided_on=record.decided_on,
        valid_until=record.valid_until,
        status=record.status,
    )


def record_to_dict(record: CreditRecord, today: date) -> dict[str, Any]:
    """A record as callers see it; ``status`` is the effective one (lapsed records: expired)."""
    return {
        "record_id": str(record.id),
        "subject_type": record.subject.subject_type,
        "subject_id": record.subject.subject_id,
        "department": record.source_department,
        "source_record_id": record.source_record_id,
        "category": record.category,
        "polarity": record.polarity,
        "severity": record.severity,
        "basis": record.basis,
        "summary": record.summary,
        "decided_on": iso(record.decided_on),
        "valid_until": iso(record.valid_until),
        "status": effective_status(record.status, record.valid_until, today),
        "status_note": record.status_note,
        "counts": facts(record).counts_on(today),
    }


def entry_to_dict(entry: ListEntry) -> dict[str, Any]:
    return {
        "list": entry.list_kind,
        "basis": entry.basis,
        "issuing_department": entry.issuing_department,
        "effective_on": iso(entry.effective_on),
        "expires_on": iso(entry.expires_on),
    }


def objection_to_dict(objection: Objection, today: date) -> dict[str, Any]:
    return {
        "objection_id": str(objection.id),
        "record_id": str(objection.record_id),
        "status": objection.status,
        "reason": objection.reason,
        "filed_on": iso(objection.filed_on),
        "decision": objection.decision,
        "decision_note": objection.decision_note,
        "corrections": objection.corrections,
        "resolved_by": objection.resolved_by,
        "resolved_on": iso(objection.resolved_on),
        "record": record_to_dict(objection.record, today),
    }


def list_change(subject: Any, kind: str, change: str, basis: str) -> dict[str, str]:
    return {
        "subject_type": subject.subject_type,
        "subject_id": subject.subject_id,
        "list": kind,
        "change": change,
        "basis": basis,
    }


# --- lookups ------------------------------------------------------------------------------------


def find_subject(session: Session, subject_type: str, subject_id: str) -> Subject | None:
    return session.scalar(
        select(Subject).where(
            Subject.subject_type == subject_type, Subject.subject_id == subject_id
        )
    )


def find_record(session: Session, department: str, source_record_id: str) -> CreditRecord | None:
    return session.scalar(
        select(CreditRecord).where(
            CreditRecord.source_department == department,
            CreditRecord.source_record_id == source_record_id,
        )
    )


def get_record(session: Session, record_id: object) -> CreditRecord:
    record = session.get(CreditRecord, parse_uuid(record_id, "record_id"))
    if record is None:
        raise NotFound("no such credit record")
    return record


def counting_facts(session: Session, subject: Subject) -> list[RecordFacts]:
    """The subject's records that may count (one indexed query on subject and status)."""
    records = session.scalars(
        select(CreditRecord).where(
            CreditRecord.subject_pk == subject.id,
            CreditRecord.status.in_(COUNTING_STATUSES),
        )
    )
    return [facts(record) for record in records]


def standing_entries(session: Session, subject: Subject, today: date) -> list[ListEntry]:
    """The subject's list entries in force today, black list first.

    An entry past ``expires_on`` is left out even before ``expire_records`` has removed it.
    """
    entries = session.scalars(
        select(ListEntry).where(
            ListEntry.subject_pk == subject.id,
            ListEntry.removed_on.is_(None),
            ListEntry.expires_on >= today,
        )
    )
    return sorted(entries, key=lambda entry: LIST_KINDS.index(entry.list_kind))


# --- collecting records -------------------------------------------------------------------------


def get_or_create_subject(session: Session, data: RecordInput) -> Subject:
    """The subject a record is about, created on its first record.

    Identity comes from the registries only: the name from ``platform.legal_entity_registered``
    (``name_subject``), an individual's card from the platform's answer to ``resolve_card``
    (the service puts it in ``card_number``). A department's own ``subject_name`` is ignored.
    """
    subject = find_subject(session, data.subject_type, data.subject_id)
    if subject is None:
        subject = Subject(subject_type=data.subject_type, subject_id=data.subject_id)
        session.add(subject)
        session.flush()
    if data.card_number is not None:
        subject.card_number = data.card_number
    return subject


def name_subject(session: Session, subject_type: str, credit_code: str, name: str) -> None:
    """Record the registered name of an enterprise or organisation (its file may come later)."""
    subject = find_subject(session, subject_type, credit_code)
    if subject is None:
        subject = Subject(subject_type=subject_type, subject_id=credit_code)
        session.add(subject)
    subject.name = name
    session.flush()


def validated_record(
    department: str, payload: Mapping[str, Any], today: date, rules: RuleSet = DEFAULT_RULES
) -> tuple[str, RecordInput]:
    """The department and the record as ``add_record`` stores them; errors name the field."""
    return validate_department(department), check_record_rules(
        load(RecordIn, payload), today, rules
    )


def add_record(
    session: Session,
    department: str,
    payload: Mapping[str, Any],
    today: date,
    rules: RuleSet = DEFAULT_RULES,
) -> tuple[dict[str, Any], bool, list[dict[str, str]]]:
    """Store a department's record: ``(record, created, list changes)``.

    Idempotent on ``(department, source_record_id)``: a second delivery returns the stored
    record unchanged with ``created=False`` and no list changes, even if other fields differ
    (later changes go through objections). Re-using an id for a different subject is a
    ``Conflict``: it can only be a mistake at the source.
    """
    department, data = validated_record(department, payload, today, rules)
    existing = find_record(session, department, data.source_record_id)
    if existing is not None:
        if (existing.subject.subject_type, existing.subject.subject_id) != (
            data.subject_type,
            data.subject_id,
        ):
            raise Conflict(
                f"{department} already recorded {data.source_record_id} about another subject",
                fields={"source_record_id": ["already used for another subject"]},
            )
        return record_to_dict(existing, today), False, []
    subject = get_or_create_subject(session, data)
    record = CreditRecord(
        subject_pk=subject.id,
        source_department=department,
        source_record_id=data.source_record_id,
        category=data.category,
        polarity=data.polarity,
        severity=data.severity,
        basis=data.basis,
        summary=data.summary,
        decided_on=data.decided_on,
        valid_until=data.valid_until,
        status=effective_status("active", data.valid_until, today),
    )
    session.add(record)
    session.flush()
    changes = reconcile_lists(session, subject, today, "record_added", rules)
    return record_to_dict(record, today), True, changes


# --- lists --------------------------------------------------------------------------------------


def reconcile_lists(
    session: Session,
    subject: Subject,
    today: date,
    cause: str,
    rules: RuleSet = DEFAULT_RULES,
) -> list[dict[str, str]]:
    """Make the subject's stored list entries match what the rules say today.

    New entries start today; entries the rules no longer support are closed (kept as history,
    ``removal_reason=cause``); standing entries get the current basis and expiry. Returns the
    additions and removals as ``credit.list_changed`` payloads.

    The subject row is locked first (``FOR NO KEY UPDATE``): a concurrent transaction changing
    another record of the same subject waits here until this one commits, and then counts this one's
    record too. Without it, two penalties arriving together could each miss the other and neither
    would list the subject. ``NO KEY`` so that it does not conflict with the key-share lock a record
    insert takes on its subject (which would deadlock two such transactions).
    """
    session.execute(
        select(Subject.id).where(Subject.id == subject.id).with_for_update(key_share=True)
    )
    desired = evaluate_lists(counting_facts(session, subject), today, rules)
    standing = {
        entry.list_kind: entry
        for entry in session.scalars(
            select(ListEntry).where(
                ListEntry.subject_pk == subject.id, ListEntry.removed_on.is_(None)
            )
        )
    }
    changes = follow_decisions(session, subject, desired, standing, today, cause)
    session.flush()
    return changes


def follow_decisions(
    session: Session,
    subject: Any,
    desired: Mapping[str, Any],
    standing: Mapping[str, ListEntry],
    today: date,
    cause: str,
) -> list[dict[str, str]]:
    """Change the subject's standing entries (``standing``, by kind) to what the rules want
    (``desired``: ``evaluate_lists``); not flushed. ``subject`` has ``id``, ``subject_type``
    and ``subject_id`` (a ``Subject``, or the batch path's plain key)."""
    changes: list[dict[str, str]] = []
    for kind in LIST_KINDS:
        entry, decision = standing.get(kind), desired.get(kind)
        if entry is not None and decision is None:
            entry.removed_on = today
            entry.removal_reason = cause
            changes.append(
                list_change(subject, kind, "removed", f"{cause}; was listed for: {entry.basis}")
            )
            continue
        if decision is None:
            continue
        if entry is None:
            entry = ListEntry(subject_pk=subject.id, list_kind=kind, effective_on=today)
            session.add(entry)
            changes.append(list_change(subject, kind, "added", decision.basis))
        entry.basis = decision.basis
        entry.basis_record_ids = list(decision.basis_record_ids)
        entry.trigger_ids = list(decision.trigger_ids)
        entry.issuing_department = decision.issuing_department
        entry.measures = {purpose: list(names) for purpose, names in decision.measures.items()}
        entry.expires_on = decision.expires_on
    return changes


def expire_records(
    session: Session, today: date, rules: RuleSet = DEFAULT_RULES
) -> list[dict[str, str]]:
    """The daily sweep: mark lapsed active records expired and re-evaluate affected subjects.

    Affected are subjects with a record lapsing now and subjects with a list entry past its
    ``expires_on`` (a record left a rule's window). Both queries are indexed. Returns the list
    changes, ``removed`` ones with cause ``basis_expired``.
    """
    lapsed = session.scalars(
        select(CreditRecord).where(
            CreditRecord.status == "active", CreditRecord.valid_until < today
        )
    ).all()
    subject_pks = {record.subject_pk for record in lapsed}
    for record in lapsed:
        record.status = next_record_status(record.status, "expire")
    subject_pks.update(
        session.scalars(
            select(ListEntry.subject_pk).where(
                ListEntry.removed_on.is_(None), ListEntry.expires_on < today
            )
        )
    )
    if not subject_pks:
        return []
    subjects = session.scalars(
        select(Subject).where(Subject.id.in_(subject_pks)).order_by(Subject.subject_id)
    )
    changes: list[dict[str, str]] = []
    for subject in subjects:
        changes.extend(reconcile_lists(session, subject, today, "basis_expired", rules))
    return changes
