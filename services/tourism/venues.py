"""Venues: registration, live occupancy, credit flags and search (flush, never commit)."""

from __future__ import annotations

import datetime as dt
import functools
import math
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from services.tourism.domain.opening import is_open
from services.tourism.models import Venue
from shared.clock import CITY_TIMEZONE
from shared.errors import Conflict, NotFound

METRES_PER_DEGREE = 111_320.0
"""Length of a degree of latitude: the search's box prefilter before the exact distance."""


_VENUE_COLUMNS = (
    Venue.venue_id,
    Venue.name,
    Venue.category,
    Venue.lat,
    Venue.lon,
    Venue.opens_at,
    Venue.closes_at,
    Venue.daily_capacity,
    Venue.price,
    Venue.operator_credit_code,
    Venue.black_listed,
    Venue.present,
    Venue.occupancy_observed_at,
)
"""What ``venue_dict`` reads: a search selects these columns, not ORM objects (no identity
map, no instances built per row)."""


def venue_dict(venue: Any, now: dt.datetime, distance_m: float | None = None) -> dict[str, Any]:
    """A ``Venue`` (or a row of ``_VENUE_COLUMNS``) as the API shows it."""
    local = now.replace(tzinfo=dt.UTC).astimezone(CITY_TIMEZONE).time()
    observed = venue.occupancy_observed_at
    return {
        "venue_id": venue.venue_id,
        "name": venue.name,
        "category": venue.category,
        "lat": venue.lat,
        "lon": venue.lon,
        "opens_at": venue.opens_at.strftime("%H:%M"),
        "closes_at": venue.closes_at.strftime("%H:%M"),
        "daily_capacity": venue.daily_capacity,
        "price": str(venue.price),
        "operator_credit_code": venue.operator_credit_code,
        "credit_flag": "black_list" if venue.black_listed else None,
        "present": venue.present,
        "occupancy_observed_at": observed.isoformat() + "Z" if observed else None,
        "open_now": is_open(venue.opens_at, venue.closes_at, local),
        "distance_m": None if distance_m is None else round(distance_m, 1),
    }


def add_venue(session: Session, department: str, data: dict[str, Any], black_listed: bool) -> Venue:
    """Register a venue of ``department`` (loaded by ``VenueIn``); ``Conflict`` if the id is
    taken."""
    if session.get(Venue, data["venue_id"]) is not None:
        raise Conflict(
            f"venue '{data['venue_id']}' already exists", fields={"venue_id": ["already taken"]}
        )
    venue = Venue(
        venue_id=data["venue_id"],
        department=department,
        name=data["name"].strip(),
        category=data["category"],
        lat=float(data["lat"]),
        lon=float(data["lon"]),
        opens_at=dt.time.fromisoformat(str(data["opens_at"])),
        closes_at=dt.time.fromisoformat(str(data["closes_at"])),
        daily_capacity=int(data["daily_capacity"]),
        price=Decimal(str(data["price"])).quantize(Decimal("0.01")),
        operator_credit_code=data["operator_credit_code"],
        black_listed=black_listed,
    )
    session.add(venue)
    session.flush()
    return venue


def get_venue(session: Session, venue_id: str) -> Venue:
    venue = session.get(Venue, venue_id)
    if venue is None:
        raise NotFound(f"venue '{venue_id}' not found", fields={"venue_id": ["no such venue"]})
    return venue


def record_presence(
    session: Session, venue_id: str, gate_unit: str | None, present: int, now: dt.datetime
) -> Venue:
    """A gate's count of the people inside its own venue; another venue is ``NotFound``."""
    venue = session.get(Venue, venue_id)
    if venue is None or gate_unit != venue_id:
        raise NotFound(f"venue '{venue_id}' not found")
    venue.present = present
    venue.occupancy_observed_at = now
    session.flush()
    return venue


def set_black_listed(session: Session, credit_code: str, listed: bool) -> int:
    """Flag (or clear) every venue whose operator is ``credit_code``; how many rows changed."""
    result = session.execute(
        update(Venue)
        .where(Venue.operator_credit_code == credit_code, Venue.black_listed.is_not(listed))
        .values(black_listed=listed)
    )
    return result.rowcount


@functools.cache
def _search_statement(by_category: bool, near: bool) -> Any:
    """The search's statement of one shape, built once (bind parameters; run as Core)."""
    statement = select(*_VENUE_COLUMNS)
    if by_category:
        statement = statement.where(Venue.category == bindparam("category"))
    if near:  # the box around the circle; the exact distance is measured per row
        statement = statement.where(
            Venue.lat.between(bindparam("min_lat"), bindparam("max_lat")),
            Venue.lon.between(bindparam("min_lon"), bindparam("max_lon")),
        )
    return statement.order_by(Venue.name, Venue.venue_id)


def search(session: Session, query: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    """A page of venues: near ``lat``/``lon`` within ``radius`` (nearest first), else by name;
    of one ``category``; only those open now (city time) with ``open_now``."""
    lat, lon = query.get("lat"), query.get("lon")
    near = lat is not None and lon is not None
    params: dict[str, Any] = {"category": query.get("category")}
    if near:
        radius = float(query["radius"])
        dlat = radius / METRES_PER_DEGREE
        dlon = dlat / max(math.cos(math.radians(lat)), 0.01)
        params.update(
            min_lat=lat - dlat, max_lat=lat + dlat, min_lon=lon - dlon, max_lon=lon + dlon
        )
    statement = _search_statement(bool(query.get("category")), near)
    # Imported here: it brings numpy (9 MB), which only searches near a point need.
    from haversine import Unit, haversine

    found = []
    session.flush()  # as the ORM's execute would: Core on the connection does not autoflush
    for venue in session.connection().execute(statement, params):
        distance = None
        if lat is not None and lon is not None:
            distance = haversine((lat, lon), (venue.lat, venue.lon), unit=Unit.METERS)
            if distance > float(query["radius"]):
                continue
        item = venue_dict(venue, now, distance)
        if query.get("open_now") and not item["open_now"]:
            continue
        found.append(item)
    if lat is not None:
        found.sort(key=lambda item: (item["distance_m"], item["venue_id"]))
    limit, offset = query["limit"], query["offset"]
    return {
        "items": found[offset : offset + limit],
        "total": len(found),
        "limit": limit,
        "offset": offset,
    }
