"""Time limits in working days of China's official calendar (the State Council's yearly notice).

``chinese_calendar`` knows the public holidays and the weekend days made working days (调休)
of each year up to the newest published notice. A later year is counted *provisionally*:
Monday to Friday, less New Year's Day (the one holiday fixed by date). Refusing to count would
stop every filing whose limit runs past 31 December until the package has the next notice; a
provisional due day is flagged instead (``is_provisional``), so residents and offices know it
may move by the year's holidays.

A time limit of N working days counts from the day after the start day (the start day itself
does not count, as in China's Administrative Licensing Law art. 82), so N working days after a
Tuesday submission with no holiday is the next-week Tuesday for N = 5.
"""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar

LAST_KNOWN_YEAR = max(day.year for day in chinese_calendar.constants.holidays)
"""The last year of the installed ``chinese-calendar``'s official calendar."""


def is_working_day(day: date) -> bool:
    if day.year > LAST_KNOWN_YEAR:
        return day.weekday() < 5 and (day.month, day.day) != (1, 1)
    return bool(chinese_calendar.is_workday(day))


def is_provisional(due_on: date) -> bool:
    """Whether a due day was counted through a year the official calendar does not know yet."""
    return due_on.year > LAST_KNOWN_YEAR


def add_working_days(start: date, days: int) -> date:
    """The day on which ``days`` working days after ``start`` have passed (``days`` >= 0)."""
    day, counted = start, 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return day


def due_status(due_on: date, today: date, soon_days: int = 2) -> str:
    """``overdue`` (past its due day), ``due_soon`` (due within ``soon_days`` working days
    of today, today included) or ``on_time``.

    Counts only the days up to ``due_on``, which were counted when it was set: showing an
    application never needs a year the calendar does not know."""
    if due_on < today:
        return "overdue"
    day, counted = today, 0
    while day < due_on:
        day += timedelta(days=1)
        counted += is_working_day(day)
        if counted > soon_days:
            return "on_time"
    return "due_soon"


def years_after(day: date, years: int) -> date:
    """The same calendar day ``years`` later; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)
