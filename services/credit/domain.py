"""The public credit platform's pure domain: no database, no messaging.

Everything here is a function of its arguments (records, today, the rule set), so the
decisions that matter to a subject — their score, their level, whether they are on the red or
the black list, which joint measures a department applies — can be worked out by hand and
tested without a database. ``repository.py`` loads rows, calls these functions and stores the
outcome.

Choices made here (the issue left them open):

* **Severity** is ``minor < serious < severe``, the words of the shared event contract
  (``*.administrative_penalty_issued``). For a positive record it is the significance of the
  commendation.
* **A credit code's subject type** must agree with the code: character 1 says whether the
  subject is an enterprise or an organisation (``credit_code_subject_type``); a payload that
  claims the other type is rejected naming ``subject_type``. Recording a wrong claim would put
  the subject in the wrong credit database.
* **Counting**: a record counts while its status is ``active`` or ``under_objection`` and
  today is on or before ``valid_until``. A record under objection keeps counting (national
  practice keeps disputed information disclosed until the source department decides) and is
  marked ``under_objection`` in its contribution. ``repaired``, ``revoked`` and ``expired``
  records are kept on file but count for nothing.
* **Rating** decays in steps (rule data: records decided 12 months or more ago weigh half) and
  a list may cap the level (the black list caps it at D whatever the score).
* **List entries** run from the day the rule first holds to ``expires_on``, the last day the
  rule would still hold if nothing else happened (records lapsing or leaving their window).
"""

from __future__ import annotations

