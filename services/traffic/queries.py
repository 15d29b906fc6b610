"""What residents ask the transit side of the traffic service, answered from the database.

Each function takes an SQLAlchemy ``Session`` and returns plain JSON-ready values (the gateway
passes them on as they are). The timetable arithmetic lives in ``schedule.py`` and the geometry
in ``geo.py``; this module only fetches rows for them. All answers come from the newest active
feed. Times are naive local times in the feed's time zone (``agency_timezone``).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from services.traffic.domain import geo
from services.traffic.models import (
    Feed,
    Route,
    ServiceAlert,
    Stop,
    StopTime,
    Trip,
)
from shared.errors import NotFound, invalid

LANDMARK_RADIUS_M = 1000  # how far to look for another stop to describe a stop's position
BOARDING_STOP = 0  # GTFS location_type of a stop or platform (not a station or entrance)


def active_feed(session: Session) -> Feed:
    """The timetable in use: the newest active feed. ``NotFound`` before the first import."""
    feed = session.scalars(
        select(Feed).where(Feed.active.is_(True)).order_by(Feed.feed_id.desc()).limit(1)
    ).first()
    if feed is None:
        raise NotFound("no transit timetable has been imported")
    return feed


def active_feed_id() -> Any:
    """The newest active feed's id as a scalar subquery, so that a read needs no statement of
    its own to find the timetable in use (an import by any process is seen at once)."""
    return select(func.max(Feed.feed_id)).where(Feed.active.is_(True)).scalar_subquery()


# Statements built once: building a select and its cache key on every call cost more CPU than
# running it. Run on the session's connection (Core), not through the ORM's execute path.
_STOPS_IN_BOX = select(Stop.stop_id, Stop.stop_name, Stop.stop_lat, Stop.stop_lon).where(
    Stop.feed_id == bindparam("feed_id"),
    Stop.location_type == BOARDING_STOP,
    Stop.stop_lat.between(bindparam("min_lat"), bindparam("max_lat")),
    Stop.stop_lon.between(bindparam("min_lon"), bindparam("max_lon")),
)
_STOPS_IN_BOX_OF_ACTIVE_FEED = select(
    Stop.stop_id, Stop.stop_name, Stop.stop_lat, Stop.stop_lon
).where(
    Stop.feed_id == active_feed_id(),
    Stop.location_type == BOARDING_STOP,
    Stop.stop_lat.between(bindparam("min_lat"), bindparam("max_lat")),
    Stop.stop_lon.between(bindparam("min_lon"), bindparam("max_lon")),
)
_ROUTES_OF_ACTIVE_FEED = select(
    Route.route_id, Route.route_short_name, Route.route_long_name, Route.route_sort_order
).where(Route.feed_id == active_feed_id())


def _require_feed(session: Session) -> None:
    """Raise ``NotFound`` before the first import; asked only when a read found nothing."""
    active_feed(session)


def _natural_key(text: str | None) -> tuple[Any, ...]:
    """Sort "2" before "10" and "110" before "110N", as riders read route numbers."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part)
        for part in re.split(r"(\d+)", text or "")
        if part
    )


def _stop_dict(
    stop_id: str, name: str | None, lat: float | None, lon: float | None
) -> dict[str, Any]:
    return {"stop_id": stop_id, "name": name, "lat": lat, "lon": lon}


def _route_dict(route: Any) -> dict[str, Any]:
    return {
        "route_id": route.route_id,
        "short_name": route.route_short_name,
        "long_name": route.route_long_name,
    }


def _route_label(route: Route) -> str:
    """A route as named in sentences: "10 (Airport - Bullfrog)", or the one name it has."""
    if route.route_short_name and route.route_long_name:
        return f"{route.route_short_name} ({route.route_long_name})"
    return route.route_short_name or route.route_long_name or route.route_id


def _route_order(route: Any) -> tuple[Any, ...]:
    sort_order = route.route_sort_order if route.route_sort_order is not None else 2**31
    return (sort_order, _natural_key(route.route_short_name or route.route_long_name))


def _stops_in_box(
    session: Session, feed_id: int | None, lat: float, lon: float, radius_m: float
) -> list[tuple[float, Any]]:
    """(distance, row) of boarding stops within ``radius_m``, nearest first; of the active
    feed when ``feed_id`` is None."""
    box = geo.bounding_box(lat, lon, radius_m)
    params = {
        "min_lat": box.min_lat,
        "max_lat": box.max_lat,
        "min_lon": box.min_lon,
        "max_lon": box.max_lon,
    }
    if feed_id is None:
        rows = session.connection().execute(_STOPS_IN_BOX_OF_ACTIVE_FEED, params).all()
    else:
        rows = session.connection().execute(_STOPS_IN_BOX, {**params, "feed_id": feed_id}).all()
    found = []
    for row in rows:
        distance = geo.haversine_m(lat, lon, row.stop_lat, row.stop_lon)
        if distance <= radius_m:
            found.append((distance, row))
    found.sort(key=lambda item: (item[0], item[1].stop_id))
    return found


