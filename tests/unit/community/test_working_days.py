"""Working days across the 2026 National Day holiday, worked out by hand from the State
Council's 2026 notice: 1-7 October (Thursday to Wednesday) off; Sunday 20 September and
Saturday 10 October are working days (调休)."""

from datetime import date

import pytest

from services.community.domain.working_days import (
    LAST_KNOWN_YEAR,
    add_working_days,
    due_status,
    is_provisional,
    is_working_day,
    years_after,
)


def test_the_make_up_days_are_working_days_and_the_holiday_is_not():
    assert is_working_day(date(2026, 9, 20))  # a Sunday, worked
    assert is_working_day(date(2026, 10, 10))  # a Saturday, worked
    assert not is_working_day(date(2026, 10, 1))
    assert not is_working_day(date(2026, 10, 7))  # a Wednesday, off
    assert not is_working_day(date(2026, 10, 11))  # an ordinary Sunday


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        # Fri 18 Sep + 1: Sat 19 off, Sun 20 worked.
        (date(2026, 9, 18), 1, date(2026, 9, 20)),
        (date(2026, 9, 18), 2, date(2026, 9, 21)),
        # Tue 29 Sep + 5: 30 Sep (1), 1-7 Oct off, 8 (2), 9 (3), Sat 10 (4), Mon 12 (5).
        (date(2026, 9, 29), 5, date(2026, 10, 12)),
        # Wed 30 Sep + 15: 8, 9, 10, 12-16, 19-23, 26, 27 Oct.
        (date(2026, 9, 30), 15, date(2026, 10, 27)),
        # The start day does not count, even when it is a holiday.
        (date(2026, 10, 3), 1, date(2026, 10, 8)),
        (date(2026, 10, 3), 0, date(2026, 10, 3)),
    ],
)
def test_time_limits_count_working_days_of_the_official_calendar(start, days, due):
    assert add_working_days(start, days) == due


def test_due_soon_and_overdue_across_the_holiday():
    due = date(2026, 10, 12)
    # From Thu 8 Oct two working days reach Sat 10 Oct (the make-up day): the 12th is later.
    assert due_status(due, date(2026, 10, 8)) == "on_time"
    # From Fri 9 Oct: Sat 10 (1), Mon 12 (2).
    assert due_status(due, date(2026, 10, 9)) == "due_soon"
    assert due_status(due, date(2026, 10, 12)) == "due_soon"
    assert due_status(due, date(2026, 10, 13)) == "overdue"
    # Due on the last working day before the holiday: overdue on its third day.
    assert due_status(date(2026, 9, 30), date(2026, 10, 3)) == "overdue"
    assert due_status(date(2026, 9, 30), date(2026, 9, 28)) == "due_soon"  # 29, 30 Sep


def test_a_year_the_calendar_does_not_know_is_counted_provisionally():
    assert LAST_KNOWN_YEAR == 2026  # chinese-calendar 1.11.0; a newer release moves it on
    # Monday 28 December 2026 + 5: 29, 30, 31 December (official), then 1 January 2027 (New
    # Year's Day, off), the weekend, Monday 4 and Tuesday 5 January (provisional weekdays).
    due = add_working_days(date(2026, 12, 28), 5)
    assert due == date(2027, 1, 5)
    assert is_provisional(due)
    assert not is_provisional(add_working_days(date(2026, 12, 21), 5))  # 28 December 2026
    assert due_status(date(2026, 12, 31), date(2026, 12, 30)) == "due_soon"


def test_validity_in_years_survives_a_leap_day():
    assert years_after(date(2026, 9, 29), 10) == date(2036, 9, 29)
    assert years_after(date(2028, 2, 29), 1) == date(2029, 2, 28)