import calendar
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from shared.contracts.credit import (
    CORRECTABLE_FIELDS,
    LIST_KINDS,
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

# The vocabulary is the contract's (one source of truth). Its order matters here: severities
# ascend, and black comes first among the lists because its measures lead a check's answer.
LEGAL_ENTITY_TYPES = ("enterprise", "organisation")
COUNTING_STATUSES = frozenset({"active", "under_objection"})

RULES_PATH = Path(__file__).with_name("rules.json")


# --- calendar arithmetic ------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole calendar months, clamped to the month's end (Jan 31 + 1 → Feb 28).

    Windows such as "within 12 months" are calendar months, as legal texts count them.
    """
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last_day))


def within_months(decided_on: date, months: int, today: date) -> bool:
    """True while ``today`` is less than ``months`` calendar months after ``decided_on``."""
    return today < add_months(decided_on, months)


# --- the rule set, loaded from data -------------------------------------------------------------


@dataclass(frozen=True)
class Trigger:
    """One condition of a list rule: at least ``min_count`` counting records like this."""

    id: str
    description: str
    polarity: str
    min_severity: str
    min_count: int
    categories: frozenset[str] | None = None  # None: any category
    within_months: int | None = None  # None: any decision date

    def qualifying(self, records: Iterable[RecordFacts], today: date) -> list[RecordFacts]:
        """The counting records that this condition counts on ``today``."""
        floor = SEVERITIES.index(self.min_severity)
        return [
            record
            for record in records
            if record.counts_on(today)
            and record.polarity == self.polarity
            and SEVERITIES.index(record.severity) >= floor
            and (self.categories is None or record.category in self.categories)
            and (
                self.within_months is None
                or within_months(record.decided_on, self.within_months, today)
            )
        ]

    def holds(self, records: Iterable[RecordFacts], today: date) -> bool:
        return len(self.qualifying(records, today)) >= self.min_count

    def last_day_held(self, qualifying: Sequence[RecordFacts]) -> date:
        """The last day the condition still holds on these records if nothing else happens.

        Each record stops counting after its ``valid_until`` or when it leaves the window;
        the condition holds until fewer than ``min_count`` remain, i.e. through the
        ``min_count``-th latest of those last days.
        """
        last_days = sorted((self._last_day_counted(record) for record in qualifying), reverse=True)
        return last_days[self.min_count - 1]

    def _last_day_counted(self, record: RecordFacts) -> date:
        if self.within_months is None:
            return record.valid_until
        window_end = add_months(record.decided_on, self.within_months) - timedelta(days=1)
        return min(record.valid_until, window_end)


@dataclass(frozen=True)
class ListRule:
    """When a subject goes on one list, who issues the entry and what it triggers."""

    kind: str
    issuing_department: str
    level_cap: str | None
    triggers: tuple[Trigger, ...]
    disqualifiers: tuple[Trigger, ...]
    measures: Mapping[str, tuple[str, ...]]  # purpose → measures


@dataclass(frozen=True)
class DecayStep:
    older_than_months: int
    factor: float


@dataclass(frozen=True)
class RuleSet:
    """The whole rule set; see ``rules.json`` for the values and their meaning."""

    version: str
    categories: Mapping[str, frozenset[str]]  # category → allowed polarities
    unscored_categories: frozenset[str]
    score_start: int
    score_floor: int
    score_ceiling: int
    weights: Mapping[tuple[str, str], int]  # (polarity, severity) → points
    decay: tuple[DecayStep, ...]  # by ascending older_than_months
    levels: tuple[tuple[str, float], ...]  # (level, minimum score), best first
    lists: Mapping[str, ListRule]
    purposes: tuple[str, ...]
    feedback_actions: tuple[str, ...]

    def level_rank(self, level: str) -> int:
        """0 for the best level; larger is worse."""
        return [name for name, _ in self.levels].index(level)


def _trigger(raw: Mapping[str, Any]) -> Trigger:
    categories = raw.get("categories")
    return Trigger(
        id=raw["id"],
        description=raw["description"],
        polarity=raw["polarity"],
        min_severity=raw["min_severity"],
        min_count=int(raw["min_count"]),
        categories=frozenset(categories) if categories is not None else None,
        within_months=raw.get("within_months"),
    )


def parse_rules(raw: Mapping[str, Any]) -> RuleSet:
    """Build and check a ``RuleSet`` from its JSON form; a bad rule set raises ``ValueError``.

    Checked once at load so that a typo in the data (a measure for an unknown purpose, a
    severity that does not exist) stops the service from starting instead of silently
    changing who is on a list.
    """
    rating = raw["rating"]
    rules = RuleSet(
        version=str(raw["version"]),
        categories={
            name: frozenset(spec["polarities"]) for name, spec in raw["categories"].items()
        },
        unscored_categories=frozenset(
            name for name, spec in raw["categories"].items() if not spec["scored"]
        ),
        score_start=int(rating["start"]),
        score_floor=int(rating["floor"]),
        score_ceiling=int(rating["ceiling"]),
        weights={
            (polarity, severity): int(points)
            for polarity, by_severity in rating["weights"].items()
            for severity, points in by_severity.items()
        },
        decay=tuple(
            sorted(
                (
                    DecayStep(int(step["older_than_months"]), float(step["factor"]))
                    for step in rating["decay"]
                ),
                key=lambda step: step.older_than_months,
            )
        ),
        levels=tuple(
            sorted(
                ((entry["level"], float(entry["min"])) for entry in rating["levels"]),
                key=lambda level: level[1],
                reverse=True,
            )
        ),
        lists={
            kind: ListRule(
                kind=kind,
                issuing_department=spec["issuing_department"],
                level_cap=spec.get("level_cap"),
                triggers=tuple(_trigger(trigger) for trigger in spec["triggers"]),
                disqualifiers=tuple(_trigger(trigger) for trigger in spec["disqualifiers"]),
                measures={purpose: tuple(names) for purpose, names in spec["measures"].items()},
            )
            for kind, spec in raw["lists"].items()
        },
        purposes=tuple(raw["purposes"]),
        feedback_actions=tuple(raw["feedback_actions"]),
    )
    _check_rules(rules)
    return rules


def _check_rules(rules: RuleSet) -> None:
    problems: list[str] = []
    for category, polarities in rules.categories.items():
        if not polarities or not polarities <= set(POLARITIES):
            problems.append(f"category {category}: polarities must be among {POLARITIES}")
    missing_weights = {(p, s) for p in POLARITIES for s in SEVERITIES} - set(rules.weights)
    if missing_weights:
        problems.append(f"rating weights missing for {sorted(missing_weights)}")
    if not rules.levels or rules.levels[-1][1] > rules.score_floor:
        problems.append("the lowest level must start at or below the score floor")
    level_names = {name for name, _ in rules.levels}
    if set(rules.lists) != set(LIST_KINDS):
        problems.append(f"lists must be exactly {LIST_KINDS}")
    for rule in rules.lists.values():
        if rule.level_cap is not None and rule.level_cap not in level_names:
            problems.append(f"{rule.kind} list: level_cap {rule.level_cap} is not a level")
        if not rule.triggers:
            problems.append(f"{rule.kind} list: needs at least one trigger")
        for trigger in rule.triggers + rule.disqualifiers:
            where = f"{rule.kind} list, {trigger.id}"
            if trigger.polarity not in POLARITIES:
                problems.append(f"{where}: unknown polarity {trigger.polarity}")
            if trigger.min_severity not in SEVERITIES:
                problems.append(f"{where}: unknown severity {trigger.min_severity}")
            if trigger.min_count < 1:
                problems.append(f"{where}: min_count must be at least 1")
            if trigger.categories is not None and not trigger.categories <= set(rules.categories):
                problems.append(f"{where}: unknown categories")
        unknown_purposes = set(rule.measures) - set(rules.purposes)
        if unknown_purposes:
            problems.append(f"{rule.kind} list: measures for unknown purposes {unknown_purposes}")
    if problems:
        raise ValueError("invalid credit rule set: " + "; ".join(problems))


def load_rules(path: Path = RULES_PATH) -> RuleSet:
    """The rule set stored at ``path`` (by default the service's own ``rules.json``)."""
    return parse_rules(json.loads(path.read_text(encoding="utf-8")))


DEFAULT_RULES = load_rules()


# --- records as the domain sees them ------------------------------------------------------------


def effective_status(status: str, valid_until: date, today: date) -> str:
    """The stored status, except that a counting record past its ``valid_until`` is expired.

    Expiry is a matter of the calendar, so it is computed rather than trusted to a job that may
    not have run yet; ``repository.expire_records`` writes it down for the record.
    """
    if status in COUNTING_STATUSES and today > valid_until:
        return "expired"
    return status


@dataclass(frozen=True)
class RecordFacts:
    """What the rules need to know about one credit record."""

    record_id: str
    source_department: str
    source_record_id: str
    category: str
    polarity: str
    severity: str
    basis: str
    decided_on: date
    valid_until: date
    status: str

    def counts_on(self, today: date) -> bool:
        return (
            self.decided_on <= today
            and effective_status(self.status, self.valid_until, today) in COUNTING_STATUSES
        )

    @property
    def reference(self) -> str:
        """How a list basis or a reason names the record: department, its id, legal basis."""
        return f"{self.source_department} {self.source_record_id} ({self.basis})"


# --- rating -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Contribution:
    """One record's part in a score: its weight, the decay factor and the points it gave."""

    record_id: str
    source_department: str
    source_record_id: str
    category: str
    polarity: str
    severity: str
    decided_on: date
    weight: int
    factor: float
    points: float
    under_objection: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "record_id": self.record_id,
            "source_department": self.source_department,
            "source_record_id": self.source_record_id,
            "category": self.category,
            "polarity": self.polarity,
            "severity": self.severity,
            "decided_on": self.decided_on.isoformat(),
            "weight": self.weight,
            "factor": self.factor,
            "points": self.points,
            "under_objection": self.under_objection,
        }

    def explain(self) -> str:
        text = (
            f"{self.points:+g} {self.category} ({self.polarity}, {self.severity}) "
            f"{self.source_department} {self.source_record_id} decided {self.decided_on}"
        )
        if self.factor != 1:
            text += f": weight {self.weight:+d} x {self.factor:g} for age"
        if self.under_objection:
            text += " [under objection]"
        return text


@dataclass(frozen=True)
class Rating:
    """A score, its level and everything behind them."""

    score: float
    level: str
    score_level: str  # the level the score alone gives
    capped_by: str | None  # the list that capped the level, if any
    contributions: tuple[Contribution, ...]
    start: int

    def explain(self) -> list[str]:
        """The rating as sentences a department officer or the subject can check by hand."""
        lines = [f"start score {self.start}"]
        lines.extend(contribution.explain() for contribution in self.contributions)
        lines.append(f"score {self.score:g} gives level {self.score_level}")
        if self.capped_by is not None:
            lines.append(f"level capped at {self.level} by the {self.capped_by} list")
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "level": self.level,
            "score_level": self.score_level,
            "capped_by": self.capped_by,
            "contributions": [contribution.to_dict() for contribution in self.contributions],
        }


