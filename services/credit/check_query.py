"""What a credit check reads, in one statement: on other departments' hot path.

A check needs the subject's key, its records that may count and its list entries in force. Read
as three ORM queries that was three round trips to PostgreSQL and the ORM's identity map for
rows that are only read; here it is one indexed statement (the subject by its unique key, two
correlated subqueries on ``ix_credit_records_subject_status`` and
``ix_credit_list_entries_subject`` that PostgreSQL aggregates to JSON), built once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Date, bindparam, func, select
from sqlalchemy.orm import Session

from services.credit.domain import COUNTING_STATUSES, RecordFacts
from services.credit.models import CreditRecord, ListEntry, Subject
from shared.contracts.credit import LIST_KINDS

_RECORD_COLUMNS = (
    "source_department",
    "source_record_id",
    "category",
    "polarity",
    "severity",
    "basis",
    "decided_on",
    "valid_until",
    "status",
)
_ENTRY_COLUMNS = {  # the shape of ``repository.entry_to_dict``
    "list": ListEntry.list_kind,
    "basis": ListEntry.basis,
    "issuing_department": ListEntry.issuing_department,
    "effective_on": ListEntry.effective_on,
    "expires_on": ListEntry.expires_on,
}


def _json_pairs(columns: dict[str, Any]) -> list[Any]:
    return [part for name, column in columns.items() for part in (name, column)]


_RECORDS = (
    select(
        func.json_agg(
            func.json_build_object(
                *_json_pairs(
                    {
                        "record_id": CreditRecord.id,
                        **{name: getattr(CreditRecord, name) for name in _RECORD_COLUMNS},
                    }
                )
            )
        )
    )
    .where(CreditRecord.subject_pk == Subject.id, CreditRecord.status.in_(COUNTING_STATUSES))
    .scalar_subquery()
)
_ENTRIES = (
    select(func.json_agg(func.json_build_object(*_json_pairs(_ENTRY_COLUMNS))))
    .where(
        ListEntry.subject_pk == Subject.id,
        ListEntry.removed_on.is_(None),
        ListEntry.expires_on >= bindparam("today", type_=Date),
    )
    .scalar_subquery()
)
_CHECK_FILE = select(Subject.id, _RECORDS, _ENTRIES).where(
    Subject.subject_type == bindparam("subject_type"),
    Subject.subject_id == bindparam("subject_id"),
)


@dataclass(frozen=True)
class CheckFile:
    on_file: bool
    """False: no credit file (rated from the start score, no lists)."""
    facts: list[RecordFacts]
    entries: list[dict[str, Any]]
    """Entries in force today as ``entry_to_dict`` gives them, black list first."""


def read_check_file(session: Session, subject_type: str, subject_id: str, today: date) -> CheckFile:
    row = session.execute(
        _CHECK_FILE, {"subject_type": subject_type, "subject_id": subject_id, "today": today}
    ).first()
    if row is None:
        return CheckFile(False, [], [])
    _, records, entries = row
    facts = [
        RecordFacts(
            **{
                **raw,
                "decided_on": date.fromisoformat(raw["decided_on"]),
                "valid_until": date.fromisoformat(raw["valid_until"]),
            }
        )
        for raw in records or []
    ]
    ordered = sorted(entries or [], key=lambda entry: LIST_KINDS.index(entry["list"]))
    return CheckFile(True, facts, ordered)
