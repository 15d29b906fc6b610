"""Credit rules as data (``services/credit/rules.json``) and the calendar they count in."""

from __future__ import annotations

import calendar
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shared.contracts.credit import (
    LIST_KINDS,
    POLARITIES,
    SEVERITIES,
)
from shared.errors import invalid

if TYPE_CHECKING:
    from services.credit.domain.rating import RecordFacts

# The vocabulary is the contract's (one source of truth). Its order matters here: severities
# ascend, and black comes first among the lists because its measures lead a check's answer.
LEGAL_ENTITY_TYPES = ("enterprise", "organisation")
COUNTING_STATUSES = frozenset({"active", "under_objection"})

RULES_PATH = Path(__file__).parent.parent / "rules.json"


def one_of(value: object, field: str, allowed: Iterable[str]) -> str:
    """``value`` if it is one of ``allowed``, else ``invalid(field, ...)`` listing them."""
    choices = tuple(allowed)
    if not isinstance(value, str) or value not in choices:
        raise invalid(field, f"must be one of {', '.join(choices)}")
    return value


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
