"""Teaching-quality supervision across schools: the same subject and grade compared by school,
by district, pilot against non-pilot schools, and pilot schools before against after their
smart-classroom pilot started.

Scores are compared as a percentage of each exam's maximum, so exams with different maxima
mix. A group of fewer than ``MIN_GROUP`` scores is suppressed: its figures (and its size) are
``None`` and ``suppressed`` is true, so nobody can single out a few students.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from services.education.domain.grading import mean, median, population_std

MIN_GROUP = 10


@dataclass(frozen=True)
class ScoreFact:
    """One student's result in one published exam, with what supervision groups it by."""

    school_id: str
    district: str
    pilot: bool
    pilot_start: date | None
    exam_date: date
    percent: float


def group_figures(values: Sequence[float]) -> dict[str, Any]:
    if len(values) < MIN_GROUP:
        return {"suppressed": True, "students": None, "mean": None, "median": None, "std_dev": None}
    return {
        "suppressed": False,
        "students": len(values),
        "mean": round(mean(values), 4),
        "median": round(median(values), 4),
        "std_dev": round(population_std(values), 4),
    }


def _grouped(
    facts: Iterable[ScoreFact], key: Callable[[ScoreFact], str | None]
) -> dict[str, list[float]]:
    groups: dict[str, list[float]] = {}
    for fact in facts:
        name = key(fact)
        if name is not None:
            groups.setdefault(name, []).append(fact.percent)
    return groups


def pilot_period(fact: ScoreFact) -> str | None:
    """``before_pilot`` / ``after_pilot`` for a pilot school's exam (the start day counts as
    after); ``None`` for a school without a pilot."""
    if not fact.pilot or fact.pilot_start is None:
        return None
    return "after_pilot" if fact.exam_date >= fact.pilot_start else "before_pilot"


def supervision_report(facts: Sequence[ScoreFact]) -> dict[str, Any]:
    schools = {fact.school_id: fact for fact in facts}
    by_school = _grouped(facts, lambda fact: fact.school_id)
    by_district = _grouped(facts, lambda fact: fact.district)
    by_pilot = _grouped(facts, lambda fact: "pilot" if fact.pilot else "non_pilot")
    by_period = _grouped(facts, pilot_period)
    return {
        "min_group": MIN_GROUP,
        "schools": [
            {
                "school_id": school_id,
                "district": schools[school_id].district,
                "pilot": schools[school_id].pilot,
                **group_figures(values),
            }
            for school_id, values in sorted(by_school.items())
        ],
        "districts": [
            {"district": name, **group_figures(values)}
            for name, values in sorted(by_district.items())
        ],
        "pilot": [
            {"group": name, **group_figures(by_pilot.get(name, []))}
            for name in ("pilot", "non_pilot")
        ],
        "pilot_period": [
            {"group": name, **group_figures(by_period.get(name, []))}
            for name in ("before_pilot", "after_pilot")
        ],
    }
