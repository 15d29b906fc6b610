"""How well each affair keeps its legal time limit: pure counting over grouped applications.

An application is *decided* once approved or rejected; it was decided *within its limit* when
the city's calendar day of the decision is on or before its due day (the due day is the last
working day of the limit, the fast track's shorter one included). An *open* application (every
other state, ``returned`` too: the limit restarts when it comes back) is *overdue* when today
is past its due day. The rate is decided-within-limit over decided, ``None`` with nothing
decided yet (no rate is not a rate of 0).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

DECIDED_STATES = ("approved", "rejected")


@dataclass(frozen=True)
class Group:
    """Applications of one affair sharing a state, a due day and a decision day."""

    affair: str
    status: str
    due_on: date
    decided_on: date | None
    count: int


@dataclass
class Performance:
    decided: int = 0
    decided_within_limit: int = 0
    open: int = 0
    open_overdue: int = 0

    @property
    def within_limit_rate(self) -> float | None:
        if self.decided == 0:
            return None
        return round(self.decided_within_limit / self.decided, 4)


def tally(groups: Iterable[Group], affairs: Iterable[str], today: date) -> dict[str, Performance]:
    """``{affair: Performance}`` for every affair named (those without applications at 0)."""
    result = {affair: Performance() for affair in affairs}
    for group in groups:
        counts = result.setdefault(group.affair, Performance())
        if group.status in DECIDED_STATES:
            counts.decided += group.count
            if group.decided_on is not None and group.decided_on <= group.due_on:
                counts.decided_within_limit += group.count
        else:
            counts.open += group.count
            if today > group.due_on:
                counts.open_overdue += group.count
    return result
