"""Parking's pure rules on plain values: reservation windows, overlaps, free spaces, no-shows
and the penalty of a repeat offender. ``services/traffic/parking.py`` applies them to the
database.

Parking times are UTC: an aware datetime is converted, a naive one is taken as UTC.

Space accounting: reservations are a claim on the lot's capacity over their time window, so a
new reservation is refused when the reservations overlapping its window (reserved or checked
in) already fill the capacity. Live free spaces are what the sensors see as empty, less the
spaces held for reserved cars due now that have not arrived yet; a checked-in car is already
counted by the sensors, and a reservation past its grace period no longer holds a space.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from shared.clock import city_date
from shared.errors import invalid

RESERVATION_STATUSES = ("reserved", "checked_in", "cancelled", "no_show", "completed")
RESERVED, CHECKED_IN, CANCELLED, NO_SHOW, COMPLETED = RESERVATION_STATUSES
ACTIVE_STATUSES = (RESERVED, CHECKED_IN)  # statuses that occupy capacity

MAX_RESERVATION = dt.timedelta(hours=24)
NO_SHOW_GRACE = dt.timedelta(minutes=15)
NO_SHOW_WINDOW = dt.timedelta(days=30)
REPEAT_OFFENDER_THRESHOLD = 3
# A window may start this long before the server's clock: the resident pressed "now" and the
# request took a moment to arrive.
CLOCK_TOLERANCE = dt.timedelta(minutes=1)

MAX_LISTED_RESERVATIONS = 100

# A repeat offender gets a credit record: the city's calendar dates the decision.
NO_SHOW_PENALTY_BASIS = "Shenyang parking reservation rules, no-show"
NO_SHOW_PENALTY_YEARS = 1


class ReservationLike(Protocol):
    starts_at: dt.datetime
    ends_at: dt.datetime
    status: str


def as_utc(value: object, field: str) -> dt.datetime:
    """A datetime as naive UTC (aware ones converted, naive ones taken as UTC)."""
    if not isinstance(value, dt.datetime):
        raise invalid(field, "must be a date and time")
    if value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def validate_window(
    starts_at: dt.datetime, ends_at: dt.datetime, now: dt.datetime
) -> tuple[dt.datetime, dt.datetime]:
    """Check a reservation window: starts before it ends, lasts at most 24 h, not in the past.

    Returns the window as naive UTC; raises ``invalid("starts_at"|"ends_at", ...)``.
    """
    starts_at, ends_at = as_utc(starts_at, "starts_at"), as_utc(ends_at, "ends_at")
    now = as_utc(now, "now")
    if ends_at <= starts_at:
        raise invalid("ends_at", "must be after starts_at")
    if ends_at - starts_at > MAX_RESERVATION:
        raise invalid("ends_at", "must be at most 24 hours after starts_at")
    if starts_at < now - CLOCK_TOLERANCE:
        raise invalid("starts_at", "must not be in the past")
    return starts_at, ends_at


def overlaps(
    start: dt.datetime, end: dt.datetime, other_start: dt.datetime, other_end: dt.datetime
) -> bool:
    """Whether two half-open windows [start, end) share any moment (back to back do not)."""
    return start < other_end and other_start < end


def count_overlapping(
    reservations: Iterable[ReservationLike], starts_at: dt.datetime, ends_at: dt.datetime
) -> int:
    """Active reservations (reserved or checked in) whose window overlaps [starts_at, ends_at)."""
    return sum(
        1
        for reservation in reservations
        if reservation.status in ACTIVE_STATUSES
        and overlaps(reservation.starts_at, reservation.ends_at, starts_at, ends_at)
    )


def is_no_show(
    reservation: ReservationLike, now: dt.datetime, grace: dt.timedelta = NO_SHOW_GRACE
) -> bool:
    """A reserved car that has not checked in by ``grace`` after the start is a no-show."""
    return reservation.status == RESERVED and now > reservation.starts_at + grace


def free_spaces(
    capacity: int,
    occupied: int,
    reservations: Iterable[ReservationLike],
    now: dt.datetime,
    grace: dt.timedelta = NO_SHOW_GRACE,
) -> int:
    """Spaces a driver arriving ``now`` can take: capacity, less what the sensors count as
    occupied, less the spaces held for reserved cars due now (see the module docstring).
    Never negative."""
    held = sum(
        1
        for reservation in reservations
        if reservation.status == RESERVED
        and reservation.starts_at <= now < reservation.ends_at
        and not is_no_show(reservation, now, grace)
    )
    return max(0, capacity - occupied - held)


def repeat_offender(
    no_show_count_in_30_days: int, threshold: int = REPEAT_OFFENDER_THRESHOLD
) -> bool:
    """Whether a card's no-shows in the last 30 days reach the threshold for a credit record."""
    return no_show_count_in_30_days >= threshold


