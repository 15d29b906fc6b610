"""When buses really come: the timetable arithmetic of GTFS, without a database.

Everything here works on small frozen dataclasses so that it can be tested against a feed
parsed in memory, and ``queries.py`` only fetches the rows. The rules implemented:

- A service runs on a date as ``service_days.py`` says (calendars and their exceptions).
- Times are seconds since "noon minus 12 hours" of the service date (GTFS's definition, which is
  midnight except on daylight-saving change days); a trip of Monday's service may run at
  ``25:10:00``, which is Tuesday 01:10.
- A trip listed in ``frequencies.txt`` is a template: its runs start every ``headway_secs`` from
  ``start_time`` while before ``end_time``, and each stop is reached at the same offset from the
  run's start as in the template (offset from the template's first departure).
- Real-time predictions (GTFS-Realtime) apply to one run; a stop's delay also applies to later
  stops of the run until the next prediction, and a trip-level delay to stops with none.
"""

from __future__ import annotations

import datetime as dt
import functools
import heapq
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from services.traffic.domain.realtime import RealtimeDelay
from services.traffic.domain.service_days import (
    ServiceCalendar,
    ServiceException,
    active_services,
    service_days_before,
)

_UTC = dt.UTC


def service_day_start(service_date: dt.date, tz: ZoneInfo | None) -> dt.datetime:
    """The instant GTFS times of ``service_date`` count from (see ``_service_day_start``)."""
    return _service_day_start(service_date, tz)


@functools.lru_cache(maxsize=64)  # a few service days a read, the same all day
def _service_day_start(service_date: dt.date, tz: ZoneInfo | None) -> dt.datetime:
    """The instant GTFS times count from: noon minus 12 h (aware UTC when a zone is known)."""
    if tz is None:
        return dt.datetime.combine(service_date, dt.time())
    noon = dt.datetime.combine(service_date, dt.time(12), tzinfo=tz)
    return noon.astimezone(_UTC) - dt.timedelta(hours=12)


def _local(day_start: dt.datetime, seconds: int, tz: ZoneInfo | None) -> dt.datetime:
    moment = day_start + dt.timedelta(seconds=seconds)
    return moment if tz is None else moment.astimezone(tz).replace(tzinfo=None)


def service_datetime(
    service_date: dt.date, seconds: int, tz: ZoneInfo | None = None
) -> dt.datetime:
    """The naive local wall-clock time of a GTFS time on a service date.

    With ``tz``, daylight-saving days follow the GTFS rule (on the spring-forward day
    ``01:00:00`` is 00:00 local); without it every day is 24 h long.
    """
    return _local(_service_day_start(service_date, tz), seconds, tz)


@dataclass(frozen=True, slots=True)
class TripInfo:
    trip_id: str
    route_id: str
    service_id: str
    route_short_name: str | None
    headsign: str | None
    first_departure_s: int | None = None  # of the trip's first stop; needed for frequency trips


@dataclass(frozen=True, slots=True)
class StopCall:
    """A trip's scheduled call at the stop being looked at (one ``stop_times.txt`` row)."""

    trip_id: str
    stop_sequence: int
    arrival_s: int
    departure_s: int
    stop_headsign: str | None = None


@dataclass(frozen=True)
class FrequencyWindow:
    trip_id: str
    start_s: int
    end_s: int
    headway_s: int
    exact_times: bool = False

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> FrequencyWindow:
        return cls(
            row["trip_id"],
            row["start_s"],
            row["end_s"],
            row["headway_secs"],
            bool(row["exact_times"]),
        )

    def run_starts(self) -> range:
        """Departure times from the first stop of the runs in this window.

        Both ``exact_times`` values get the same runs: for 0 GTFS promises only the headway,
        and the evenly spaced runs are the best estimate a rider can be shown.
        """
        return range(self.start_s, self.end_s, self.headway_s)


