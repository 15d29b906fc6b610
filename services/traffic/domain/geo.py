"""Geometry on the Earth's surface for stops and parking lots, and plain-language positions.

GTFS gives only coordinates (no streets), so everything a resident is told about where a stop
is comes from distances and compass directions computed here. Distances use the haversine
formula on a sphere of the Earth's mean radius: at city scale its error (< 0.5 %) is far below
GPS noise, and it needs no projection library.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

EARTH_RADIUS_M = 6_371_008.8  # IUGG mean radius
METRES_PER_DEGREE_LAT = math.pi * EARTH_RADIUS_M / 180

# An unhurried adult pace (about 4.7 km/h), used for walking times; slower than the 1.4 m/s
# often quoted so that older residents and crossings are not promised a bus they will miss.
WALKING_SPEED_M_S = 1.3


_COMPASS_POINTS = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")
_COMPASS_WORDS = {
    "N": "north",
    "NE": "north-east",
    "E": "east",
    "SE": "south-east",
    "S": "south",
    "SW": "south-west",
    "W": "west",
    "NW": "north-west",
}


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two points given in degrees."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Initial compass bearing in degrees [0, 360) for travelling from point 1 to point 2."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_lambda = math.radians(lon2 - lon1)
    x = math.sin(d_lambda) * math.cos(phi2)
    y = math.cos(phi1) * math.sin(phi2) - math.sin(phi1) * math.cos(phi2) * math.cos(d_lambda)
    return math.degrees(math.atan2(x, y)) % 360


def compass_point(bearing: float) -> str:
    """The nearest of the eight compass points ("N", "NE", ... "NW") for a bearing in degrees."""
    return _COMPASS_POINTS[round((bearing % 360) / 45) % 8]


def compass_word(bearing: float) -> str:
    """The compass point spelt out for sentences: "north", "north-east", ..."""
    return _COMPASS_WORDS[compass_point(bearing)]


def walking_minutes(distance_m: float) -> int:
    """Whole minutes to walk a distance at ``WALKING_SPEED_M_S``, rounded up (never promise
    less time than is needed)."""
    return math.ceil(distance_m / WALKING_SPEED_M_S / 60)


@dataclass(frozen=True)
class BoundingBox:
    """A latitude/longitude rectangle that contains every point within a radius of a centre.

    Used as an index-friendly SQL prefilter before the exact haversine distance in Python.
    """

    min_lat: float
    max_lat: float
    min_lon: float
    max_lon: float


def bounding_box(lat: float, lon: float, radius_m: float) -> BoundingBox:
    """The box around (lat, lon) containing the circle of ``radius_m``.

    Near a pole, or when the circle crosses the 180° meridian, the box widens to every
    longitude: rarely needed by a city, and a wider prefilter is still correct.
    """
    d_lat = radius_m / METRES_PER_DEGREE_LAT
    min_lat, max_lat = lat - d_lat, lat + d_lat
    if min_lat <= -90 or max_lat >= 90:
        return BoundingBox(max(min_lat, -90.0), min(max_lat, 90.0), -180.0, 180.0)
    # The widest longitude span of the circle is at the latitude nearest the pole.
    widest_lat = max(abs(min_lat), abs(max_lat))
    d_lon = d_lat / math.cos(math.radians(widest_lat))
    if lon - d_lon < -180 or lon + d_lon > 180:
        return BoundingBox(min_lat, max_lat, -180.0, 180.0)
    return BoundingBox(min_lat, max_lat, lon - d_lon, lon + d_lon)


def format_distance(distance_m: float) -> str:
    """A distance as a resident would say it: "85 m", "452 m", "1.2 km"."""
    if distance_m < 1000:
        return f"{distance_m:.0f} m"
    return f"{distance_m / 1000:.1f} km"


@dataclass(frozen=True)
class Landmark:
    """Something near a stop to describe its position by: another stop or a station."""

    name: str
    distance_m: float
    bearing_from_landmark: float  # direction from the landmark towards the described place


def describe_stop(
    name: str,
    lat: float,
    lon: float,
    route_labels: list[str],
    nearest: Landmark | None,
    station: str | None = None,
    stop_desc: str | None = None,
    landmark_radius_m: float = 1000,
) -> str:
    """A plain-language sentence saying where a stop is, from what GTFS knows.

    There is no street data in GTFS, so the position is given by coordinates, the nearest
    differently named stop (distance and compass direction from it), the parent station and the
    routes serving it. Example: "Stop 'Bullfrog' at 36.88108, -116.81797; 150 m north of 'Nye
    County Airport' stop; served by routes 10 (Airport - Bullfrog), 20 (...)."
    """
    parts = [f"Stop '{name}' at {lat:.5f}, {lon:.5f}"]
    if stop_desc:
        parts.append(stop_desc)
    if station:
        parts.append(f"part of station '{station}'")
    if nearest is not None:
        parts.append(
            f"{format_distance(nearest.distance_m)} {compass_word(nearest.bearing_from_landmark)}"
            f" of '{nearest.name}' stop"
        )
    else:
        parts.append(f"no other stop within {format_distance(landmark_radius_m)}")
    if route_labels:
        noun = "route" if len(route_labels) == 1 else "routes"
        parts.append(f"served by {noun} {', '.join(route_labels)}")
    else:
        parts.append("no scheduled routes")
    return "; ".join(parts) + "."
