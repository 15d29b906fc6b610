"""The credit service's database functions: load rows, apply ``domain``, store the outcome.

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
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, contains_eager

from services.credit.domain import (
    COUNTING_STATUSES,
    DEFAULT_RULES,
    LEGAL_ENTITY_TYPES,
    RecordFacts,
    RecordInput,
    RuleSet,
    check_record_rules,
    check_repairable,
    effective_status,
    evaluate_lists,
    measures_for,
    next_objection_status,
    next_record_status,
    optional_text,
    rate,
    required_text,
    validate_corrections,
    validate_decision,
    validate_department,
    validate_feedback_action,
    validate_purpose,
    validate_subject_id,
)
from services.credit.models import CreditCheck, CreditRecord, ListEntry, Objection, Subject
from shared.contracts.common import load
from shared.contracts.credit import (
    CORRECTABLE_FIELDS,
    LIST_KINDS,
    MAX_NOTE_LENGTH,
    ListPageQuery,
    ObjectionPageQuery,
    RecordIn,
    SubjectKeyIn,
)
from shared.errors import Conflict, Forbidden, NotFound, invalid
from shared.identity import validate_credit_code

# --- conversions --------------------------------------------------------------------------------


def _parse_uuid(value: object, field: str) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, str):
        try:
            return uuid.UUID(value)
        except ValueError:
            pass
    raise invalid(field, "must be a UUID")


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _iso_time(moment: datetime | None) -> str | None:
    """ISO time in UTC (a naive time is one stored in UTC)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat()


def _facts(record: CreditRecord) -> RecordFacts:
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
        "decided_on": _iso(record.decided_on),
        "valid_until": _iso(record.valid_until),
        "status": effective_status(record.status, record.valid_until, today),
        "status_note": record.status_note,
        "counts": _facts(record).counts_on(today),
    }


def _entry_to_dict(entry: ListEntry) -> dict[str, Any]:
    return {
        "list": entry.list_kind,
        "basis": entry.basis,
        "issuing_department": entry.issuing_department,
        "effective_on": _iso(entry.effective_on),
        "expires_on": _iso(entry.expires_on),
    }


def _objection_to_dict(objection: Objection, today: date) -> dict[str, Any]:
    return {
        "objection_id": str(objection.id),
        "record_id": str(objection.record_id),
        "status": objection.status,
        "reason": objection.reason,
        "filed_on": _iso(objection.filed_on),
        "decision": objection.decision,
        "decision_note": objection.decision_note,
        "corrections": objection.corrections,
        "resolved_by": objection.resolved_by,
        "resolved_on": _iso(objection.resolved_on),
        "record": record_to_dict(objection.record, today),
    }


def _list_change(subject: Subject, kind: str, change: str, basis: str) -> dict[str, str]:
    return {
        "subject_type": subject.subject_type,
        "subject_id": subject.subject_id,
        "list": kind,
        "change": change,
        "basis": basis,
    }


# --- lookups ------------------------------------------------------------------------------------


def _find_subject(session: Session, subject_type: str, subject_id: str) -> Subject | None:
    return session.scalar(
        select(Subject).where(
            Subject.subject_type == subject_type, Subject.subject_id == subject_id
        )
    )


def _find_record(session: Session, department: str, source_record_id: str) -> CreditRecord | None:
    return session.scalar(
        select(CreditRecord).where(
            CreditRecord.source_department == department,
            CreditRecord.source_record_id == source_record_id,
        )
    )


def _get_record(session: Session, record_id: object) -> CreditRecord:
    record = session.get(CreditRecord, _parse_uuid(record_id, "record_id"))
    if record is None:
        raise NotFound("no such credit record")
    return record


def _counting_facts(session: Session, subject: Subject) -> list[RecordFacts]:
    """The subject's records that may count (one indexed query on subject and status)."""
    records = session.scalars(
        select(CreditRecord).where(
            CreditRecord.subject_pk == subject.id,
            CreditRecord.status.in_(COUNTING_STATUSES),
        )
    )
    return [_facts(record) for record in records]


def _standing_entries(session: Session, subject: Subject, today: date) -> list[ListEntry]:
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


