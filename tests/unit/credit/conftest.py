"""A factory of domain records for the credit unit tests (no database)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date

import pytest

from services.credit.domain import RecordFacts

MakeRecord = Callable[..., RecordFacts]


@pytest.fixture
def make_record() -> MakeRecord:
    """``make_record(polarity, severity, decided_on, **overrides)`` with sensible defaults."""
    serial = itertools.count(1)

    def make(
        polarity: str = "negative",
        severity: str = "minor",
        decided_on: date = date(2025, 1, 10),
        **overrides: object,
    ) -> RecordFacts:
        number = next(serial)
        fields: dict[str, object] = {
            "record_id": f"r{number}",
            "source_department": "market_supervision",
            "source_record_id": f"MS-{number}",
            "category": "administrative_penalty" if polarity == "negative" else "commendation",
            "polarity": polarity,
            "severity": severity,
            "basis": f"decision No. {number}",
            "decided_on": decided_on,
            "valid_until": date(2027, 12, 31),
            "status": "active",
        }
        fields.update(overrides)
        return RecordFacts(**fields)  # type: ignore[arg-type]

    return make