def stops_near(
    session: Session, lat: float, lon: float, radius_m: float, limit: int = 20
) -> list[dict[str, Any]]:
    """Stops within ``radius_m`` (at most 5 km) of a point, nearest first.

    Each item: ``{"stop_id", "name", "lat", "lon", "distance_m"}`` (metres, one decimal).
    """
    found = _stops_in_box(session, None, lat, lon, radius_m)
    if not found:
        _require_feed(session)
    return [
        {
            **_stop_dict(row.stop_id, row.stop_name, row.stop_lat, row.stop_lon),
            "distance_m": round(distance, 1),
        }
        for distance, row in found[:limit]
    ]


def all_stops(session: Session) -> list[dict[str, Any]]:
    """Every boarding stop of the timetable in use, by id: ``{"stop_id", "name", "lat", "lon"}``."""
    feed = active_feed(session)
    rows = session.execute(
        select(Stop.stop_id, Stop.stop_name, Stop.stop_lat, Stop.stop_lon)
        .where(Stop.feed_id == feed.feed_id, Stop.location_type == BOARDING_STOP)
        .order_by(Stop.stop_id)
    )
    return [_stop_dict(*row) for row in rows]


def _get_stop(session: Session, feed_id: int, stop_id: object) -> Stop:
    if not isinstance(stop_id, str) or not stop_id:
        raise invalid("stop_id", "must be a non-empty string")
    stop = session.get(Stop, (feed_id, stop_id))
    if stop is None:
        raise NotFound(f"stop '{stop_id}' not found", extra={"stop_id": stop_id})
    return stop


def _routes_at_stop(session: Session, feed_id: int, stop_id: str) -> list[Route]:
    trips_here = select(StopTime.trip_id).where(
        StopTime.feed_id == feed_id, StopTime.stop_id == stop_id
    )
    routes_here = select(Trip.route_id).where(Trip.feed_id == feed_id, Trip.trip_id.in_(trips_here))
    routes = session.scalars(
        select(Route).where(Route.feed_id == feed_id, Route.route_id.in_(routes_here))
    ).all()
    return sorted(routes, key=_route_order)


def stop_detail(session: Session, stop_id: str) -> dict[str, Any]:
    """A stop with a plain-language ``description`` of where it is and the ``routes`` there.

    ``{"stop_id", "name", "lat", "lon", "description", "routes": [{"route_id", "short_name",
    "long_name"}]}``. ``NotFound`` for an unknown stop.
    """
    feed = active_feed(session)
    stop = _get_stop(session, feed.feed_id, stop_id)
    routes = _routes_at_stop(session, feed.feed_id, stop.stop_id)
    description = None
    if stop.stop_lat is not None and stop.stop_lon is not None:
        landmark = _nearest_landmark(session, feed.feed_id, stop)
        station = (
            session.get(Stop, (feed.feed_id, stop.parent_station)) if stop.parent_station else None
        )
        description = geo.describe_stop(
            name=stop.stop_name or stop.stop_id,
            lat=stop.stop_lat,
            lon=stop.stop_lon,
            route_labels=[_route_label(route) for route in routes],
            nearest=landmark,
            station=station.stop_name if station else None,
            stop_desc=stop.stop_desc,
            landmark_radius_m=LANDMARK_RADIUS_M,
        )
    return {
        **_stop_dict(stop.stop_id, stop.stop_name, stop.stop_lat, stop.stop_lon),
        "description": description,
        "routes": [_route_dict(route) for route in routes],
    }


def _nearest_landmark(session: Session, feed_id: int, stop: Stop) -> geo.Landmark | None:
    """The nearest stop with another name: a stop of the same name (across the road) says
    nothing about where this one is."""
    for distance, row in _stops_in_box(
        session, feed_id, stop.stop_lat, stop.stop_lon, LANDMARK_RADIUS_M
    ):
        if row.stop_id != stop.stop_id and row.stop_name != stop.stop_name:
            bearing = geo.bearing_deg(row.stop_lat, row.stop_lon, stop.stop_lat, stop.stop_lon)
            return geo.Landmark(row.stop_name or row.stop_id, distance, bearing)
    return None


def _local_time(at: object, tz: ZoneInfo) -> dt.datetime:
    """``at`` as a naive local time of the feed; an aware datetime is converted first."""
    if not isinstance(at, dt.datetime):
        raise invalid("at", "must be a date and time")
    if at.tzinfo is not None:
        return at.astimezone(tz).replace(tzinfo=None)
    return at


