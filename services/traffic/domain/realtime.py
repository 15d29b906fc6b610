"""GTFS-Realtime: a ``FeedMessage``'s trip delays and service alerts, as plain values."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from services.traffic.domain.gtfs import parse_gtfs_date, parse_gtfs_time
from shared.errors import invalid


@cache
def _rt() -> Any:
    """The GTFS-Realtime bindings, imported on the first feed message: protobuf adds 1.2 MB to
    every traffic process, and most never receive a realtime feed (bench/README.md "Memory")."""
    from google.transit import gtfs_realtime_pb2

    return gtfs_realtime_pb2


@dataclass(frozen=True)
class RealtimeDelay:
    """One prediction from a trip update, before it is matched to the static timetable.

    ``stop_sequence`` and ``stop_id`` are both None for a whole-trip prediction (trip-level
    delay or cancellation). The producer gives either ``delay_s`` or an absolute ``event_time``
    (POSIX seconds); both are None for "no data".
    """

    trip_id: str
    service_date: dt.date | None
    start_time_s: int | None  # which run of a frequency-based trip
    stop_sequence: int | None
    stop_id: str | None
    delay_s: int | None
    event_time: int | None
    skipped: bool = False  # the stop is skipped, or with no stop the whole trip is cancelled


@dataclass(frozen=True)
class RealtimeAlert:
    alert_id: str
    header: str
    description: str
    cause: str
    effect: str
    active_periods: tuple[tuple[int | None, int | None], ...]  # POSIX (start, end), open ends
    route_ids: tuple[str, ...]
    stop_ids: tuple[str, ...]
    trip_ids: tuple[str, ...]


@dataclass(frozen=True)
class RealtimeUpdate:
    """What one ``FeedMessage`` says: predictions, alerts and whether it replaces everything."""

    timestamp: int | None
    full_dataset: bool
    delays: tuple[RealtimeDelay, ...]
    alerts: tuple[RealtimeAlert, ...]
    trip_ids: frozenset[str]  # trips that a differential message updates


def parse_realtime(data: bytes) -> RealtimeUpdate:
    """Decode a GTFS-Realtime ``FeedMessage``. Raises ``invalid("feed_message", ...)``."""
    if not isinstance(data, bytes | bytearray):
        raise invalid("feed_message", "must be protobuf bytes")
    from google.protobuf.message import DecodeError

    rt = _rt()
    message = rt.FeedMessage()
    try:
        message.ParseFromString(bytes(data))
    except (DecodeError, RuntimeError) as exc:
        raise invalid("feed_message", f"is not a GTFS-Realtime FeedMessage ({exc})") from None
    header = message.header
    if not header.gtfs_realtime_version:
        raise invalid("feed_message", "has no header.gtfs_realtime_version")
    delays: list[RealtimeDelay] = []
    alerts: list[RealtimeAlert] = []
    trip_ids: set[str] = set()
    for entity in message.entity:
        if entity.is_deleted:
            continue
        if entity.HasField("trip_update") and entity.trip_update.trip.trip_id:
            trip_ids.add(entity.trip_update.trip.trip_id)
            delays.extend(_trip_update_delays(entity.id, entity.trip_update))
        if entity.HasField("alert"):
            alerts.append(_alert(entity.id, entity.alert))
    return RealtimeUpdate(
        timestamp=header.timestamp if header.HasField("timestamp") else None,
        full_dataset=header.incrementality == rt.FeedHeader.FULL_DATASET,
        delays=tuple(delays),
        alerts=tuple(alerts),
        trip_ids=frozenset(trip_ids),
    )


def _trip_update_delays(entity_id: str, update: Any) -> Iterator[RealtimeDelay]:
    stop_time_update = _rt().TripUpdate.StopTimeUpdate
    trip = update.trip
    try:
        service_date = parse_gtfs_date(trip.start_date) if trip.start_date else None
        start_time_s = parse_gtfs_time(trip.start_time) if trip.start_time else None
    except ValueError as exc:
        raise invalid("feed_message", f"entity '{entity_id}': {exc}") from None

    def delay(
        sequence: int | None,
        stop_id: str | None,
        delay_s: int | None = None,
        event_time: int | None = None,
        skipped: bool = False,
    ) -> RealtimeDelay:
        return RealtimeDelay(
            trip.trip_id,
            service_date,
            start_time_s,
            sequence,
            stop_id,
            delay_s,
            event_time,
            skipped,
        )

    if trip.schedule_relationship == _rt().TripDescriptor.CANCELED:
        yield delay(None, None, skipped=True)
        return
    if update.HasField("delay"):
        yield delay(None, None, delay_s=update.delay)
    for stop_update in update.stop_time_update:
        sequence = stop_update.stop_sequence if stop_update.HasField("stop_sequence") else None
        stop_id = stop_update.stop_id or None
        if sequence is None and stop_id is None:
            continue
        if stop_update.schedule_relationship == stop_time_update.SKIPPED:
            yield delay(sequence, stop_id, skipped=True)
            continue
        event = None
        if stop_update.schedule_relationship != stop_time_update.NO_DATA:
            for name in ("arrival", "departure"):
                if stop_update.HasField(name):
                    event = getattr(stop_update, name)
                    break
        if event is not None and event.HasField("delay"):
            yield delay(sequence, stop_id, delay_s=event.delay)
        elif event is not None and event.HasField("time"):
            yield delay(sequence, stop_id, event_time=event.time)
        else:
            yield delay(sequence, stop_id)


def _translation(text: Any) -> str:
    """The English (or untagged, or first) translation of a GTFS-RT TranslatedString."""
    translations = list(text.translation)
    for wanted in ("en", ""):
        for item in translations:
            if item.language.split("-")[0].lower() == wanted:
                return item.text
    return translations[0].text if translations else ""


def _alert(entity_id: str, alert: Any) -> RealtimeAlert:
    informed = list(alert.informed_entity)
    rt = _rt()
    return RealtimeAlert(
        alert_id=entity_id,
        header=_translation(alert.header_text),
        description=_translation(alert.description_text),
        cause=rt.Alert.Cause.Name(alert.cause),
        effect=rt.Alert.Effect.Name(alert.effect),
        active_periods=tuple(
            (
                period.start if period.HasField("start") else None,
                period.end if period.HasField("end") else None,
            )
            for period in alert.active_period
        ),
        route_ids=tuple(sorted({item.route_id for item in informed if item.route_id})),
        stop_ids=tuple(sorted({item.stop_id for item in informed if item.stop_id})),
        trip_ids=tuple(sorted({item.trip.trip_id for item in informed if item.trip.trip_id})),
    )
