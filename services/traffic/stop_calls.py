"""Every call at one stop of one imported feed, held in memory for ``timetable.arrivals``.

An imported feed never changes (an import makes a new ``feed_id`` and deletes the old one), so
the calls at a stop are read once per stop, feed and process, and every later read of arrivals
finds its service days' calls by bisection instead of a statement. Before, that statement and
its planning were half the cost of an uncached read (bench/README.md).

They are held with the feed's entry in ``timetable``'s index (``HeldStops``), so a new
import drops them with the rest of the old feed's. Memory is bounded: the stops read least
recently are dropped once the feed's entry holds more than ``CACHED_CALLS`` calls (the stop
being read is always kept, however many it has).
Measured on Cairns, every stop held: 37,725 calls in 6.7 MB, 177 bytes a call. The
busiest stop of a feed 100 times Cairns whose copies share their stops has 60,700 calls.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.traffic.arrival_reads import calls_query
from services.traffic.domain.schedule import FrequencyWindow, StopCall, TripInfo
from services.traffic.models import Frequency, StopTime

CACHED_CALLS = 100_000  # about 18 MB at most, beside a process's idle 60-66 MB


@dataclass(frozen=True)
class StopCalls:
    """The calls at a stop. Those of timetabled trips are held as columns, by (arrival, trip,
    sequence), and become ``StopCall``s only when looked at: 4 integers a call and 5
    references a trip, against 701 bytes a call as objects. Those of trips run by
    ``frequencies.txt`` (templates, always looked at in full) are held as objects, with their
    windows."""

    arrivals_s: array[int]
    departures_s: array[int]
    sequences: array[int]
    trip_of: array[int]  # the position of each call's trip in the trip columns
    headsigns: dict[int, str]  # stop_headsign by call position, where the feed gives one
    trip_ids: list[str]
    trip_routes: list[str]
    trip_services: list[str]
    trip_short_names: list[str | None]
    trip_headsigns: list[str | None]
    by_frequency: tuple[StopCall, ...]
    frequency_trips: dict[str, TripInfo]
    windows: tuple[FrequencyWindow, ...]

    def __len__(self) -> int:
        return len(self.arrivals_s) + len(self.by_frequency)

    def of_day(
        self, from_arrival_s: int, from_departure_s: int, services: Collection[str], rows: int
    ) -> list[tuple[StopCall, TripInfo]]:
        """The first ``rows`` timetabled calls, in order and with their trips, of the
        ``services`` running on a service day that arrive at or after ``from_arrival_s`` and
        leave at or after ``from_departure_s`` (seconds since that day's start)."""
        found: list[tuple[StopCall, TripInfo]] = []
        departures, trip_of, trip_services = self.departures_s, self.trip_of, self.trip_services
        for position in range(bisect_left(self.arrivals_s, from_arrival_s), len(departures)):
            trip = trip_of[position]
            if departures[position] >= from_departure_s and trip_services[trip] in services:
                found.append(self._call(position, trip))
                if len(found) == rows:
                    break
        return found

    def _call(self, position: int, trip: int) -> tuple[StopCall, TripInfo]:
        trip_id = self.trip_ids[trip]
        call = StopCall(
            trip_id,
            self.sequences[position],
            self.arrivals_s[position],
            self.departures_s[position],
            self.headsigns.get(position),
        )
        info = TripInfo(
            trip_id=trip_id,
            route_id=self.trip_routes[trip],
            service_id=self.trip_services[trip],
            route_short_name=self.trip_short_names[trip],
            headsign=self.trip_headsigns[trip],
        )
        return call, info


class HeldStops:
    """The calls of the stops of one imported feed read so far (``timetable.FeedIndex``: they
    go with the feed's entry when another feed is imported). Past ``CACHED_CALLS`` calls the
    stops read least recently are dropped, though the one being read is always kept."""

    def __init__(self, has_frequencies: bool) -> None:
        self._has_frequencies = has_frequencies
        self._stops: OrderedDict[str, StopCalls] = OrderedDict()
        self._calls = 0

    def __iter__(self) -> Iterator[str]:
        """The stops held, least recently read first."""
        return iter(self._stops)

    def calls_at(self, session: Session, feed_id: int, stop_id: str) -> StopCalls:
        held = self._stops.get(stop_id)
        if held is not None:
            self._stops.move_to_end(stop_id)
            return held
        held = self._stops[stop_id] = _read(session, feed_id, stop_id, self._has_frequencies)
        self._calls += len(held)
        while self._calls > CACHED_CALLS and len(self._stops) > 1:
            _, dropped = self._stops.popitem(last=False)
            self._calls -= len(dropped)
        return held


def _read(session: Session, feed_id: int, stop_id: str, has_frequencies: bool) -> StopCalls:
    frequency_trip_ids = (
        set(session.scalars(select(Frequency.trip_id).where(Frequency.feed_id == feed_id)))
        if has_frequencies
        else set()
    )
    rows = session.execute(calls_query(feed_id, stop_id)).all()
    timed = sorted(
        (row for row in rows if row.trip_id not in frequency_trip_ids),
        key=lambda row: (row.arrival_s, row.trip_id, row.stop_sequence),
    )
    by_frequency = [row for row in rows if row.trip_id in frequency_trip_ids]
    by_frequency_ids = sorted({row.trip_id for row in by_frequency})
    first_departures = _first_departures(session, feed_id, by_frequency_ids)
    return StopCalls(
        **_timed_columns(timed),
        by_frequency=tuple(
            StopCall(
                row.trip_id, row.stop_sequence, row.arrival_s, row.departure_s, row.stop_headsign
            )
            for row in by_frequency
        ),
        frequency_trips={
            row.trip_id: TripInfo(
                trip_id=row.trip_id,
                route_id=row.route_id,
                service_id=row.service_id,
                route_short_name=row.route_short_name,
                headsign=row.trip_headsign,
                first_departure_s=first_departures.get(row.trip_id),
            )
            for row in by_frequency
        },
        windows=_windows(session, feed_id, by_frequency_ids),
    )


_TRIP_COLUMNS = ("trip_ids", "trip_routes", "trip_services", "trip_short_names", "trip_headsigns")


def _timed_columns(rows: list[Any]) -> dict[str, Any]:
    """``StopCalls``' columns of the timetabled calls ``rows``, in their order."""
    # The driver makes a new string per row; routes, services and headsigns repeat.
    strings: dict[str | None, str | None] = {}
    share = strings.setdefault
    trips: dict[str, int] = {}  # trip id -> its position in the trip columns
    columns: dict[str, list[Any]] = {name: [] for name in _TRIP_COLUMNS}
    trip_of = array("i")
    for row in rows:
        position = trips.get(row.trip_id)
        if position is None:
            position = trips[row.trip_id] = len(trips)
            values = (
                row.trip_id,
                row.route_id,
                row.service_id,
                row.route_short_name,
                row.trip_headsign,
            )
            for name, value in zip(_TRIP_COLUMNS, values, strict=True):
                columns[name].append(share(value, value))
        trip_of.append(position)
    return {
        "arrivals_s": array("i", (row.arrival_s for row in rows)),
        "departures_s": array("i", (row.departure_s for row in rows)),
        "sequences": array("i", (row.stop_sequence for row in rows)),
        "trip_of": trip_of,
        "headsigns": {
            position: share(row.stop_headsign, row.stop_headsign)
            for position, row in enumerate(rows)
            if row.stop_headsign
        },
        **columns,
    }


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
