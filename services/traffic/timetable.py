"""Arrivals at a stop, at a cost that does not grow with the feed or with the calls at the stop.

The timetable arithmetic is ``schedule.upcoming_arrivals``; this module feeds it only the calls
that can be among the answer, instead of every call of the stop:

- **Which services run on a date** comes from the feed's calendars and exceptions held in
  memory (``schedule.ServiceDays``), one entry per imported feed. A feed is never changed once
  imported (an import makes a new ``feed_id`` and deletes the old one), so the entry is keyed
  by the active feed, which every request reads anyway: an import committed by any process
  (the CLI, another instance) is noticed by the next request, without any event.
- **The calls** at the stop are read once per feed and held in memory (``stop_calls``), in
  arrival order. Of each service day, only those that can still be ahead are looked at: the
  first few from the window's start, only of the services running that day. The window is
  widened by the largest stored delays and by a daylight-saving margin, so nothing that the
  full computation would show is cut off; when the calls taken cannot prove that the answer
  is complete (delays reorder runs, skipped stops drop them), more are taken. Only the first
  service day's at first: a later day's calls arrive no earlier than its window opens, so by
  day (the answer ends before midnight) they are never looked at.
- Trips run by ``frequencies.txt`` are templates whose times are shifted per run, so their
  calls are always looked at in full (feeds have few of them).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.traffic.arrival_reads import database_key, feed_at_stop
from services.traffic.domain.schedule import (
    Arrival,
    FrequencyWindow,
    StopCall,
    TripInfo,
    service_day_start,
    service_days_before,
    upcoming_arrivals,
    utc_offsets,
)
from services.traffic.domain.service_days import ServiceCalendar, ServiceDays, ServiceException
from services.traffic.live_delays import LiveDelays, live_delays
from services.traffic.models import Calendar, CalendarDate, Feed, Frequency, StopTime
from services.traffic.queries import _local_time
from services.traffic.stop_calls import HeldStops

# Arrivals are listed by (expected, scheduled, trip_id), as ``upcoming_arrivals`` sorts them.
_SortKey = tuple[dt.datetime, dt.datetime, str]
_MORE_ROWS = 4  # each refetch asks for this many times more rows of a service day


@functools.lru_cache(maxsize=64)  # a few service days a read, the same for hours
def _clock_set_back(tz: ZoneInfo, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
    """How far local clocks go back between two instants (0 but on a day clocks fall back):
    wall-clock times are then not in the order of seconds since the service day's start."""
    highest, set_back = None, dt.timedelta(0)
    for offset in utc_offsets(tz, start, end):
        highest = offset if highest is None else max(highest, offset)
        set_back = max(set_back, highest - offset)
    return set_back


@dataclass(frozen=True)
class FeedIndex:
    """What arrivals need to know of a whole feed, measured once per feed and process, and the
    calls of its stops read so far."""

    service_days: ServiceDays
    max_departure_s: int
    max_dwell_s: int
    has_frequencies: bool
    stops: HeldStops  # the calls at each stop read so far (``stop_calls``)


_FEEDS: dict[tuple[str, int, dt.datetime], FeedIndex] = {}


def feed_index(session: Session, feed: Feed) -> FeedIndex:
    """The in-memory index of ``feed``; only the newest feed's is kept."""
    key = (database_key(session), feed.feed_id, feed.imported_at)
    index = _FEEDS.get(key)
    if index is None:
        index = _measure_feed(session, feed)
        # Databases of other tests or tenants keep theirs; older feeds of this one go.
        for stale in [k for k in _FEEDS if k[0] == key[0]]:
            del _FEEDS[stale]
        _FEEDS[key] = index
    return index


def _measure_feed(session: Session, feed: Feed) -> FeedIndex:
    feed_id = feed.feed_id
    calendars = [
        ServiceCalendar.from_row(row._mapping)
        for row in session.execute(select(Calendar.__table__).where(Calendar.feed_id == feed_id))
    ]
    exceptions = [
        ServiceException.from_row(row._mapping)
        for row in session.execute(
            select(CalendarDate.service_id, CalendarDate.date, CalendarDate.exception_type)
            .where(CalendarDate.feed_id == feed_id)
            .order_by(CalendarDate.service_id, CalendarDate.date)
        )
    ]
    max_departure_s, max_dwell_s = feed.max_departure_s, feed.max_dwell_s
    if max_departure_s is None or max_dwell_s is None:  # imported before traffic_0003
        max_departure_s, max_dwell_s = session.execute(
            select(
                func.max(StopTime.departure_s), func.max(StopTime.departure_s - StopTime.arrival_s)
            ).where(StopTime.feed_id == feed_id)
        ).one()
    has_frequencies = (
        session.scalar(select(Frequency.trip_id).where(Frequency.feed_id == feed_id).limit(1))
        is not None
    )
    return FeedIndex(
        ServiceDays(calendars, exceptions),
        max_departure_s or 0,
        max(max_dwell_s or 0, 0),
        has_frequencies,
        HeldStops(has_frequencies),
    )