def routes(session: Session) -> list[dict[str, Any]]:
    """Every route: ``{"route_id", "short_name", "long_name"}``, in the feed's display order
    (route_sort_order, then route numbers as numbers)."""
    found = session.connection().execute(_ROUTES_OF_ACTIVE_FEED).all()
    if not found:
        _require_feed(session)
    return [_route_dict(route) for route in sorted(found, key=_route_order)]


def route_stops(session: Session, route_id: str) -> list[dict[str, Any]]:
    """The stops of a route in travel order, from its trip with the most stops.

    Each item: ``{"stop_id", "name", "lat", "lon", "stop_sequence"}``. ``NotFound`` for an
    unknown route; an empty list for a route without trips.
    """
    feed = active_feed(session)
    if not isinstance(route_id, str) or session.get(Route, (feed.feed_id, route_id)) is None:
        raise NotFound(f"route '{route_id}' not found", extra={"route_id": route_id})
    stop_count = func.count(StopTime.stop_sequence)
    longest_trip = session.scalars(
        select(StopTime.trip_id)
        .join(Trip, (Trip.feed_id == StopTime.feed_id) & (Trip.trip_id == StopTime.trip_id))
        .where(StopTime.feed_id == feed.feed_id, Trip.route_id == route_id)
        .group_by(StopTime.trip_id)
        .order_by(stop_count.desc(), StopTime.trip_id)
        .limit(1)
    ).first()
    if longest_trip is None:
        return []
    rows = session.execute(
        select(StopTime.stop_sequence, Stop.stop_id, Stop.stop_name, Stop.stop_lat, Stop.stop_lon)
        .join(Stop, (Stop.feed_id == StopTime.feed_id) & (Stop.stop_id == StopTime.stop_id))
        .where(StopTime.feed_id == feed.feed_id, StopTime.trip_id == longest_trip)
        .order_by(StopTime.stop_sequence)
    )
    return [
        {
            **_stop_dict(row.stop_id, row.stop_name, row.stop_lat, row.stop_lon),
            "stop_sequence": row.stop_sequence,
        }
        for row in rows
    ]


def walk(session: Session, lat: float, lon: float, stop_id: str) -> dict[str, Any]:
    """Walking from a point to a stop in a straight line.

    ``{"distance_m", "minutes", "bearing_deg", "stop"}``: great-circle metres (one decimal),
    minutes at ``geo.WALKING_SPEED_M_S`` (1.3 m/s) rounded up, the initial compass bearing
    from the point to the stop in [0, 360), and the ``stop_detail`` of the stop. Streets are
    not known, so the real walk is longer.
    """
    stop = stop_detail(session, stop_id)
    if stop["lat"] is None or stop["lon"] is None:
        raise invalid("stop_id", "the stop has no position")
    distance = geo.haversine_m(lat, lon, stop["lat"], stop["lon"])
    return {
        "distance_m": round(distance, 1),
        "minutes": geo.walking_minutes(distance),
        "bearing_deg": round(geo.bearing_deg(lat, lon, stop["lat"], stop["lon"]), 1),
        "stop": stop,
    }


def active_alerts(
    session: Session, at: dt.datetime, stop_id: str | None = None, route_id: str | None = None
) -> list[dict[str, Any]]:
    """Service alerts in force at ``at`` (naive local time of the feed).

    With ``stop_id`` or ``route_id``, only alerts about that stop or route and network-wide
    alerts (those naming no stop, route or trip). Each item: ``{"alert_id", "header",
    "description", "cause", "effect", "route_ids", "stop_ids"}``.
    """
    feed = active_feed(session)
    moment = _local_time(at, ZoneInfo(feed.timezone)).replace(tzinfo=ZoneInfo(feed.timezone))
    now = int(moment.timestamp())
    found = []
    for alert in session.scalars(select(ServiceAlert).order_by(ServiceAlert.alert_id)):
        periods = alert.active_periods or [[None, None]]
        if not any(
            (start is None or start <= now) and (end is None or now < end) for start, end in periods
        ):
            continue
        network_wide = not (alert.route_ids or alert.stop_ids or alert.trip_ids)
        concerned = (stop_id is None and route_id is None) or (
            network_wide or stop_id in alert.stop_ids or route_id in alert.route_ids
        )
        if concerned:
            found.append(
                {
                    "alert_id": alert.alert_id,
                    "header": alert.header,
                    "description": alert.description,
                    "cause": alert.cause,
                    "effect": alert.effect,
                    "route_ids": alert.route_ids,
                    "stop_ids": alert.stop_ids,
                }
            )
    return found
