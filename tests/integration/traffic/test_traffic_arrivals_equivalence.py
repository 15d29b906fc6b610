"""The indexed arrivals (``timetable.arrivals``) answer exactly what the full computation does.

The reference is the original way: every call of the stop, every calendar and every exception
of the feed, read here straight from the zip, handed to ``schedule.upcoming_arrivals``. Both run
on the Cairns feed for stops and times chosen to cross its rules: the busiest stop, a terminus,
a stop reached past 24:00, weekdays, the Friday-only service, weekends, the Queen's Birthday
exception day (2014-06-09: weekday service removed, Sunday's added), the last night of the
calendar, then the same again with stored real-time delays that reorder and cancel runs; and
on Google's sample feed (Los Angeles, frequency-based trips) across both daylight-saving changes.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, func, insert, select

from services.traffic import timetable
from services.traffic.domain.gtfs import load_feed
from services.traffic.domain.schedule import (
    Delay,
    FrequencyWindow,
    ServiceCalendar,
    ServiceException,
    StopCall,
    TripInfo,
    upcoming_arrivals,
)
from services.traffic.importer import import_feed
from services.traffic.models import StopTime, TripDelay

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


def _reference_builder(zip_path: Path | bytes):
    """``reference(session, stop_id, at, limit)``: arrivals computed as before the index,
    from every call, calendar and exception of the feed, read here from the zip itself (only
    the live delays come from the database)."""
    feed = load_feed(zip_path)
    routes = {row["route_id"]: row for row in feed.rows("routes.txt")}
    stop_times = [row for row in feed.rows("stop_times.txt") if row["departure_s"] is not None]
    first_departures: dict[str, int] = {}
    for row in sorted(stop_times, key=lambda row: row["stop_sequence"]):
        first_departures.setdefault(row["trip_id"], row["departure_s"])
    trips = {
        row["trip_id"]: TripInfo(
            row["trip_id"],
            row["route_id"],
            row["service_id"],
            routes[row["route_id"]]["route_short_name"],
            row["trip_headsign"],
            first_departures.get(row["trip_id"]),
        )
        for row in feed.rows("trips.txt")
    }
    calendars = [ServiceCalendar.from_row(row) for row in feed.rows("calendar.txt")]
    exceptions = [ServiceException.from_row(row) for row in feed.rows("calendar_dates.txt")]
    frequencies = [FrequencyWindow.from_row(row) for row in feed.rows("frequencies.txt")]
    calls_at: dict[str, list[StopCall]] = {}
    for row in stop_times:
        calls_at.setdefault(row["stop_id"], []).append(
            StopCall(
                row["trip_id"],
                row["stop_sequence"],
                row["arrival_s"],
                row["departure_s"],
                row["stop_headsign"],
            )
        )
    tz = ZoneInfo(feed.timezone)

    def reference(session, stop_id: str, at: dt.datetime, limit: int) -> list[dict]:
        delays = [
            Delay(
                row.trip_id,
                row.stop_sequence,
                row.delay_s,
                row.skipped,
                row.service_date,
                row.start_time_s,
            )
            for row in session.scalars(select(TripDelay))
        ]
        found = upcoming_arrivals(
            at,
            calls_at.get(stop_id, []),
            trips,
            calendars,
            exceptions,
            frequencies=frequencies,
            delays=delays,
            tz=tz,
            limit=limit,
        )
        return [item.to_dict() for item in found]

    return reference


def _compare_everywhere(session, reference, limits=(1, 10, 40)) -> int:
    """Compares every stop, moment and limit; returns how many arrivals were compared."""
    compared = 0
    for stop_id in STOPS:
        for at in MOMENTS:
            for limit in limits:
                expected = reference(session, stop_id, at, limit)
                assert timetable.arrivals(session, stop_id, at, limit)["items"] == expected, (
                    stop_id,
                    at,
                    limit,
                )
                compared += len(expected)
    return compared


def test_indexed_arrivals_equal_the_full_computation_on_cairns(session, cairns):
    reference = _reference_builder(CAIRNS_ZIP)
    busiest = session.scalar(
        select(StopTime.stop_id)
        .group_by(StopTime.stop_id)
        .order_by(func.count().desc(), StopTime.stop_id)
        .limit(1)
    )
    assert busiest == STOPS[0]
    assert _compare_everywhere(session, reference) > 1000  # real answers, not empty lists

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
    assert _compare_everywhere(session, reference, limits=(3, 25)) > 500
    early_morning = dt.datetime(2014, 6, 2, 5, 0)
    delayed = timetable.arrivals(session, "750449", early_morning, 200)["items"]
    assert delayed == reference(session, "750449", early_morning, 200)
    late = [item for item in delayed if item["trip_id"] == calls[0].trip_id]
    assert [item["delay_s"] for item in late] == [4 * 3600]
    assert all(item["trip_id"] != calls[9].trip_id for item in delayed)

    session.execute(delete(TripDelay))
    session.commit()


SAMPLE_ZIP = CAIRNS_ZIP.parent / "sample_gtfs.zip"
# Google's sample feed runs in America/Los_Angeles, with frequency-based trips, and its calendar
# covers both daylight-saving changes of 2007: clocks went forward on 11 March at 02:00 and
# back on 4 November at 02:00 (01:00-02:00 happened twice).
DST_MOMENTS = tuple(
    dt.datetime.combine(day, dt.time(*clock))
    for day in (
        dt.date(2007, 3, 10),
        dt.date(2007, 3, 11),
        dt.date(2007, 11, 3),
        dt.date(2007, 11, 4),
        dt.date(2007, 6, 4),
    )
    for clock in (
        (0, 30),
        (1, 5),
        (1, 30),
        (2, 10),
        (2, 30),
        (3, 5),
        (5, 55),
        (6, 10),
        (12, 0),
        (23, 50),
    )
)


def _sample_at_night() -> bytes:
    """The sample feed with trip AB1 moved from 08:00 to 03:10-03:25: on 11 March that is
    just after the hour clocks skip, so a time asked inside that hour (02:30, which has no
    instant) must still find it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(SAMPLE_ZIP) as source, zipfile.ZipFile(buffer, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            if name == "stop_times.txt":
                data = data.replace(b"AB1,8:00:00,8:00:00", b"AB1,3:10:00,3:10:00")
                data = data.replace(b"AB1,8:10:00,8:15:00", b"AB1,3:20:00,3:25:00")
            target.writestr(name, data)
    return buffer.getvalue()


def test_indexed_arrivals_equal_the_full_computation_across_daylight_saving(session):
    feed = _sample_at_night()
    import_feed(session, feed, name="sample")
    session.commit()
    reference = _reference_builder(feed)
    stop_ids = sorted(row["stop_id"] for row in load_feed(feed).rows("stops.txt"))
    # Asked inside the skipped hour, the run that leaves BULLFROG at 03:25 is the next one.
    skipped_hour = dt.datetime(2007, 3, 11, 2, 30)
    assert reference(session, "BULLFROG", skipped_hour, 1)[0]["scheduled"] == "2007-03-11T03:20:00"
    compared = 0
    for stop_id in stop_ids:
        for at in DST_MOMENTS:
            for limit in (1, 5, 30):
                expected = reference(session, stop_id, at, limit)
                assert timetable.arrivals(session, stop_id, at, limit)["items"] == expected, (
                    stop_id,
                    at,
                    limit,
                )
                compared += len(expected)
    assert compared > 1000