def threshold_reached_by(
    count_after: int, new_no_shows: Sequence[str], threshold: int = REPEAT_OFFENDER_THRESHOLD
) -> str | None:
    """Which of a card's new no-shows made its 30-day count reach the threshold, or None.

    ``new_no_shows`` are the ids of the no-shows just marked that count (started within the
    30 days), oldest first; ``count_after`` is the count including them. A count that was at
    the threshold already does not reach it again, so a card gets one penalty per crossing
    however often the sweep runs.
    """
    count_before = count_after - len(new_no_shows)
    if count_before >= threshold or count_after < threshold:
        return None
    return new_no_shows[threshold - count_before - 1]


@dataclass(frozen=True)
class RepeatNoShows:
    """A card whose no-shows within 30 days have just reached the threshold."""

    card_number: str
    reservation_id: str  # the no-show that reached it
    no_shows: int  # within the 30 days, including it


def _years_later(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def no_show_penalty(offence: RepeatNoShows, now: dt.datetime) -> dict[str, Any]:
    """The ``traffic.administrative_penalty_issued`` payload of a repeat offender.

    A minor penalty on the card holder (the credit service resolves the card number to the
    resident), decided on the city's date of ``now`` and valid for a year. The record id is
    derived from the card and the no-show that reached the threshold, so a decision sent twice
    is one record at the credit service.
    """
    decided_on = city_date(as_utc(now, "now"))
    return {
        "source_record_id": f"no-show-{offence.card_number}-{offence.reservation_id}",
        "subject_type": "individual",
        "subject_id": offence.card_number,
        "category": "administrative_penalty",
        "severity": "minor",
        "basis": NO_SHOW_PENALTY_BASIS,
        "decided_on": decided_on.isoformat(),
        "valid_until": _years_later(decided_on, NO_SHOW_PENALTY_YEARS).isoformat(),
        "summary": (
            f"{offence.no_shows} reserved parking spaces not taken up within "
            f"{NO_SHOW_WINDOW.days} days"
        ),
    }


UNASSIGNED_DISTRICT = "unassigned"
"""Where lots registered before districts were recorded are counted."""


@dataclass
class DistrictLoad:
    district: str
    lots: int = 0
    capacity: int = 0
    occupied: int = 0

    @property
    def occupancy_rate(self) -> float | None:
        """Occupied over capacity; ``None`` for a district without spaces."""
        return round(self.occupied / self.capacity, 4) if self.capacity else None


def district_loads(lots: Iterable[tuple[str | None, int, int]]) -> list[DistrictLoad]:
    """Lots as ``(district, capacity, occupied)`` summed by district, by district name."""
    loads: dict[str, DistrictLoad] = {}
    for district, capacity, occupied in lots:
        name = district or UNASSIGNED_DISTRICT
        load = loads.setdefault(name, DistrictLoad(name))
        load.lots += 1
        load.capacity += capacity
        load.occupied += min(occupied, capacity)
    return [loads[name] for name in sorted(loads)]