@dataclass(frozen=True)
class Delay:
    """A real-time prediction matched to the timetable (see ``resolve_delays``).

    ``stop_sequence`` None: for the whole run (a trip-level delay, or a cancellation when
    ``skipped``). ``delay_s`` None: "no data", which ends the previous stop's delay.
    ``service_date``/``start_time_s`` None: the run is not named, so it applies to any run.
    """

    trip_id: str
    stop_sequence: int | None
    delay_s: int | None
    skipped: bool = False
    service_date: dt.date | None = None
    start_time_s: int | None = None

    def applies_to(self, service_date: dt.date, run_start_s: int | None) -> bool:
        return (self.service_date is None or self.service_date == service_date) and (
            self.start_time_s is None or run_start_s is None or self.start_time_s == run_start_s
        )


@dataclass(frozen=True)
class Arrival:
    trip_id: str
    route_id: str
    route_short_name: str | None
    headsign: str | None
    scheduled: dt.datetime
    expected: dt.datetime
    delay_s: int | None  # None: no real-time data for this run, expected is the timetable

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of the arrivals endpoint (local times, ISO 8601, no offset)."""
        return {
            "trip_id": self.trip_id,
            "route_id": self.route_id,
            "route_short_name": self.route_short_name,
            "headsign": self.headsign,
            "scheduled": self.scheduled.isoformat(timespec="seconds"),
            "expected": self.expected.isoformat(timespec="seconds"),
            "delay_s": self.delay_s,
        }


@dataclass(frozen=True)
class _Prediction:
    delay_s: int | None
    skipped: bool


_NO_PREDICTION = _Prediction(None, False)


def _prediction(
    delays: Sequence[Delay], service_date: dt.date, run_start_s: int | None, stop_sequence: int
) -> _Prediction:
    """The real-time state of one run at one stop: delay (or None) and whether it is skipped."""
    if not delays:
        return _NO_PREDICTION
    trip_level: Delay | None = None
    latest: Delay | None = None  # the last stop-level prediction at or before this stop
    latest_sequence = -1
    for delay in delays:
        if not delay.applies_to(service_date, run_start_s):
            continue
        if delay.stop_sequence is None:
            trip_level = delay
            continue
        # A skipped stop's prediction is not carried on to the stops after it.
        carried = not delay.skipped or delay.stop_sequence == stop_sequence
        if latest_sequence < delay.stop_sequence <= stop_sequence and carried:
            latest, latest_sequence = delay, delay.stop_sequence
    if trip_level is not None and trip_level.skipped:
        return _Prediction(None, True)  # the run is cancelled
    if latest is not None:
        return _Prediction(latest.delay_s, latest.skipped)
    return _Prediction(trip_level.delay_s if trip_level else None, False)


def upcoming_arrivals(
    at: dt.datetime,
    calls: Iterable[StopCall],
    trips: Mapping[str, TripInfo],
    calendars: Iterable[ServiceCalendar],
    exceptions: Iterable[ServiceException],
    frequencies: Iterable[FrequencyWindow] = (),
    delays: Iterable[Delay] = (),
    tz: ZoneInfo | None = None,
    limit: int = 10,
    running_on: Callable[[dt.date], Collection[str]] | None = None,
) -> list[Arrival]:
    """The next ``limit`` vehicles at a stop from ``at`` (naive local time), soonest first.

    A vehicle is listed while it has not left: its expected departure is at or after ``at``.
    Runs of the previous service days (times past 24:00:00) and of the next day are included,
    so a bus at 00:10 is found at 23:55. Cancelled runs and skipped stops are left out.
    ``running_on`` (e.g. ``ServiceDays.running_on``), when given, says which services run on a
    date instead of ``calendars`` and ``exceptions``.
    """
    calls = list(calls)
    if running_on is None:
        calendars, exceptions = list(calendars), list(exceptions)

        def running_on(day: dt.date) -> Collection[str]:
            return active_services(day, calendars, exceptions)

    windows: dict[str, list[FrequencyWindow]] = defaultdict(list)
    for window in frequencies:
        windows[window.trip_id].append(window)
    delays_by_trip: dict[str, list[Delay]] = defaultdict(list)
    for delay in delays:
        delays_by_trip[delay.trip_id].append(delay)

    # Service days started this many days before ``at`` can still have vehicles to come.
    latest_s = max(
        (
            call.departure_s + shift
            for call in calls
            if call.trip_id in trips
            for _, shift in _runs(call, trips[call.trip_id], windows.get(call.trip_id))
        ),
        default=0,
    )
    # Times are compared and sorted as wall-clock seconds (local time read as if UTC), and
    # only the answer's are turned into datetimes.
    at_wall = (at - _WALL_EPOCH).total_seconds()
    candidates: list[tuple[int, int, str, StopCall, TripInfo, int | None]] = []
    for offset in range(-service_days_before(latest_s), 2):
        service_date = at.date() + dt.timedelta(days=offset)
        running = running_on(service_date)
        wall = _WallClock(_service_day_start(service_date, tz), tz, latest_s)
        for call in calls:
            trip = trips.get(call.trip_id)
            if trip is None or trip.service_id not in running:
                continue
            for run_start_s, shift in _runs(call, trip, windows.get(call.trip_id)):
                prediction = _prediction(
                    delays_by_trip.get(call.trip_id, ()),
                    service_date,
                    run_start_s,
                    call.stop_sequence,
                )
                if prediction.skipped:
                    continue
                delay_s = prediction.delay_s or 0
                if wall.seconds(call.departure_s + shift) + delay_s < at_wall:
                    continue  # already left
                scheduled = wall.seconds(call.arrival_s + shift)
                candidates.append(
                    (scheduled + delay_s, scheduled, call.trip_id, call, trip, prediction.delay_s)
                )
    return [
        Arrival(
            trip_id=call.trip_id,
            route_id=trip.route_id,
            route_short_name=trip.route_short_name,
            headsign=call.stop_headsign or trip.headsign,
            scheduled=_WALL_EPOCH + dt.timedelta(seconds=scheduled),
            expected=_WALL_EPOCH + dt.timedelta(seconds=expected),
            delay_s=delay_s,
        )
        for expected, scheduled, _, call, trip, delay_s in heapq.nsmallest(
            limit, candidates, key=lambda candidate: candidate[:3]
        )
    ]


_WALL_EPOCH = dt.datetime(1970, 1, 1)
_OFFSET_SAMPLES = dt.timedelta(hours=6)  # clocks never change twice within 6 hours


def utc_offsets(tz: ZoneInfo, start: dt.datetime, end: dt.datetime) -> list[dt.timedelta]:
    """The zone's UTC offsets from ``start`` to ``end`` (aware), in order: sampled every six
    hours and at ``end``, which sees every change of the clocks in between."""
    offsets, moment = [], start
    while True:
        offsets.append(moment.astimezone(tz).utcoffset() or dt.timedelta(0))
        if moment >= end:
            return offsets
        moment = min(moment + _OFFSET_SAMPLES, end)


class _WallClock:
    """Local wall-clock seconds (since ``_WALL_EPOCH``) of GTFS times of one service day.

    On a day whose UTC offset does not change between its start and ``span_s`` later (every
    day but two a year), a time is the day's start plus seconds; only then is that sum valid,
    otherwise each time goes through the zone as ``_local`` does.
    """

    def __init__(self, day_start: dt.datetime, tz: ZoneInfo | None, span_s: int) -> None:
        self._day_start, self._tz = day_start, tz
        self._base: int | None = None
        if tz is None:
            self._base = int((day_start - _WALL_EPOCH).total_seconds())
            return
        offsets = set(utc_offsets(tz, day_start, day_start + dt.timedelta(seconds=span_s)))
        if len(offsets) == 1:
            (offset,) = offsets
            local_start = day_start.replace(tzinfo=None) + (offset or dt.timedelta(0))
            self._base = int((local_start - _WALL_EPOCH).total_seconds())

    def seconds(self, gtfs_time_s: int) -> int:
        if self._base is not None:
            return self._base + gtfs_time_s
        local = _local(self._day_start, gtfs_time_s, self._tz)
        return int((local - _WALL_EPOCH).total_seconds())


def _runs(
    call: StopCall, trip: TripInfo, windows: list[FrequencyWindow] | None
) -> Iterator[tuple[int | None, int]]:
    """(run start, seconds to add to the template's times) for each run of the call's trip."""
    if not windows:
        yield None, 0
        return
    first = trip.first_departure_s
    if first is None:
        raise ValueError(f"first_departure_s is needed for frequency-based trip {trip.trip_id}")
    for window in windows:
        for run_start in window.run_starts():
            yield run_start, run_start - first


# --- Matching real-time predictions to the timetable ----------------------------------------


@dataclass(frozen=True)
class ScheduledStop:
    """One stop of a trip in the static timetable, for matching real-time predictions."""

    stop_sequence: int
    stop_id: str
    arrival_s: int | None  # None: an untimed stop
    departure_s: int | None


def resolve_delays(
    records: Iterable[RealtimeDelay],
    stops_by_trip: Mapping[str, Sequence[ScheduledStop]],  # each in stop_sequence order
    tz: ZoneInfo | None,
    message_time: int | None,
) -> list[Delay]:
    """Turn parsed GTFS-RT predictions into ``Delay``s on the static timetable.

    Predictions naming only a ``stop_id`` get the trip's stop_sequence there; absolute times
    become delays against the scheduled time; a run named without a start date gets the
    service date whose run is nearest the message time. Predictions for trips or stops the
    timetable does not know are dropped: they cannot be shown against any arrival.
    """
    resolved = []
    for record in records:
        stops = stops_by_trip.get(record.trip_id)
        if not stops:
            continue
        stop = _matching_stop(record, stops)
        names_a_stop = record.stop_sequence is not None or record.stop_id is not None
        if names_a_stop and stop is None:
            continue
        first_departure_s = next(
            (each.departure_s for each in stops if each.departure_s is not None), 0
        )
        # A run of a frequency-based trip is the template shifted to the run's start.
        shift = record.start_time_s - first_departure_s if record.start_time_s is not None else 0
        service_date = record.service_date
        if service_date is None and message_time is not None:
            service_date = _nearest_service_date(message_time, first_departure_s + shift, tz)
        delay_s = record.delay_s
        if record.event_time is not None and stop is not None:
            scheduled_s = stop.arrival_s if stop.arrival_s is not None else stop.departure_s
            delay_s = (
                _delay_from_event_time(record.event_time, scheduled_s + shift, service_date, tz)
                if scheduled_s is not None
                else None
            )
        resolved.append(
            Delay(
                trip_id=record.trip_id,
                stop_sequence=stop.stop_sequence if stop is not None else None,
                delay_s=delay_s,
                skipped=record.skipped,
                service_date=service_date,
                start_time_s=record.start_time_s,
            )
        )
    return resolved


def _matching_stop(record: RealtimeDelay, stops: Sequence[ScheduledStop]) -> ScheduledStop | None:
    for stop in stops:
        if record.stop_sequence is not None:
            if stop.stop_sequence == record.stop_sequence:
                return stop
        elif stop.stop_id == record.stop_id:
            return stop
    return None


def _instant(service_date: dt.date, seconds: int, tz: ZoneInfo | None) -> int:
    start = _service_day_start(service_date, tz)
    if tz is None:  # naive times are taken as UTC
        start = start.replace(tzinfo=_UTC)
    return int((start + dt.timedelta(seconds=seconds)).timestamp())


def _candidate_dates(moment: int, tz: ZoneInfo | None) -> list[dt.date]:
    local_day = dt.datetime.fromtimestamp(moment, tz or _UTC).date()
    return [local_day - dt.timedelta(days=1), local_day, local_day + dt.timedelta(days=1)]


def _nearest_service_date(moment: int, seconds: int, tz: ZoneInfo | None) -> dt.date:
    return min(
        _candidate_dates(moment, tz), key=lambda day: abs(_instant(day, seconds, tz) - moment)
    )


def _delay_from_event_time(
    event_time: int, scheduled_s: int, service_date: dt.date | None, tz: ZoneInfo | None
) -> int:
    day = service_date or _nearest_service_date(event_time, scheduled_s, tz)
    return event_time - _instant(day, scheduled_s, tz)
