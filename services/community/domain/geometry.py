"""Grid cells as GeoJSON polygons (lon, lat; WGS 84) and locating the cell of a point.

A point on the border of two cells is covered by both; it belongs to the cell with the lowest
id (string order), so every point gets one answer whatever order the cells are stored in. A
point outside every cell has none.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from shared.errors import invalid

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

# shapely (and the numpy it brings: 13 MB) is imported in the functions: only the grid's
# paths need it, not an idle community process.

POLYGON_TYPES = ("Polygon", "MultiPolygon")


def polygon_of(geojson: Any) -> BaseGeometry:
    """A valid polygon from GeoJSON, else ``ValidationFailed`` naming ``polygon``."""
    if not isinstance(geojson, dict) or geojson.get("type") not in POLYGON_TYPES:
        raise invalid("polygon", "must be a GeoJSON Polygon or MultiPolygon")
    from shapely.geometry import shape

    try:
        polygon = shape(geojson)
    except Exception as exc:  # shapely raises several types for malformed coordinates
        raise invalid("polygon", f"malformed coordinates: {exc}") from None
    if polygon.is_empty or not all(math.isfinite(bound) for bound in polygon.bounds):
        raise invalid("polygon", "must have finite coordinates")
    if not polygon.is_valid:
        raise invalid("polygon", "must be a valid, non-empty polygon (no self-intersection)")
    return polygon


def cell_of_point(cells: list[tuple[str, dict[str, Any]]], lon: float, lat: float) -> str | None:
    """The id of the cell covering the point (borders included; lowest id on a shared border)."""
    from shapely.geometry import Point, shape

    point = Point(lon, lat)
    covering = sorted(cell_id for cell_id, geojson in cells if shape(geojson).covers(point))
    return covering[0] if covering else None
