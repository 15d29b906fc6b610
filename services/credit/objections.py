"""Objection and repair: a subject disputes a record, its source department decides; a
department confirms a credit repair. Same rules as ``repository.py``: a ``Session`` whose
transaction the caller owns, flushed and never committed, JSON-ready results."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, contains_eager

from services.credit.domain import (
    DEFAULT_RULES,
    RuleSet,
    check_repairable,
    effective_status,
    next_objection_status,
    next_record_status,
    required_text,
    validate_corrections,
    validate_decision,
    validate_department,
    validate_subject_id,
)
from services.credit.models import CreditRecord, Objection
from services.credit.repository import (
    get_record,
    objection_to_dict,
    parse_uuid,
    reconcile_lists,
    record_to_dict,
)
from shared.clock import city_today
from shared.contracts.common import load
from shared.contracts.credit import (
    CORRECTABLE_FIELDS,
    MAX_NOTE_LENGTH,
    ObjectionPageQuery,
)
from shared.errors import Forbidden, NotFound, invalid

# --- objection and repair -----------------------------------------------------------------------


def file_objection(
    session: Session,
    record_id: str,
    subject_id: str,
    reason: str,
    *,
    today: date | None = None,
) -> dict[str, Any]:
    """The subject disputes one of their records; the record goes ``under_objection``.

    It keeps counting, marked, until the source department decides (see ``domain``).
    ``today`` defaults to the current date. Lists do not change, so none are returned.
    """
    today = today or city_today()
    reason_text = required_text(reason, "reason", MAX_NOTE_LENGTH)
    record = get_record(session, record_id)
    subject = record.subject
    if validate_subject_id(subject.subject_type, subject_id) != subject.subject_id:
        raise Forbidden("the record is about another subject")
    status = effective_status(record.status, record.valid_until, today)
    record.status = next_record_status(status, "file_objection")
    objection = Objection(record=record, reason=reason_text, status="pending", filed_on=today)
    session.add(objection)
    session.flush()
    return objection_to_dict(objection, today)


def resolve_objection(
    session: Session,
    objection_id: str,
    department: str,
    decision: str,
    note: str,
    corrections: Mapping[str, Any] | None = None,
    *,
    today: date | None = None,
    rules: RuleSet = DEFAULT_RULES,
) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The source department decides an objection: ``(objection, list changes)``.

    ``uphold``: the record stands, active again. ``correct``: ``corrections`` (e.g.
    ``{"severity": "minor"}``) are applied, the record is active again and the changes are
    kept as ``{field: {"from", "to"}}``. ``revoke``: the record is revoked and stops counting.
    Only the record's source department may decide (``Forbidden``); a resolved objection
    cannot be decided again (``Conflict``). ``today`` defaults to the current date.
    """
    today = today or city_today()
    objection_uuid = parse_uuid(objection_id, "objection_id")
    department = validate_department(department)
    decision = validate_decision(decision)
    note_text = required_text(note, "note", MAX_NOTE_LENGTH)
    if decision == "correct" and corrections is None:
        raise invalid("corrections", "required when the decision is correct")
    if decision != "correct" and corrections is not None:
        raise invalid("corrections", "only allowed when the decision is correct")
    objection = session.get(Objection, objection_uuid)
    if objection is None:
        raise NotFound("no such objection")
    record = objection.record
    if record.source_department != department:
        raise Forbidden("only the record's source department can resolve the objection")
    objection_status = next_objection_status(objection.status, decision)
    record_status = next_record_status(record.status, decision)
    if decision == "correct":
        objection.corrections = _apply_corrections(record, corrections, today, rules)
    record.status = record_status
    record.status_note = note_text
    objection.status = objection_status
    objection.decision = decision
    objection.decision_note = note_text
    objection.resolved_by = department
    objection.resolved_on = today
    changes = reconcile_lists(
        session, record.subject, today, f"objection_{objection_status}", rules
    )
    return objection_to_dict(objection, today), changes


def _apply_corrections(
    record: CreditRecord, corrections: object, today: date, rules: RuleSet
) -> dict[str, dict[str, Any]]:
    current = {name: getattr(record, name) for name in CORRECTABLE_FIELDS}
    corrected = validate_corrections(corrections, current, today, rules)
    changed: dict[str, dict[str, Any]] = {}
    for name, value in corrected.items():
        if value != current[name]:
            setattr(record, name, value)
            changed[name] = {"from": _json_value(current[name]), "to": _json_value(value)}
    return changed


def _json_value(value: object) -> object:
    return value.isoformat() if isinstance(value, date) else value


def repair_record(
    session: Session,
    record_id: str,
    department: str,
    note: str,
    *,
    today: date | None = None,
    rules: RuleSet = DEFAULT_RULES,
) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """Credit repair: the subject made good, the source department confirms it.

    The negative, active record becomes ``repaired`` and stops counting; returns
    ``(record, list changes)``. Only the record's source department may confirm a repair
    (``Forbidden``): it is the one that knows the penalty was paid or the default cured.
    ``today`` defaults to the current date.
    """
    today = today or city_today()
    department = validate_department(department)
    note_text = required_text(note, "note", MAX_NOTE_LENGTH)
    record = get_record(session, record_id)
    if record.source_department != department:
        raise Forbidden("only the record's source department can confirm a repair")
    check_repairable(record.polarity)
    status = effective_status(record.status, record.valid_until, today)
    record.status = next_record_status(status, "repair")
    record.status_note = note_text
    changes = reconcile_lists(session, record.subject, today, "record_repaired", rules)
    return record_to_dict(record, today), changes


def objections_for_department(
    session: Session,
    department: str,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
    *,
    today: date | None = None,
) -> dict[str, Any]:
    """Objections to ``department``'s own records, by filing day: its review queue.

    Only the source department decides an objection (``resolve_objection``), so a department
    sees only objections to records it reported. ``status`` (one of ``OBJECTION_STATUSES``)
    narrows the page, e.g. to ``pending``. ``today`` (default: the current date) gives the
    records' effective status.
    """
    department = validate_department(department)
    query = {"limit": limit, "offset": offset, **({} if status is None else {"status": status})}
    page = load(ObjectionPageQuery, query)
    limit, offset = page["limit"], page["offset"]
    today = today or city_today()
    conditions = [CreditRecord.source_department == department]
    if status is not None:
        conditions.append(Objection.status == status)
    matching = (
        select(Objection)
        .join(CreditRecord, Objection.record_id == CreditRecord.id)
        .where(*conditions)
    )
    total = session.scalar(select(func.count()).select_from(matching.subquery()))
    objections = session.scalars(
        matching.options(contains_eager(Objection.record).joinedload(CreditRecord.subject))
        .order_by(Objection.filed_on, Objection.id)
        .limit(limit)
        .offset(offset)
    )
    return {
        "items": [objection_to_dict(objection, today) for objection in objections],
        "total": total,
        "limit": limit,
        "offset": offset,
    }
