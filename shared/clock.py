"""The suite's clock: now in UTC, and the city's time zone and calendar.

Times are stored and exchanged in UTC; the city's calendar matters where a decision is dated
(a penalty "decided on" a day, a record valid "until" a day). Shenyang keeps China Standard
Time all year; the zone comes from the tz database (``zoneinfo``) rather than a fixed offset,
so it is the same zone everywhere in the code.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

CITY_TIMEZONE = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    """Now, aware, in UTC."""
    return datetime.now(UTC)


def naive_utcnow() -> datetime:
    """Now in UTC without ``tzinfo``: what columns without a time zone store."""
    return utcnow().replace(tzinfo=None)


def city_date(moment: datetime) -> date:
    """The city's calendar day at ``moment`` (aware; naive means UTC)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(CITY_TIMEZONE).date()


def city_today() -> date:
    """Today in Shenyang. Departments date their decisions by the city's calendar; a server
    clock on UTC would take a decision made before 08:00 for one made the day before."""
    return city_date(utcnow())