def decay_factor(decided_on: date, today: date, rules: RuleSet = DEFAULT_RULES) -> float:
    """The factor of the oldest decay step the record has reached (1 when none)."""
    factor = 1.0
    for step in rules.decay:
        if not within_months(decided_on, step.older_than_months, today):
            factor = step.factor
    return factor


def rate(
    records: Iterable[RecordFacts],
    today: date,
    lists: Iterable[str] = (),
    rules: RuleSet = DEFAULT_RULES,
) -> Rating:
    """Score and level of a subject from their records and the lists they are on.

    score = start + Σ weight(polarity, severity) * decay factor over counting, scored records,
    clamped to [floor, ceiling]; the level is the first whose minimum the score reaches, then
    the worst ``level_cap`` of the subject's lists applies.
    """
    contributions = tuple(
        _contribution(record, today, rules)
        for record in sorted(records, key=lambda record: (record.decided_on, record.record_id))
        if record.counts_on(today) and record.category not in rules.unscored_categories
    )
    total = rules.score_start + sum(contribution.points for contribution in contributions)
    score = float(min(rules.score_ceiling, max(rules.score_floor, total)))
    score_level = next(name for name, minimum in rules.levels if score >= minimum)
    level, capped_by = score_level, None
    for kind in LIST_KINDS:
        cap = rules.lists[kind].level_cap if kind in set(lists) else None
        if cap is not None and rules.level_rank(cap) > rules.level_rank(level):
            level, capped_by = cap, kind
    return Rating(score, level, score_level, capped_by, contributions, rules.score_start)


