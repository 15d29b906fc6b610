"""Records as the rules see them, the rating they add up to, and the lists they put a subject on."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from services.credit.domain.rules import (
    COUNTING_STATUSES,
    DEFAULT_RULES,
    RuleSet,
    one_of,
    within_months,
)
from shared.contracts.credit import (
    LIST_KINDS,
)

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
    return one_of(purpose, "purpose", rules.purposes)


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
