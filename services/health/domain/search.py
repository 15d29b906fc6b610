"""FHIR search parameters as plain conditions: token values and prefixed dates."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.health.domain.resources import parse_moment
from shared.contracts.health import DATE_PREFIXES
from shared.errors import ValidationFailed

_DATE = re.compile(r"^(?P<prefix>[a-z]{2})?(?P<value>\d{4}(-\d{2}(-\d{2}(T[0-9:.+\-Z]+)?)?)?)$")


@dataclass(frozen=True)
class DateCondition:
    """``low <= date < high`` (either side open), from one ``date`` parameter."""

    low: datetime | None
    high: datetime | None


def token(value: str) -> str:
    """``system|code`` or ``code`` → the code (codes are indexed without their system)."""
    return value.rsplit("|", 1)[-1]


def date_condition(value: str) -> DateCondition:
    """``ge2024-01-01``, ``lt2024-06``, ``2024`` ... as a half-open interval of time."""
    match = _DATE.match(value)
    prefix = (match.group("prefix") if match else None) or "eq"
    if match is None or prefix not in DATE_PREFIXES:
        raise ValidationFailed(
            "date: expected [prefix]YYYY[-MM[-DD[Thh:mm:ss+zz:zz]]]",
            fields={"date": [f"not a FHIR date search value: {value[:40]}"]},
        )
    text = match.group("value")
    try:
        start = parse_moment(text)
        end = _end_of(text, start)
    except (ValueError, OverflowError):
        raise ValidationFailed("date: invalid date", fields={"date": [value[:40]]}) from None
    if prefix == "eq":
        return DateCondition(start, end)
    if prefix in ("ge", "sa"):
        return DateCondition(start if prefix == "ge" else end, None)
    if prefix == "gt":
        return DateCondition(end, None)
    if prefix == "le":
        return DateCondition(None, end)
    return DateCondition(None, start)  # lt, eb


def _end_of(text: str, start: datetime) -> datetime:
    if len(text) == 4:
        return start.replace(year=start.year + 1)
    if len(text) == 7:
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    if len(text) == 10:
        return start + timedelta(days=1)
    return start + timedelta(seconds=1)