def _contribution(record: RecordFacts, today: date, rules: RuleSet) -> Contribution:
    weight = rules.weights[(record.polarity, record.severity)]
    factor = decay_factor(record.decided_on, today, rules)
    return Contribution(
        record_id=record.record_id,
        source_department=record.source_department,
        source_record_id=record.source_record_id,
        category=record.category,
        polarity=record.polarity,
        severity=record.severity,
        decided_on=record.decided_on,
        weight=weight,
        factor=factor,
        points=weight * factor,
        under_objection=record.status == "under_objection",
    )


# --- lists --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListDecision:
    """The rules' verdict that a subject belongs on one list, with the why and until when."""

    kind: str
    issuing_department: str
    trigger_ids: tuple[str, ...]
    basis: str
    basis_record_ids: tuple[str, ...]
    expires_on: date
    measures: Mapping[str, tuple[str, ...]]


def evaluate_lists(
    records: Iterable[RecordFacts], today: date, rules: RuleSet = DEFAULT_RULES
) -> dict[str, ListDecision]:
    """The lists a subject belongs on today, by kind: the desired state that storage follows.

    A list applies when at least one trigger holds and no disqualifier holds. Its basis names
    every trigger that holds and the records behind it; it lasts until the latest day any of
    those triggers would still hold.
    """
    records = list(records)
    decisions: dict[str, ListDecision] = {}
    for kind in LIST_KINDS:
        rule = rules.lists[kind]
        if any(disqualifier.holds(records, today) for disqualifier in rule.disqualifiers):
            continue
        held = [
            (trigger, qualifying)
            for trigger in rule.triggers
            if len(qualifying := trigger.qualifying(records, today)) >= trigger.min_count
        ]
        if not held:
            continue
        basis_records = {
            record.record_id: record for _, qualifying in held for record in qualifying
        }
        decisions[kind] = ListDecision(
            kind=kind,
            issuing_department=rule.issuing_department,
            trigger_ids=tuple(trigger.id for trigger, _ in held),
            basis="; ".join(
                f"{trigger.description}: "
                + ", ".join(record.reference for record in _by_decision(qualifying))
                for trigger, qualifying in held
            ),
            basis_record_ids=tuple(sorted(basis_records)),
            expires_on=max(trigger.last_day_held(qualifying) for trigger, qualifying in held),
            measures=rule.measures,
        )
    return decisions


def _by_decision(records: Iterable[RecordFacts]) -> list[RecordFacts]:
    return sorted(records, key=lambda record: (record.decided_on, record.source_record_id))


def validate_purpose(purpose: object, rules: RuleSet = DEFAULT_RULES) -> str:
    return _one_of(purpose, "purpose", rules.purposes)


def measures_for(
    lists: Iterable[str], purpose: str, rules: RuleSet = DEFAULT_RULES
) -> list[tuple[str, str]]:
    """The joint measures a department applies for ``purpose``, as ``(list kind, measure)``.

    Black-list measures come first; a measure named by both lists appears once, under the
    first list that names it.
    """
    validate_purpose(purpose, rules)
    on_lists = set(lists)
    measures: list[tuple[str, str]] = []
    seen: set[str] = set()
    for kind in LIST_KINDS:
        if kind not in on_lists:
            continue
        for measure in rules.lists[kind].measures.get(purpose, ()):
            if measure not in seen:
                seen.add(measure)
                measures.append((kind, measure))
    return measures


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
    return _one_of(decision, "decision", OBJECTION_DECISIONS)


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
    return _one_of(action, "action_taken", rules.feedback_actions)


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


def _one_of(value: object, field: str, allowed: Iterable[str]) -> str:
    choices = tuple(allowed)
    if not isinstance(value, str) or value not in choices:
        raise invalid(field, f"must be one of {', '.join(choices)}")
    return value


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
    subject_name: str | None
    card_number: str | None


def check_record_rules(
    record: Mapping[str, Any], today: date, rules: RuleSet = DEFAULT_RULES
) -> RecordInput:
    """A record already loaded by its contract (``shared.contracts.credit.RecordIn``), held
    against what the contract cannot know: the rule data and today. Errors name the field."""
    category = _one_of(record["category"], "category", rules.categories)
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
        subject_name=record.get("subject_name"),
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
    category = _one_of(values.get("category"), f"{prefix}category", rules.categories)
    polarity = _one_of(values.get("polarity"), f"{prefix}polarity", POLARITIES)
    if polarity not in rules.categories[category]:
        allowed = ", ".join(sorted(rules.categories[category]))
        raise invalid(f"{prefix}polarity", f"a {category} record must be {allowed}")
    severity = _one_of(values.get("severity"), f"{prefix}severity", SEVERITIES)
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
