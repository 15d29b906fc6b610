"""The indexed arrivals (``timetable.arrivals``) answer exactly what the full computation does.

The reference is the original way: every call of the stop, every calendar and every exception
of the feed, read from the database and handed to ``schedule.upcoming_arrivals``. Both run on
the Cairns feed for stops and times chosen to cross its rules: the busiest stop, a terminus,
a stop reached past 24:00, weekdays, the Friday-only service, weekends, the Queen's Birthday
exception day (2014-06-09: weekday service removed, Sunday's added), the last night of the
calendar, then the same again with stored real-time delays that reorder and cancel runs.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, func, insert, select

from services.traffic import timetable
from services.traffic.domain.schedule import (
    ServiceCalendar,
    ServiceException,
    StopCall,
    TripInfo,
    upcoming_arrivals,
)
from services.traffic.importer import import_feed
from services.traffic.models import Calendar, CalendarDate, Route, StopTime, Trip, TripDelay
from services.traffic.queries import active_feed

CAIRNS_ZIP = Path(__file__).resolve().parents[2] / "data" / "gtfs" / "cairns_gtfs.zip"

STOPS = ("750449", "750047", "750338", "750000", "750133")
MOMENTS = (
    dt.datetime(2014, 6, 2, 7, 50, 30),  # Monday morning
    dt.datetime(2014, 6, 6, 16, 59),  # Friday: the Friday-only service runs too
    dt.datetime(2014, 6, 6, 23, 55),  # Friday night: runs past 24:00 and Saturday's first
    dt.datetime(2014, 6, 7, 0, 30),  # Saturday 00:30: Friday's trips past midnight
    dt.datetime(2014, 6, 8, 12, 0),  # Sunday
    dt.datetime(2014, 6, 9, 7, 50, 30),  # exception day: Sunday's timetable on a Monday
    dt.datetime(2014, 6, 10, 0, 1),  # the night after the exception day
    dt.datetime(2014, 12, 28, 22, 0),  # the calendar's last evening: nothing after it
)


@pytest.fixture
def cairns(session):
    summary = import_feed(session, CAIRNS_ZIP, name="cairns")
    session.commit()
    return summary


def _reference(session, stop_id: str, at: dt.datetime, limit: int) -> list[dict]:
    """Arrivals computed from every call, calendar and exception, as before the index."""
    feed = active_feed(session)
    rows = session.execute(
        select(
            StopTime.trip_id,
            StopTime.stop_sequence,
            StopTime.arrival_s,
            StopTime.departure_s,
            StopTime.stop_headsign,
            Trip.route_id,
            Trip.service_id,
            Trip.trip_headsign,
            Route.route_short_name,
        )
        .join(Trip, (Trip.feed_id == StopTime.feed_id) & (Trip.trip_id == StopTime.trip_id))
        .join(Route, (Route.feed_id == Trip.feed_id) & (Route.route_id == Trip.route_id))
        .where(
            StopTime.feed_id == feed.feed_id,
            StopTime.stop_id == stop_id,
            StopTime.departure_s.is_not(None),
        )
    ).all()
    trips = {
        row.trip_id: TripInfo(
            row.trip_id, row.route_id, row.service_id, row.route_short_name, row.trip_headsign
        )
        for row in rows
    }
    calls = [
        StopCall(row.trip_id, row.stop_sequence, row.arrival_s, row.departure_s, row.stop_headsign)
        for row in rows
    ]
    calendars = [
        ServiceCalendar.from_row(row._mapping)
        for row in session.execute(
            select(Calendar.__table__).where(Calendar.feed_id == feed.feed_id)
        )
    ]
    exceptions = [
        ServiceException.from_row(row._mapping)
        for row in session.execute(
            select(CalendarDate.__table__).where(CalendarDate.feed_id == feed.feed_id)
        )
    ]
    delays = [
        timetable.Delay(
            row.trip_id,
            row.stop_sequence,
            row.delay_s,
            row.skipped,
            row.service_date,
            row.start_time_s,
        )
        for row in session.scalars(select(TripDelay).where(TripDelay.trip_id.in_(trips)))
    ]
    found = upcoming_arrivals(
        at,
        calls,
        trips,
        calendars,
        exceptions,
        delays=delays,
        tz=ZoneInfo(feed.timezone),
        limit=limit,
    )
    return [item.to_dict() for item in found]


def _compare_everywhere(session, limits=(1, 10, 40)) -> int:
    """Compares every stop, moment and limit; returns how many arrivals were compared."""
    compared = 0
    for stop_id in STOPS:
        for at in MOMENTS:
            for limit in limits:
                expected = _reference(session, stop_id, at, limit)
                assert timetable.arrivals(session, stop_id, at, limit)["items"] == expected, (
                    stop_id,
                    at,
                    limit,
                )
                compared += len(expected)
    return compared


def test_indexed_arrivals_equal_the_full_computation_on_cairns(session, cairns):
    busiest = session.scalar(
        select(StopTime.stop_id)
        .group_by(StopTime.stop_id)
        .order_by(func.count().desc(), StopTime.stop_id)
        .limit(1)
    )
    assert busiest == STOPS[0]
    assert _compare_everywhere(session) > 1000  # real answers, not empty lists

    # The exception day really differs: Sunday's timetable, not Monday's.
    monday = timetable.arrivals(session, "750449", MOMENTS[0], 5)["items"]
    holiday = timetable.arrivals(session, "750449", MOMENTS[5], 5)["items"]
    assert {item["trip_id"].split("-")[2] for item in monday} == {"Weekday"}
    assert {item["trip_id"].split("-")[2] for item in holiday} == {"Sunday"}

    # Live delays: one run very late (it now comes after many that were behind it), one early,
    # one cancelled, one stop skipped. The indexed path must widen its window and refetch.
    calls = session.execute(
        select(StopTime.trip_id, StopTime.stop_sequence)
        .where(StopTime.stop_id == "750449")
        .order_by(StopTime.arrival_s, StopTime.trip_id)
        .limit(40)
    ).all()
    received = dt.datetime(2014, 6, 2)
    session.execute(
        insert(TripDelay),
        [
            {"trip_id": calls[0].trip_id, "delay_s": 4 * 3600, "received_at": received},
            {"trip_id": calls[5].trip_id, "delay_s": -600, "received_at": received},
            {"trip_id": calls[9].trip_id, "skipped": True, "received_at": received},
            {
                "trip_id": calls[12].trip_id,
                "stop_sequence": calls[12].stop_sequence,
                "skipped": True,
                "received_at": received,
            },
            {
                "trip_id": calls[20].trip_id,
                "service_date": dt.date(2014, 6, 6),
                "delay_s": 7200,
                "received_at": received,
            },
        ],
    )
    session.commit()
    assert _compare_everywhere(session, limits=(3, 25)) > 500
    early_morning = dt.datetime(2014, 6, 2, 5, 0)
    delayed = timetable.arrivals(session, "750449", early_morning, 200)["items"]
    assert delayed == _reference(session, "750449", early_morning, 200)
    late = [item for item in delayed if item["trip_id"] == calls[0].trip_id]
    assert [item["delay_s"] for item in late] == [4 * 3600]
    assert all(item["trip_id"] != calls[9].trip_id for item in delayed)

    session.execute(delete(TripDelay))
    session.commit()
