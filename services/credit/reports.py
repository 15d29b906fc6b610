"""The credit service's reads: departments' checks (logged), subjects' reports, the public
summary and the published lists. Same rules as ``repository.py``: a ``Session`` whose
transaction the caller owns, flushed and never committed, JSON-ready results."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.orm import Session

from services.credit.check_query import read_check_file
from services.credit.domain import (
    DEFAULT_RULES,
    LEGAL_ENTITY_TYPES,
    RuleSet,
    measures_for,
    optional_text,
    rate,
    validate_department,
    validate_feedback_action,
    validate_purpose,
)
from services.credit.models import CreditCheck, CreditRecord, ListEntry, Objection, Subject
from services.credit.repository import (
    counting_facts,
    entry_to_dict,
    facts,
    find_subject,
    iso,
    iso_time,
    objection_to_dict,
    parse_uuid,
    record_to_dict,
    standing_entries,
)
from shared.clock import city_today
from shared.contracts.common import load
from shared.contracts.credit import (
    LIST_KINDS,
    MAX_NOTE_LENGTH,
    ListPageQuery,
    SubjectKeyIn,
)
from shared.errors import Conflict, Forbidden, NotFound, invalid
from shared.identity import validate_credit_code

# --- joint rewards and punishment: the check ----------------------------------------------------


# Built once, values as parameters: ``insert(...).values(...)`` made anew for each check took
# almost three times as long.
_LOG_CHECK = insert(CreditCheck.__table__)


def check(
    session: Session,
    subject_type: str,
    subject_id: str,
    purpose: str,
    requesting_department: str,
    today: date,
    rules: RuleSet = DEFAULT_RULES,
) -> dict[str, Any]:
    """A department's credit check before granting ``purpose``: level, lists, measures, why.

    Two statements (``check_query``: the subject with its counting records and standing list
    entries, in one; then the insert of the check log), Core rather than the ORM's unit of
    work: this runs inside other departments' requests. A subject with no file is rated from
    the start score with no lists (and logged like any other check).
    """
    subject = load(SubjectKeyIn, {"subject_type": subject_type, "subject_id": subject_id})
    subject_type, subject_id = subject["subject_type"], subject["subject_id"]
    purpose = validate_purpose(purpose, rules)
    department = validate_department(requesting_department, "requesting_department")
    found = read_check_file(session, subject_type, subject_id, today)
    kinds = [entry["list"] for entry in found.entries]
    rating = rate(found.facts, today, kinds, rules)
    measures = measures_for(kinds, purpose, rules)
    reasons = [] if found.on_file else ["no credit file: no records on file"]
    reasons += [
        f"on the {entry['list']} list from {entry['effective_on']} to {entry['expires_on']}: "
        f"{entry['basis']}"
        for entry in found.entries
    ]
    reasons += [f"{measure}: {kind} list measure for {purpose}" for kind, measure in measures]
    reasons += rating.explain()
    check_id = uuid.uuid4()
    result = {
        "check_id": str(check_id),
        "subject_type": subject_type,
        "subject_id": subject_id,
        "purpose": purpose,
        "requesting_department": department,
        "checked_on": today.isoformat(),
        "level": rating.level,
        "score": rating.score,
        "lists": found.entries,
        "measures": [measure for _, measure in measures],
        "reasons": reasons,
        "rules_version": rules.version,
    }
    session.execute(
        _LOG_CHECK,
        {
            "id": check_id,
            "subject_type": subject_type,
            "subject_id": subject_id,
            "purpose": purpose,
            "requesting_department": department,
            "checked_on": today,
            "level": rating.level,
            "result": result,
        },
    )
    return result


def record_check_feedback(
    session: Session,
    check_id: str,
    department: str,
    action_taken: str,
    note: str | None,
    rules: RuleSet = DEFAULT_RULES,
) -> dict[str, Any]:
    """Store what the requesting department did after a check; only it may say, and once.

    Joint punishment is only as good as its follow-through: the feedback lets the credit
    office see whether measures were applied.
    """
    check_uuid = parse_uuid(check_id, "check_id")
    department = validate_department(department)
    action = validate_feedback_action(action_taken, rules)
    note_text = optional_text(note, "note", MAX_NOTE_LENGTH)
    log = session.get(CreditCheck, check_uuid)
    if log is None:
        raise NotFound("no such credit check")
    if log.requesting_department != department:
        raise Forbidden("only the department that made the check can give feedback on it")
    if log.feedback_action is not None:
        raise Conflict("feedback on this check was already given")
    log.feedback_action = action
    log.feedback_note = note_text
    log.feedback_at = datetime.now(UTC)
    session.flush()
    return {
        "check_id": str(log.id),
        "department": department,
        "action_taken": action,
        "note": note_text,
        "recorded_at": iso_time(log.feedback_at),
    }


# --- reports ------------------------------------------------------------------------------------


def subject_report(
    session: Session,
    subject_type: str,
    subject_id: str,
    today: date,
    rules: RuleSet = DEFAULT_RULES,
    *,
    empty_if_unknown: bool = False,
) -> dict[str, Any]:
    """A subject's whole credit file: rating with its contributions, records, lists, objections.

    For the subject themself and authorised departments (the gateway decides who). A subject
    with no records has no file: ``NotFound``, unless ``empty_if_unknown`` (a resident reading
    their own file), which gives the empty file: the level of no records, and nothing else.
    """
    subject = load(SubjectKeyIn, {"subject_type": subject_type, "subject_id": subject_id})
    subject_type, subject_id = subject["subject_type"], subject["subject_id"]
    subject = find_subject(session, subject_type, subject_id)
    if subject is None and empty_if_unknown:
        subject = Subject(subject_type=subject_type, subject_id=subject_id)  # not stored
        return _report(subject, [], [], [], today, rules)
    if subject is None:
        raise NotFound("no credit file for this subject")
    records = session.scalars(
        select(CreditRecord)
        .where(CreditRecord.subject_pk == subject.id)
        .order_by(CreditRecord.decided_on.desc(), CreditRecord.source_record_id)
    ).all()
    entries = standing_entries(session, subject, today)
    objections = session.scalars(
        select(Objection)
        .join(CreditRecord, Objection.record_id == CreditRecord.id)
        .where(CreditRecord.subject_pk == subject.id)
        .order_by(Objection.filed_on, Objection.id)
    )
    return _report(subject, records, entries, objections, today, rules)


def _report(
    subject: Subject,
    records: Sequence[CreditRecord],
    entries: Sequence[ListEntry],
    objections: Iterable[Objection],
    today: date,
    rules: RuleSet,
) -> dict[str, Any]:
    rating = rate(
        [facts(record) for record in records], today, [e.list_kind for e in entries], rules
    )
    return {
        "subject_type": subject.subject_type,
        "subject_id": subject.subject_id,
        "name": subject.name,
        **rating.to_dict(),
        "explanation": rating.explain(),
        "records": [record_to_dict(record, today) for record in records],
        "lists": [{**entry_to_dict(entry), "measures": entry.measures} for entry in entries],
        "objections": [objection_to_dict(objection, today) for objection in objections],
        "rules_version": rules.version,
    }


def checked_subject(session: Session, check_id: str) -> tuple[str, str]:
    """``(subject_type, subject_id)`` of a logged check: whose data its feedback is about."""
    log = session.get(CreditCheck, parse_uuid(check_id, "check_id"))
    if log is None:
        raise NotFound("no such credit check")
    return log.subject_type, log.subject_id


def public_summary(
    session: Session, credit_code: str, today: date, rules: RuleSet = DEFAULT_RULES
) -> dict[str, Any]:
    """What anyone may see about an enterprise or organisation: name, level, lists.

    No records, no score breakdown, nothing about individuals (an individual is ``NotFound``
    here even when the value happens to pass as a credit code).
    """
    code = validate_credit_code(credit_code, "credit_code")
    subject = session.scalar(
        select(Subject).where(
            Subject.subject_id == code, Subject.subject_type.in_(LEGAL_ENTITY_TYPES)
        )
    )
    if subject is None:
        raise NotFound("no credit file for this credit code")
    entries = standing_entries(session, subject, today)
    rating = rate(counting_facts(session, subject), today, [e.list_kind for e in entries], rules)
    return {
        "credit_code": code,
        "name": subject.name,
        "level": rating.level,
        "lists": [
            {
                "list": entry.list_kind,
                "basis": entry.basis,
                "effective_on": iso(entry.effective_on),
                "expires_on": iso(entry.expires_on),
            }
            for entry in entries
        ],
    }


_STANDING = (
    select(
        Subject.subject_id,
        Subject.name,
        Subject.subject_type,
        ListEntry.list_kind,
        ListEntry.basis,
        ListEntry.issuing_department,
        ListEntry.effective_on,
        ListEntry.expires_on,
    )
    .join(Subject, ListEntry.subject_pk == Subject.id)
    .where(
        ListEntry.list_kind == bindparam("kind"),
        ListEntry.removed_on.is_(None),
        ListEntry.expires_on >= bindparam("today"),
        Subject.subject_type.in_(LEGAL_ENTITY_TYPES),
    )
)
# The page and the number of entries in one statement (a window count), built once; the count
# alone only for a page past the end. Columns, not ORM objects: nothing here is changed.
_PUBLISHED_PAGE = (
    _STANDING.add_columns(func.count().over().label("total"))
    .order_by(ListEntry.effective_on.desc(), Subject.subject_id)
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)
_PUBLISHED_COUNT = select(func.count()).select_from(_STANDING.subquery())


def published_list(
    session: Session,
    kind: str,
    limit: int = 50,
    offset: int = 0,
    *,
    today: date | None = None,
) -> dict[str, Any]:
    """The published red or black list: enterprises and organisations only, newest first.

    Individuals on a list are never published (personal privacy); departments see them
    through ``check``. ``today`` (default: the current date) hides entries past their expiry.
    """
    if kind not in LIST_KINDS:
        raise invalid("kind", f"must be one of {', '.join(LIST_KINDS)}")
    page = load(ListPageQuery, {"limit": limit, "offset": offset})
    limit, offset = page["limit"], page["offset"]
    today = today or city_today()
    params = {"kind": kind, "today": today, "limit": limit, "offset": offset}
    session.flush()  # as the ORM's execute would: Core on the connection does not autoflush
    rows = session.connection().execute(_PUBLISHED_PAGE, params).all()
    if rows:
        total = rows[0].total
    elif offset:  # a page past the end: the count alone
        total = session.connection().execute(_PUBLISHED_COUNT, params).scalar_one()
    else:
        total = 0
    return {
        "items": [
            {
                "credit_code": row.subject_id,
                "name": row.name,
                "subject_type": row.subject_type,
                **entry_to_dict(row),
            }
            for row in rows
        ],
        "total": total,
        "limit": limit,
        "offset": offset,
    }
