"""Which services run on which date: GTFS calendars and their exceptions, without a database.

A service runs on a date when ``calendar.txt`` says so for that weekday within its date range,
unless ``calendar_dates.txt`` removes it (type 2); type 1 adds it on a date.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

ADDED = 1
REMOVED = 2


@dataclass(frozen=True)
class ServiceCalendar:
    service_id: str
    weekdays: tuple[bool, ...]  # seven flags, Monday first as in date.weekday()
    start_date: dt.date
    end_date: dt.date

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> ServiceCalendar:
        """From a ``calendar.txt`` row as parsed by ``gtfs.py`` or read from the database."""
        days = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        return cls(
            row["service_id"],
            tuple(bool(row[day]) for day in days),
            row["start_date"],
            row["end_date"],
        )


@dataclass(frozen=True)
class ServiceException:
    service_id: str
    date: dt.date
    exception_type: int  # ADDED or REMOVED

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> ServiceException:
        return cls(row["service_id"], row["date"], row["exception_type"])


def active_services(
    day: dt.date, calendars: Iterable[ServiceCalendar], exceptions: Iterable[ServiceException]
) -> set[str]:
    """The service ids running on ``day``."""
    running = {
        calendar.service_id
        for calendar in calendars
        if calendar.start_date <= day <= calendar.end_date and calendar.weekdays[day.weekday()]
    }
    for exception in exceptions:
        if exception.date == day:
            if exception.exception_type == ADDED:
                running.add(exception.service_id)
            else:
                running.discard(exception.service_id)
    return running


class ServiceDays:
    """Which services run on which date, from one feed's calendars and exceptions in memory.

    Built once per feed (``timetable.py`` keeps one per imported feed), so that a request does
    not read every calendar of the feed; the answer for a date is remembered, for at most
    ``remembered_dates`` dates at a time.
    """

    def __init__(
        self,
        calendars: Iterable[ServiceCalendar],
        exceptions: Iterable[ServiceException],
        remembered_dates: int = 64,
    ):
        self._calendars = tuple(calendars)
        self._exceptions: dict[dt.date, list[ServiceException]] = defaultdict(list)
        for exception in exceptions:  # in feed order: a later exception of a date wins
            self._exceptions[exception.date].append(exception)
        self._remembered_dates = remembered_dates
        self._running: dict[dt.date, frozenset[str]] = {}

    def running_on(self, day: dt.date) -> frozenset[str]:
        """The service ids running on ``day`` (as ``active_services``)."""
        running = self._running.get(day)
        if running is None:
            running = frozenset(
                active_services(day, self._calendars, self._exceptions.get(day, ()))
            )
            if len(self._running) >= self._remembered_dates:
                self._running.clear()
            self._running[day] = running
        return running


def service_days_before(latest_departure_s: int) -> int:
    """How many service days before a date can still have vehicles running on it: a trip
    leaving at ``latest_departure_s`` (e.g. 49:00:00) belongs to the day before yesterday."""
    return latest_departure_s // 86400
