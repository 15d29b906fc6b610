"""Parking rules without a database (services/traffic/parking.py)."""

import datetime as dt
from dataclasses import dataclass

import pytest

from services.traffic.parking import (
    as_utc,
    count_overlapping,
    free_spaces,
    is_no_show,
    overlaps,
    repeat_offender,
    validate_window,
)
from shared.errors import ValidationFailed

NOW = dt.datetime(2024, 5, 1, 8, 0)
HOUR = dt.timedelta(hours=1)
MINUTE = dt.timedelta(minutes=1)


@dataclass
class Booking:
    starts_at: dt.datetime
    ends_at: dt.datetime
    status: str = "reserved"


def test_valid_window_is_returned_as_naive_utc():
    shenyang = dt.timezone(dt.timedelta(hours=8))
    starts = dt.datetime(2024, 5, 1, 17, 0, tzinfo=shenyang)  # 09:00 UTC
    ends = dt.datetime(2024, 5, 1, 19, 30, tzinfo=shenyang)  # 11:30 UTC
    assert validate_window(starts, ends, NOW) == (
        dt.datetime(2024, 5, 1, 9, 0),
        dt.datetime(2024, 5, 1, 11, 30),
    )


@pytest.mark.parametrize(
    ("starts_at", "ends_at", "field", "message"),
    [
        (NOW + HOUR, NOW + HOUR, "ends_at", "must be after starts_at"),
        (NOW + 2 * HOUR, NOW + HOUR, "ends_at", "must be after starts_at"),
        (NOW, NOW + 24 * HOUR + MINUTE, "ends_at", "must be at most 24 hours after starts_at"),
        (NOW - 2 * MINUTE, NOW + HOUR, "starts_at", "must not be in the past"),
    ],
)
def test_invalid_windows(starts_at, ends_at, field, message):
    with pytest.raises(ValidationFailed) as caught:
        validate_window(starts_at, ends_at, NOW)
    assert caught.value.fields == {field: [message]}


def test_window_of_exactly_24_hours_starting_now_is_allowed():
    assert validate_window(NOW, NOW + 24 * HOUR, NOW) == (NOW, NOW + 24 * HOUR)


def test_as_utc_rejects_what_is_not_a_datetime():
    with pytest.raises(ValidationFailed) as caught:
        as_utc("2024-05-01T08:00:00", "starts_at")
    assert list(caught.value.fields) == ["starts_at"]


def test_back_to_back_windows_do_not_overlap():
    assert not overlaps(NOW, NOW + HOUR, NOW + HOUR, NOW + 2 * HOUR)
    assert overlaps(NOW, NOW + HOUR, NOW + HOUR - MINUTE, NOW + 2 * HOUR)
    assert overlaps(NOW, NOW + 3 * HOUR, NOW + HOUR, NOW + 2 * HOUR)  # one inside the other


def test_count_overlapping_counts_only_active_reservations():
    bookings = [
        Booking(NOW, NOW + 2 * HOUR),  # reserved, overlaps
        Booking(NOW + HOUR, NOW + 3 * HOUR, "checked_in"),  # overlaps
        Booking(NOW, NOW + 2 * HOUR, "cancelled"),
        Booking(NOW, NOW + 2 * HOUR, "no_show"),
        Booking(NOW, NOW + 2 * HOUR, "completed"),
        Booking(NOW - 2 * HOUR, NOW + HOUR),  # ends when the asked window starts
    ]
    assert count_overlapping(bookings, NOW + HOUR, NOW + 2 * HOUR) == 2


def test_no_show_after_the_grace_period_only_when_not_checked_in():
    booking = Booking(NOW, NOW + 2 * HOUR)
    assert not is_no_show(booking, NOW + 15 * MINUTE)  # exactly the grace: still in time
    assert is_no_show(booking, NOW + 15 * MINUTE + dt.timedelta(seconds=1))
    assert not is_no_show(Booking(NOW, NOW + 2 * HOUR, "checked_in"), NOW + HOUR)
    assert is_no_show(booking, NOW + 6 * MINUTE, grace=5 * MINUTE)


def test_free_spaces_subtract_sensor_count_and_spaces_held_for_due_cars():
    # capacity 10, sensors see 6 cars; one reserved car due now holds a space: 10 - 6 - 1 = 3.
    # Not holding: a checked-in car (the sensors count it), a no-show (started 20 min ago),
    # a reservation starting later, a cancelled one.
    now = NOW + 20 * MINUTE
    bookings = [
        Booking(NOW + 10 * MINUTE, NOW + 2 * HOUR),
        Booking(NOW, NOW + 2 * HOUR, "checked_in"),
        Booking(NOW, NOW + 2 * HOUR),
        Booking(NOW + HOUR, NOW + 2 * HOUR),
        Booking(NOW + 10 * MINUTE, NOW + 2 * HOUR, "cancelled"),
    ]
    assert free_spaces(10, 6, bookings, now) == 3


def test_free_spaces_are_never_negative():
    assert free_spaces(2, 2, [Booking(NOW, NOW + HOUR)], NOW) == 0


@pytest.mark.parametrize(
    ("count", "threshold", "expected"), [(0, 3, False), (2, 3, False), (3, 3, True), (4, 5, False)]
)
def test_repeat_offender(count, threshold, expected):
    assert repeat_offender(count, threshold) is expected


def test_repeat_offender_default_threshold_is_three():
    assert repeat_offender(3) and not repeat_offender(2)
