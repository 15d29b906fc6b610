"""Every call at one stop of one imported feed, held in memory for ``timetable.arrivals``.

An imported feed never changes (an import makes a new ``feed_id`` and deletes the old one), so
the calls at a stop are read once per stop, feed and process, and every later read of arrivals
finds its service days' calls by bisection instead of a statement. Before, that statement and
its planning were half the cost of an uncached read (bench/README.md).

Memory is bounded: the stops read least recently are dropped once more than
``CACHED_CALLS`` calls are held (the stop being read is always kept, however many it has).
Cairns' whole feed is 37,790 calls; the busiest stop of a feed 100 times its size, 60,700.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.traffic.arrival_reads import calls_query
from services.traffic.domain.schedule import FrequencyWindow, StopCall, TripInfo
from services.traffic.models import Frequency, StopTime

CACHED_CALLS = 200_000  # about 25 MB of calls and trips at most, beside an idle 60-65 MB


@dataclass(frozen=True)
class StopCalls:
    """The calls at a stop: those of timetabled trips by (arrival, trip, sequence), and those of
    trips run by ``frequencies.txt`` (templates, always looked at in full) with their windows."""

    timed: tuple[StopCall, ...]
    timed_arrivals_s: tuple[int, ...]  # ``timed``'s arrival times, for bisection
    timed_services: tuple[str, ...]  # ``timed``'s service ids, in the same order
    by_frequency: tuple[StopCall, ...]
    windows: tuple[FrequencyWindow, ...]
    trips: dict[str, TripInfo]

    def __len__(self) -> int:
        return len(self.timed) + len(self.by_frequency)

    def of_day(
        self, from_arrival_s: int, from_departure_s: int, services: Collection[str], rows: int
    ) -> list[StopCall]:
        """The first ``rows`` timetabled calls, in order, of the ``services`` running on a
        service day that arrive at or after ``from_arrival_s`` and leave at or after
        ``from_departure_s`` (seconds since that day's start)."""
        found: list[StopCall] = []
        timed, service_of = self.timed, self.timed_services
        for position in range(bisect_left(self.timed_arrivals_s, from_arrival_s), len(timed)):
            call = timed[position]
            if call.departure_s >= from_departure_s and service_of[position] in services:
                found.append(call)
                if len(found) == rows:
                    break
        return found


_HELD: OrderedDict[tuple[str, int, dt.datetime, str], StopCalls] = OrderedDict()


def stop_calls(session: Session, feed: Any, has_frequencies: bool) -> StopCalls:
    """The calls at ``feed.stop_id`` of the active ``feed`` (a ``feed_at_stop`` row)."""
    database = str(session.get_bind().url)
    key = (database, feed.feed_id, feed.imported_at, feed.stop_id)
    held = _HELD.get(key)
    if held is not None:
        _HELD.move_to_end(key)
        return held
    held = _read(session, feed.feed_id, feed.stop_id, has_frequencies)
    # Databases of other tests or tenants keep theirs; the older feeds of this one go.
    for stale in [k for k in _HELD if k[0] == database and k[1:3] != key[1:3]]:
        del _HELD[stale]
    _HELD[key] = held
    total = sum(len(calls) for calls in _HELD.values())
    while total > CACHED_CALLS and len(_HELD) > 1:
        _, dropped = _HELD.popitem(last=False)
        total -= len(dropped)
    return held


def _read(session: Session, feed_id: int, stop_id: str, has_frequencies: bool) -> StopCalls:
    frequency_trips = (
        set(session.scalars(select(Frequency.trip_id).where(Frequency.feed_id == feed_id)))
        if has_frequencies
        else set()
    )
    rows = session.execute(calls_query(feed_id, stop_id)).all()
    by_frequency_ids = sorted({row.trip_id for row in rows} & frequency_trips)
    first_departures = _first_departures(session, feed_id, by_frequency_ids)
    trips: dict[str, TripInfo] = {}
    timed: list[tuple[StopCall, str]] = []
    by_frequency: list[StopCall] = []
    for row in rows:
        call = StopCall(
            row.trip_id, row.stop_sequence, row.arrival_s, row.departure_s, row.stop_headsign
        )
        trips[row.trip_id] = TripInfo(
            trip_id=row.trip_id,
            route_id=row.route_id,
            service_id=row.service_id,
            route_short_name=row.route_short_name,
            headsign=row.trip_headsign,
            first_departure_s=first_departures.get(row.trip_id),
        )
        if row.trip_id in frequency_trips:
            by_frequency.append(call)
        else:
            timed.append((call, row.service_id))
    timed.sort(key=lambda pair: (pair[0].arrival_s, pair[0].trip_id, pair[0].stop_sequence))
    return StopCalls(
        timed=tuple(call for call, _ in timed),
        timed_arrivals_s=tuple(call.arrival_s for call, _ in timed),
        timed_services=tuple(service for _, service in timed),
        by_frequency=tuple(by_frequency),
        windows=_windows(session, feed_id, by_frequency_ids),
        trips=trips,
    )


def _first_departures(session: Session, feed_id: int, trip_ids: list[str]) -> dict[str, int]:
    """Each frequency trip's departure from its first stop: runs are offset from it."""
    if not trip_ids:
        return {}
    return dict(
        session.execute(
            select(StopTime.trip_id, func.min(StopTime.departure_s))
            .where(StopTime.feed_id == feed_id, StopTime.trip_id.in_(trip_ids))
            .group_by(StopTime.trip_id)
        ).all()
    )


def _windows(session: Session, feed_id: int, trip_ids: list[str]) -> tuple[FrequencyWindow, ...]:
    if not trip_ids:
        return ()
    return tuple(
        FrequencyWindow.from_row(row._mapping)
        for row in session.execute(
            select(
                Frequency.trip_id,
                Frequency.start_s,
                Frequency.end_s,
                Frequency.headway_secs,
                Frequency.exact_times,
            ).where(Frequency.feed_id == feed_id, Frequency.trip_id.in_(trip_ids))
        )
    )
