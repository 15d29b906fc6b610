"""Record and objection life cycles, and the checks on input that need the rule data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from services.credit.domain.rules import (
    DEFAULT_RULES,
    RuleSet,
    one_of,
)
from shared.contracts.credit import (
    CORRECTABLE_FIELDS,
    MAX_BASIS_LENGTH,
    MAX_CODE_LENGTH,
    MAX_NOTE_LENGTH,
    OBJECTION_DECISIONS,
    POLARITIES,
    SEVERITIES,
)
from shared.errors import Conflict, invalid
from shared.identity import (
    validate_credit_code,
    validate_resident_id,
)

# --- record and objection life cycle ------------------------------------------------------------

RECORD_TRANSITIONS: Mapping[tuple[str, str], str] = {
    ("active", "file_objection"): "under_objection",
    ("under_objection", "uphold"): "active",
    ("under_objection", "correct"): "active",
    ("under_objection", "revoke"): "revoked",
    ("active", "repair"): "repaired",
    ("active", "expire"): "expired",
}

OBJECTION_TRANSITIONS: Mapping[tuple[str, str], str] = {
    ("pending", "uphold"): "upheld",
    ("pending", "correct"): "corrected",
    ("pending", "revoke"): "revoked",
}


def next_record_status(status: str, event: str) -> str:
    """The record status after ``event``; anything not in the table is a ``Conflict``.

    Only an active record can be objected to, repaired or expired; only a record under
    objection can be upheld, corrected or revoked; repaired, revoked and expired are final.
    """
    try:
        return RECORD_TRANSITIONS[(status, event)]
    except KeyError:
        raise Conflict(f"a record that is {status} cannot take '{event}'") from None


def validate_decision(decision: object) -> str:
    return one_of(decision, "decision", OBJECTION_DECISIONS)


def next_objection_status(status: str, decision: str) -> str:
    """The objection status after the source department's ``decision``.

    An unknown decision is the caller's mistake (``ValidationFailed`` naming ``decision``); a
    decision on an objection already resolved is a ``Conflict``.
    """
    validate_decision(decision)
    try:
        return OBJECTION_TRANSITIONS[(status, decision)]
    except KeyError:
        raise Conflict(f"the objection is already {status}") from None


def check_repairable(polarity: str) -> None:
    """Credit repair restores trust after a breach, so only a negative record can be repaired."""
    if polarity != "negative":
        raise Conflict("only a negative record can be repaired")


# --- input validation ---------------------------------------------------------------------------


def validate_subject_id(subject_type: str, subject_id: object) -> str:
    """The canonical key of a subject of a known type: resident ID number or credit code."""
    if subject_type == "individual":
        return validate_resident_id(subject_id, "subject_id")
    return validate_credit_code(subject_id, "subject_id")


def optional_text(value: object, field: str, max_length: int) -> str | None:
    """Stripped text of at most ``max_length`` characters; absent or blank gives ``None``."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid(field, "must be a string")
    text = value.strip()
    if len(text) > max_length:
        raise invalid(field, f"must be at most {max_length} characters")
    return text or None


def required_text(value: object, field: str, max_length: int) -> str:
    """Like ``optional_text``, but absent or blank text is refused."""
    text = optional_text(value, field, max_length)
    if text is None:
        raise invalid(field, "must not be empty")
    return text


def validate_feedback_action(action: object, rules: RuleSet = DEFAULT_RULES) -> str:
    return one_of(action, "action_taken", rules.feedback_actions)


def validate_department(value: object, field: str = "department") -> str:
    return required_text(value, field, MAX_CODE_LENGTH)


def validate_date(value: object, field: str) -> date:
    """A ``date`` or an ISO ``YYYY-MM-DD`` string (what JSON carries)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise invalid(field, "must be a date (YYYY-MM-DD)")


@dataclass(frozen=True)
class RecordInput:
    """A department's record after validation, ready to store."""

    subject_type: str
    subject_id: str
    source_record_id: str
    category: str
    polarity: str
    severity: str
    basis: str
    summary: str | None
    decided_on: date
    valid_until: date
    card_number: str | None


def check_record_rules(
    record: Mapping[str, Any], today: date, rules: RuleSet = DEFAULT_RULES
) -> RecordInput:
    """A record already loaded by its contract (``shared.contracts.credit.RecordIn``), held
    against what the contract cannot know: the rule data and today. Errors name the field."""
    category = one_of(record["category"], "category", rules.categories)
    if record["polarity"] not in rules.categories[category]:
        allowed = ", ".join(sorted(rules.categories[category]))
        raise invalid("polarity", f"a {category} record must be {allowed}")
    if record["decided_on"] > today:
        raise invalid("decided_on", "must not be in the future")
    return RecordInput(
        subject_type=record["subject_type"],
        subject_id=record["subject_id"],
        source_record_id=record["source_record_id"],
        category=category,
        polarity=record["polarity"],
        severity=record["severity"],
        basis=record["basis"],
        summary=record.get("summary"),
        decided_on=record["decided_on"],
        valid_until=record["valid_until"],
        card_number=record.get("card_number"),
    )


def validate_corrections(
    corrections: object, current: Mapping[str, Any], today: date, rules: RuleSet = DEFAULT_RULES
) -> dict[str, Any]:
    """The record's fields after the source department's corrections, checked as a whole.

    ``current`` holds the record's correctable fields; the result holds all of them. Errors
    name ``corrections.<field>``. The subject cannot be corrected: a record about the wrong
    subject is revoked, and the right subject gets a new record.
    """
    if not isinstance(corrections, Mapping) or not corrections:
        raise invalid("corrections", "must be an object with at least one field")
    uncorrectable = sorted(str(name) for name in set(corrections) - set(CORRECTABLE_FIELDS))
    if uncorrectable:
        raise invalid(f"corrections.{uncorrectable[0]}", "cannot be corrected")
    merged = {name: current[name] for name in CORRECTABLE_FIELDS}
    merged.update(corrections)
    return _validate_record_fields(merged, today, rules, prefix="corrections.")


def _validate_record_fields(
    values: Mapping[str, Any], today: date, rules: RuleSet, prefix: str
) -> dict[str, Any]:
    category = one_of(values.get("category"), f"{prefix}category", rules.categories)
    polarity = one_of(values.get("polarity"), f"{prefix}polarity", POLARITIES)
    if polarity not in rules.categories[category]:
        allowed = ", ".join(sorted(rules.categories[category]))
        raise invalid(f"{prefix}polarity", f"a {category} record must be {allowed}")
    severity = one_of(values.get("severity"), f"{prefix}severity", SEVERITIES)
    decided_on = validate_date(values.get("decided_on"), f"{prefix}decided_on")
    if decided_on > today:
        raise invalid(f"{prefix}decided_on", "must not be in the future")
    valid_until = validate_date(values.get("valid_until"), f"{prefix}valid_until")
    if valid_until < decided_on:
        raise invalid(f"{prefix}valid_until", "must not be before decided_on")
    return {
        "category": category,
        "polarity": polarity,
        "severity": severity,
        "basis": required_text(values.get("basis"), f"{prefix}basis", MAX_BASIS_LENGTH),
        "summary": optional_text(values.get("summary"), f"{prefix}summary", MAX_NOTE_LENGTH),
        "decided_on": decided_on,
        "valid_until": valid_until,
    }