def _get_or_create_subject(session: Session, data: RecordInput) -> Subject:
    """The subject a record is about, created on its first record; name and card kept current."""
    subject = _find_subject(session, data.subject_type, data.subject_id)
    if subject is None:
        subject = Subject(subject_type=data.subject_type, subject_id=data.subject_id)
        session.add(subject)
        session.flush()
    if data.subject_name is not None:
        subject.name = data.subject_name
    if data.card_number is not None:
        subject.card_number = data.card_number
    return subject


def name_subject(session: Session, subject_type: str, credit_code: str, name: str) -> None:
    """Record the registered name of an enterprise or organisation (its file may come later)."""
    subject = _find_subject(session, subject_type, credit_code)
    if subject is None:
        subject = Subject(subject_type=subject_type, subject_id=credit_code)
        session.add(subject)
    subject.name = name
    session.flush()


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
    department = validate_department(department)
    data = check_record_rules(load(RecordIn, payload), today, rules)
    existing = _find_record(session, department, data.source_record_id)
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
    subject = _get_or_create_subject(session, data)
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
    desired = evaluate_lists(_counting_facts(session, subject), today, rules)
    standing = {
        entry.list_kind: entry
        for entry in session.scalars(
            select(ListEntry).where(
                ListEntry.subject_pk == subject.id, ListEntry.removed_on.is_(None)
            )
        )
    }
    changes: list[dict[str, str]] = []
    for kind in LIST_KINDS:
        entry, decision = standing.get(kind), desired.get(kind)
        if entry is not None and decision is None:
            entry.removed_on = today
            entry.removal_reason = cause
            changes.append(
                _list_change(subject, kind, "removed", f"{cause}; was listed for: {entry.basis}")
            )
            continue
        if decision is None:
            continue
        if entry is None:
            entry = ListEntry(subject_pk=subject.id, list_kind=kind, effective_on=today)
            session.add(entry)
            changes.append(_list_change(subject, kind, "added", decision.basis))
        entry.basis = decision.basis
        entry.basis_record_ids = list(decision.basis_record_ids)
        entry.trigger_ids = list(decision.trigger_ids)
        entry.issuing_department = decision.issuing_department
        entry.measures = {purpose: list(names) for purpose, names in decision.measures.items()}
        entry.expires_on = decision.expires_on
    session.flush()
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


