"""What arrivals read from the database. A read sends one statement, the active feed with the
stop and the version of the predictions, prepared on the server once per connection
(``shared.prepared``); the calls at the stop (``calls_query``) are read once per feed
(``stop_calls``) and the predictions once per version (``live_delays``)."""

from __future__ import annotations

import weakref
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from services.traffic.models import Feed, RealtimeVersion, Route, Stop, StopTime, Trip
from shared.errors import NotFound, invalid
from shared.prepared import PreparedRead


def calls_query(feed_id: Any, stop_id: Any) -> Any:
    return (
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
            StopTime.feed_id == feed_id,
            StopTime.stop_id == stop_id,
            StopTime.departure_s.is_not(None),  # untimed stops have no time to show
        )
    )


_FEED_AT_STOP = PreparedRead(
    "traffic_feed_at_stop",
    select(
        Feed.feed_id,
        Feed.timezone,
        Feed.imported_at,
        Feed.max_departure_s,
        Feed.max_dwell_s,
        Stop.stop_id,
        select(RealtimeVersion.version).scalar_subquery().label("realtime_version"),
    )
    .outerjoin(Stop, (Stop.feed_id == Feed.feed_id) & (Stop.stop_id == bindparam("stop_id")))
    .where(Feed.active.is_(True))
    .order_by(Feed.feed_id.desc())
    .limit(1),
)


def feed_at_stop(session: Session, stop_id: object) -> Any:
    """The timetable in use, the stop (``stop_id`` None when the feed has no such stop) and
    the version of the stored predictions (``live_delays``), in one statement: the one round
    trip of a read of arrivals, once the stop's calls and the predictions are in memory."""
    if not isinstance(stop_id, str) or not stop_id:
        raise invalid("stop_id", "must be a non-empty string")
    row = _FEED_AT_STOP.execute(session.connection(), {"stop_id": stop_id}).first()
    if row is None:
        raise NotFound("no transit timetable has been imported")
    if row.stop_id is None:
        raise NotFound(f"stop '{stop_id}' not found", extra={"stop_id": stop_id})
    return row


_DATABASES: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


def database_key(session: Session) -> str:
    """Which database ``session`` reads, as the key of what arrivals hold in memory (tests and
    tenants have several): the engine's URL, rendered once per engine, not three times a read.
    """
    bind = session.get_bind()
    key = _DATABASES.get(bind)
    if key is None:
        key = _DATABASES[bind] = str(bind.url)
    return key
