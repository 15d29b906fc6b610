"""A batch of department records stored in a few statements (the event handlers' fast path).

``repository.add_record`` stores one record in about eight statements (the record looked up by
its source, the subject looked up and inserted, the record inserted, the subject locked, its
counting records and standing entries read). For a batch of events that is per event; here it
is per batch, in SQLAlchemy Core:

1. every subject of the batch upserted in one ``INSERT … ON CONFLICT DO UPDATE … RETURNING``
   (sorted by key, so two batches lock shared subjects in the same order). The update of an
   existing subject is its row lock, as ``reconcile_lists``'s ``FOR NO KEY UPDATE``: a
   concurrent batch with a record of the same subject waits for this one to commit and then
   counts its record;
2. every record in one ``INSERT … ON CONFLICT (source) DO NOTHING RETURNING``;
3. the counting records and the standing list entries of all those subjects, one read each;
   the lists are then reconciled once per subject (``domain.evaluate_lists``), not per record.

A record that was already stored (a department re-sent it under a new event id) is not handled
here: ``RecordExists`` is raised, the caller's batch falls back to the one-event-at-a-time path
(``shared.event_batches.apply_batch``), whose ``add_record`` gives that repeat its exact
answer (``created=False``, a ``Conflict`` for another subject, the audit of the read).
Functions flush and never commit, as ``repository``'s.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from services.credit.domain import (
    COUNTING_STATUSES,
    DEFAULT_RULES,
    RecordFacts,
    RuleSet,
    effective_status,
    evaluate_lists,
)
from services.credit.models import CreditRecord, ListEntry, Subject
from services.credit.repository import follow_decisions, validated_record
from shared.clock import utcnow

subjects_table = Subject.__table__
records_table = CreditRecord.__table__


# Built once (compiled once, from SQLAlchemy's cache after that); executed with a list of rows,
# each is one multi-row statement ("insertmanyvalues").
_INSERT_RECORDS = (
    insert(records_table)
    .on_conflict_do_nothing(constraint="uq_credit_record_source")
    .returning(records_table.c.id)
)
_upsert = insert(subjects_table)
_UPSERT_SUBJECTS = _upsert.on_conflict_do_update(
    constraint="uq_credit_subject_key",
    # An update even when the card stays: it locks the existing subject (see above).
    set_={"card_number": func.coalesce(_upsert.excluded.card_number, subjects_table.c.card_number)},
).returning(subjects_table.c.id, subjects_table.c.subject_type, subjects_table.c.subject_id)


class RecordExists(Exception):
    """A record of the batch was stored before (or twice in the batch): take the slow path."""


@dataclass(frozen=True)
class SubjectKey:
    """What ``repository.follow_decisions`` needs of a subject."""

    id: uuid.UUID
    subject_type: str
    subject_id: str


def add_records(
    session: Session,
    items: Sequence[tuple[str, Mapping[str, Any]]],
    today: date,
    rules: RuleSet = DEFAULT_RULES,
) -> tuple[list[dict[str, Any]], dict[tuple[str, str], list[dict[str, str]]]]:
    """Store new records, ``(department, payload)`` each, as ``add_record`` would one by one.

    Returns each record (the fields its ``credit.record_added`` event carries) in ``items``'
    order, and the list changes by subject key ``(subject_type, subject_id)``. Raises what
    validation raises, and ``RecordExists``.
    """
    validated = [
        validated_record(department, payload, today, rules) for department, payload in items
    ]
    subjects = _upsert_subjects(session, [data for _, data in validated])
    now = utcnow()
    rows = [
        {
            "id": uuid.uuid4(),
            "subject_pk": subjects[(data.subject_type, data.subject_id)].id,
            "source_department": department,
            "source_record_id": data.source_record_id,
            "category": data.category,
            "polarity": data.polarity,
            "severity": data.severity,
            "basis": data.basis,
            "summary": data.summary,
            "decided_on": data.decided_on,
            "valid_until": data.valid_until,
            "status": effective_status("active", data.valid_until, today),
            "status_note": None,
            "created_at": now,
            "updated_at": now,
        }
        for department, data in validated
    ]
    # In key order, as the subjects: overlapping batches then wait for each other, never in a
    # circle.
    in_key_order = sorted(rows, key=lambda r: (r["source_department"], r["source_record_id"]))
    inserted = session.execute(_INSERT_RECORDS, in_key_order).scalars()
    if len(set(inserted)) != len(rows):
        raise RecordExists("a record of the batch is stored already")
    changes = _reconcile(session, list(subjects.values()), today, rules)
    records = [
        {
            "record_id": str(row["id"]),
            "subject_type": data.subject_type,
            "subject_id": data.subject_id,
            "department": row["source_department"],
            "category": row["category"],
            "polarity": row["polarity"],
            "severity": row["severity"],
        }
        for row, (_, data) in zip(rows, validated, strict=True)
    ]
    return records, changes


def _upsert_subjects(session: Session, records: Sequence[Any]) -> dict[tuple[str, str], SubjectKey]:
    """Every subject of the batch, created if new, its registry card kept (the last one the
    batch names, as record after record would leave it), each row locked until commit."""
    cards: dict[tuple[str, str], str | None] = {}
    for data in records:
        key = (data.subject_type, data.subject_id)
        cards[key] = data.card_number if data.card_number is not None else cards.get(key)
    now = utcnow()
    rows = [
        {
            "id": uuid.uuid4(),
            "subject_type": subject_type,
            "subject_id": subject_id,
            "card_number": cards[(subject_type, subject_id)],
            "name": None,
            "created_at": now,
        }
        for subject_type, subject_id in sorted(cards)
    ]
    return {
        (row.subject_type, row.subject_id): SubjectKey(row.id, row.subject_type, row.subject_id)
        for row in session.execute(_UPSERT_SUBJECTS, rows)
    }


def _reconcile(
    session: Session, subjects: list[SubjectKey], today: date, rules: RuleSet
) -> dict[tuple[str, str], list[dict[str, str]]]:
    """``repository.reconcile_lists`` for many subjects: two reads in all, writes only where a
    list changes (the subjects are locked by ``_upsert_subjects``)."""
    pks = [subject.id for subject in subjects]
    facts: dict[uuid.UUID, list[RecordFacts]] = {pk: [] for pk in pks}
    counting = session.execute(
        select(records_table).where(
            records_table.c.subject_pk.in_(pks), records_table.c.status.in_(COUNTING_STATUSES)
        )
    )
    for row in counting:
        facts[row.subject_pk].append(
            RecordFacts(
                record_id=str(row.id),
                source_department=row.source_department,
                source_record_id=row.source_record_id,
                category=row.category,
                polarity=row.polarity,
                severity=row.severity,
                basis=row.basis,
                decided_on=row.decided_on,
                valid_until=row.valid_until,
                status=row.status,
            )
        )
    standing: dict[uuid.UUID, dict[str, ListEntry]] = {pk: {} for pk in pks}
    for entry in session.scalars(
        select(ListEntry).where(ListEntry.subject_pk.in_(pks), ListEntry.removed_on.is_(None))
    ):
        standing[entry.subject_pk][entry.list_kind] = entry
    changes = {}
    for subject in subjects:
        desired = evaluate_lists(facts[subject.id], today, rules)
        if desired or standing[subject.id]:
            found = follow_decisions(
                session, subject, desired, standing[subject.id], today, "record_added"
            )
            if found:
                changes[(subject.subject_type, subject.subject_id)] = found
    session.flush()
    return changes