# --- joint rewards and punishment: the check ----------------------------------------------------


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

    Four indexed statements: the subject by key, its counting records, its standing list
    entries, and the insert of the check log. A subject with no file is rated from the start
    score with no lists (and logged like any other check).
    """
    subject = load(SubjectKeyIn, {"subject_type": subject_type, "subject_id": subject_id})
    subject_type, subject_id = subject["subject_type"], subject["subject_id"]
    purpose = validate_purpose(purpose, rules)
    department = validate_department(requesting_department, "requesting_department")
    subject = _find_subject(session, subject_type, subject_id)
    facts: list[RecordFacts] = []
    entries: list[ListEntry] = []
    if subject is not None:
        facts = _counting_facts(session, subject)
        entries = _standing_entries(session, subject, today)
    kinds = [entry.list_kind for entry in entries]
    rating = rate(facts, today, kinds, rules)
    measures = measures_for(kinds, purpose, rules)
    reasons = [] if subject is not None else ["no credit file: no records on file"]
    reasons += [
        f"on the {entry.list_kind} list from {entry.effective_on} to {entry.expires_on}: "
        f"{entry.basis}"
        for entry in entries
    ]
    reasons += [f"{measure}: {kind} list measure for {purpose}" for kind, measure in measures]
    reasons += rating.explain()
    log = CreditCheck(
        id=uuid.uuid4(),
        subject_type=subject_type,
        subject_id=subject_id,
        purpose=purpose,
        requesting_department=department,
        checked_on=today,
        level=rating.level,
    )
    result = {
        "check_id": str(log.id),
        "subject_type": subject_type,
        "subject_id": subject_id,
        "purpose": purpose,
        "requesting_department": department,
        "checked_on": today.isoformat(),
        "level": rating.level,
        "score": rating.score,
        "lists": [_entry_to_dict(entry) for entry in entries],
        "measures": [measure for _, measure in measures],
        "reasons": reasons,
        "rules_version": rules.version,
    }
    log.result = result
    session.add(log)
    session.flush()
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
    check_uuid = _parse_uuid(check_id, "check_id")
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
        "recorded_at": _iso_time(log.feedback_at),
    }


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
    today = today or date.today()
    reason_text = required_text(reason, "reason", MAX_NOTE_LENGTH)
    record = _get_record(session, record_id)
    subject = record.subject
    if validate_subject_id(subject.subject_type, subject_id) != subject.subject_id:
        raise Forbidden("the record is about another subject")
    status = effective_status(record.status, record.valid_until, today)
    record.status = next_record_status(status, "file_objection")
    objection = Objection(record=record, reason=reason_text, status="pending", filed_on=today)
    session.add(objection)
    session.flush()
    return _objection_to_dict(objection, today)


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
    today = today or date.today()
    objection_uuid = _parse_uuid(objection_id, "objection_id")
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
    return _objection_to_dict(objection, today), changes


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
    today = today or date.today()
    department = validate_department(department)
    note_text = required_text(note, "note", MAX_NOTE_LENGTH)
    record = _get_record(session, record_id)
    if record.source_department != department:
        raise Forbidden("only the record's source department can confirm a repair")
    check_repairable(record.polarity)
    status = effective_status(record.status, record.valid_until, today)
    record.status = next_record_status(status, "repair")
    record.status_note = note_text
    changes = reconcile_lists(session, record.subject, today, "record_repaired", rules)
    return record_to_dict(record, today), changes


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
    subject = _find_subject(session, subject_type, subject_id)
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
    entries = _standing_entries(session, subject, today)
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
        [_facts(record) for record in records], today, [e.list_kind for e in entries], rules
    )
    return {
        "subject_type": subject.subject_type,
        "subject_id": subject.subject_id,
        "name": subject.name,
        **rating.to_dict(),
        "explanation": rating.explain(),
        "records": [record_to_dict(record, today) for record in records],
        "lists": [{**_entry_to_dict(entry), "measures": entry.measures} for entry in entries],
        "objections": [_objection_to_dict(objection, today) for objection in objections],
        "rules_version": rules.version,
    }


def subject_card_number(session: Session, subject_type: str, subject_id: str) -> str | None:
    """The citizen card number stored on a subject, if any: whom to name in an access audit."""
    return session.scalar(
        select(Subject.card_number).where(
            Subject.subject_type == subject_type, Subject.subject_id == subject_id
        )
    )


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
    entries = _standing_entries(session, subject, today)
    rating = rate(_counting_facts(session, subject), today, [e.list_kind for e in entries], rules)
    return {
        "credit_code": code,
        "name": subject.name,
        "level": rating.level,
        "lists": [
            {
                "list": entry.list_kind,
                "basis": entry.basis,
                "effective_on": _iso(entry.effective_on),
                "expires_on": _iso(entry.expires_on),
            }
            for entry in entries
        ],
    }


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
    today = today or date.today()
    standing = (
        select(ListEntry, Subject)
        .join(Subject, ListEntry.subject_pk == Subject.id)
        .where(
            ListEntry.list_kind == kind,
            ListEntry.removed_on.is_(None),
            ListEntry.expires_on >= today,
            Subject.subject_type.in_(LEGAL_ENTITY_TYPES),
        )
    )
    total = session.scalar(select(func.count()).select_from(standing.subquery()))
    rows = session.execute(
        standing.order_by(ListEntry.effective_on.desc(), Subject.subject_id)
        .limit(limit)
        .offset(offset)
    )
    return {
        "items": [
            {
                "credit_code": subject.subject_id,
                "name": subject.name,
                "subject_type": subject.subject_type,
                **_entry_to_dict(entry),
            }
            for entry, subject in rows
        ],
        "total": total,
        "limit": limit,
        "offset": offset,
    }


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
    today = today or date.today()
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
        "items": [_objection_to_dict(objection, today) for objection in objections],
        "total": total,
        "limit": limit,
        "offset": offset,
    }