def arrivals(
    session: Session, stop_id: str, at: dt.datetime, limit: int = 10
) -> dict[str, list[dict[str, Any]]]:
    """The next vehicles at a stop from ``at`` (naive local time of the feed), soonest first.

    ``{"items": [{"trip_id", "route_id", "route_short_name", "headsign", "scheduled",
    "expected", "delay_s"}]}``, times as local ISO 8601 without offset; ``delay_s`` is None when
    there is no real-time prediction (then ``expected`` is the timetable). Follows calendars,
    calendar_dates, frequencies, runs past midnight and stored real-time delays.
    """
    feed = feed_at_stop(session, stop_id)
    tz = ZoneInfo(feed.timezone)
    at = _local_time(at, tz)
    index = feed_index(session, feed)
    delays = live_delays(session, feed.realtime_version)
    early = dt.timedelta(seconds=min(delays.earliest_s, 0))
    late = dt.timedelta(seconds=max(delays.latest_s, 0))
    # The earlier of the instants a wall-clock time can mean: an hour repeated when clocks go
    # back has two, one skipped when they go forward none (then fold=1 is the earlier).
    moment = _earliest_instant(at, tz)
    days = [
        at.date() + dt.timedelta(days=offset)
        for offset in range(-service_days_before(index.max_departure_s), 2)
    ]
    at_stop = index.stops.calls_at(session, feed.feed_id, feed.stop_id)
    gathered = {(call.trip_id, call.stop_sequence): call for call in at_stop.by_frequency}
    trips = dict(at_stop.frequency_trips)
    rows_per_day = 2 * limit + 8  # a little past the answer, to prove that it is complete
    days_looked_at = 1  # the later service days only once the answer could reach them
    while True:
        truncated_bounds = []  # no call not yet looked at sorts before these
        per_day = []  # (day_start, margin, parameters) of each service day that can have calls
        for day in days:
            day_start = service_day_start(day, tz)
            running = index.service_days.running_on(day)
            day_end = day_start + dt.timedelta(seconds=index.max_departure_s) + late
            margin = _clock_set_back(tz, day_start, day_end)
            from_s = int((moment - margin - late - day_start).total_seconds())
            if not running or from_s > index.max_departure_s:
                continue
            window = (from_s - index.max_dwell_s, from_s, running)
            per_day.append((day_start, margin, window))
        # Only the first service day's calls at first (by day the answer is in today's), and
        # a bound for each later day: its calls arrive no earlier than its window opens.
        per_day, later = per_day[:days_looked_at], per_day[days_looked_at:]
        for day_start, margin, (from_arrival, _from, _services) in later:
            opens = day_start + dt.timedelta(seconds=max(from_arrival, 0))
            local = opens.astimezone(tz).replace(tzinfo=None)
            truncated_bounds.append((local - margin + early, dt.datetime.min, ""))
        for day_start, margin, (from_arrival, from_departure, running) in per_day:
            rows = at_stop.of_day(from_arrival, from_departure, running, rows_per_day)
            for call, trip in rows:
                gathered[(call.trip_id, call.stop_sequence)] = call
                trips[call.trip_id] = trip
            if len(rows) == rows_per_day:
                last_call = rows[-1][0]
                last = day_start + dt.timedelta(seconds=last_call.arrival_s)
                local = last.astimezone(tz).replace(tzinfo=None)
                if margin or early or late:  # unread calls come no earlier than this
                    truncated_bounds.append((local - margin + early, dt.datetime.min, ""))
                else:  # clocks and calls in step: unread calls sort after the last one read
                    truncated_bounds.append((local, local, last_call.trip_id))
        items = _upcoming(at, gathered, trips, at_stop.windows, delays, index, tz, limit)
        if _complete(items, limit, truncated_bounds):
            return {
                "items": [item.to_dict() for item in items],
                "valid_until": _valid_until(items, at, tz).isoformat(timespec="seconds"),
            }
        if later:
            days_looked_at += len(later)  # every day next time, as many rows a day
        else:
            rows_per_day *= _MORE_ROWS


def _earliest_instant(local: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """The earlier UTC instant a local wall-clock time can mean (see ``arrivals``)."""
    return min(local.replace(tzinfo=tz, fold=fold).astimezone(dt.UTC) for fold in (0, 1))


def _valid_until(items: list[Arrival], at: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """Until when the answer for ``at`` stays the answer as the clock runs on (UTC).

    Only the first vehicle leaving changes the list: every later call that could enter is
    already listed or sorts after the last one. Its expected arrival is taken (at or before
    its departure: never late). The service days looked at move on at local midnight, which
    also bounds it. Real-time updates and imports change it too, but they are announced.
    """
    midnight = dt.datetime.combine(at.date() + dt.timedelta(days=1), dt.time())
    bounds = [_earliest_instant(midnight, tz)]
    if items:
        bounds.append(_earliest_instant(items[0].expected, tz))
    return min(bounds)


def _complete(items: list[Arrival], limit: int, truncated_bounds: list[_SortKey]) -> bool:
    """Whether no call left unread could be among the first ``limit``: every unread call
    sorts at or after its day's bound, and the answer's last one strictly before."""
    if not truncated_bounds:
        return True
    last = items[-1] if len(items) == limit else None
    return last is not None and (last.expected, last.scheduled, last.trip_id) < min(
        truncated_bounds
    )


def _upcoming(
    at: dt.datetime,
    gathered: dict[tuple[str, int], StopCall],
    trips: dict[str, TripInfo],
    windows: tuple[FrequencyWindow, ...],
    delays: LiveDelays,
    index: FeedIndex,
    tz: ZoneInfo,
    limit: int,
) -> list[Arrival]:
    return upcoming_arrivals(
        at,
        gathered.values(),
        trips,
        (),
        (),
        frequencies=windows,
        delays=delays.of_trips(trips),
        tz=tz,
        limit=limit,
        running_on=index.service_days.running_on,
    )
