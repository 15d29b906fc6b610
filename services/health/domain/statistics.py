"""Public-health statistics without exposing anyone: age bands, and small-cell suppression."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from shared.contracts.health import SUPPRESSION_THRESHOLD

AGE_BANDS = ((0, 14), (15, 24), (25, 44), (45, 64), (65, 79), (80, None))


def age_band(birth_date: date | None, today: date) -> str:
    if birth_date is None:
        return "unknown"
    age = (
        today.year
        - birth_date.year
        - ((today.month, today.day) < (birth_date.month, birth_date.day))
    )
    for low, high in AGE_BANDS:
        if high is None or age <= high:
            return f"{low}+" if high is None else f"{low}-{high}"
    return "unknown"


def suppressed(dimension: str, counts: Iterable[tuple[str, int]]) -> dict[str, Any]:
    """Cells counting fewer than ``SUPPRESSION_THRESHOLD`` people lose their count, and the
    answer says how many were suppressed and why."""
    cells = []
    hidden = 0
    for value, count in sorted(counts, key=lambda cell: str(cell[0])):
        small = count < SUPPRESSION_THRESHOLD
        hidden += small
        cells.append({"value": str(value), "count": None if small else count, "suppressed": small})
    return {
        "dimension": dimension,
        "cells": cells,
        "suppressed_cells": hidden,
        "suppression_threshold": SUPPRESSION_THRESHOLD,
        "note": f"counts of distinct residents; cells under {SUPPRESSION_THRESHOLD} are suppressed"
        " (count null) so that no one can be singled out",
    }


def completeness(records: int, complete: int) -> float | None:
    return round(complete / records, 3) if records else None
