"""Parking rules without a database (services/traffic/parking.py)."""

import datetime as dt
from dataclasses import dataclass

import pytest

from services.traffic.domain.parking import (
    RepeatNoShows,
    as_utc,
    count_overlapping,
    free_spaces,
    is_no_show,
    no_show_penalty,
    overlaps,
    repeat_offender,
    threshold_reached_by,
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


@pytest.mark.parametrize(
    ("count_after", "new_no_shows", "expected"),
    [
        (3, ["a", "b", "c"], "c"),  # 0 before: the third new one reaches 3
        (3, ["d"], "d"),  # 2 before
        (4, ["b", "c", "d"], "c"),  # 1 before: b makes 2, c makes 3
        (2, ["a", "b"], None),  # below the threshold
        (4, ["d"], None),  # 3 before: already reached, no second penalty
        (3, [], None),  # nothing new this sweep
    ],
)
def test_threshold_reached_by_names_the_no_show_that_crossed_it(
    count_after, new_no_shows, expected
):
    assert threshold_reached_by(count_after, new_no_shows) == expected


def test_no_show_penalty_is_dated_by_the_city_calendar():
    offence = RepeatNoShows("2101000000000012", "0b4bd9d4-59a6-4f5c-9a39-0f7b4e0d1c11", 3)
    # 2024-02-29 17:30 UTC is 2024-03-01 01:30 in Shenyang (UTC+8): decided on 1 March,
    # valid for a year.
    penalty = no_show_penalty(offence, dt.datetime(2024, 2, 29, 17, 30))
    assert penalty == {
        "source_record_id": "no-show-2101000000000012-0b4bd9d4-59a6-4f5c-9a39-0f7b4e0d1c11",
        "subject_type": "individual",
        "subject_id": "2101000000000012",
        "category": "administrative_penalty",
        "severity": "minor",
        "basis": "Shenyang parking reservation rules, no-show",
        "decided_on": "2024-03-01",
        "valid_until": "2025-03-01",
        "summary": "3 reserved parking spaces not taken up within 30 days",
    }
    # 2024-02-29 08:00 UTC is still 29 February in Shenyang; a year later has no 29th.
    leap = no_show_penalty(offence, dt.datetime(2024, 2, 29, 8, 0))
    assert (leap["decided_on"], leap["valid_until"]) == ("2024-02-29", "2025-02-28")
