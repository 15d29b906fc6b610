"""Request and response shapes of the traffic service's RPC methods and HTTP API.

Query strings arrive as strings: the query schemas convert them (``fields.Float`` and
``fields.Integer`` parse "41.79" and "10") and check ranges, so a bad value is refused at the
gateway with a 400 naming the parameter as the client spelt it (``radius``, not the service's
``radius_m``). Body schemas ``load`` a JSON body; the gateway ``dump``s the loaded value to
send it over RPC, which carries JSON (times and amounts as strings). The traffic service checks
every value again, so an RPC caller that bypasses the gateway gets the same rules.

Response schemas describe exactly what the service returns (``services/traffic``). Times of
the timetable are the feed's local times without offset (``2007-06-05T08:02:00``); parking
times are UTC with offset (``2024-05-01T08:30:00+00:00``), both ISO 8601 strings.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from shared.contracts.common import MAX_INTEGER, BoundedDateTime, Request
from shared.identity import CreditCodeField

MAX_RADIUS_M = 5000
DEFAULT_STOP_RADIUS_M = 500
DEFAULT_LOT_RADIUS_M = 1000
MAX_ITEMS = 100
DEFAULT_STOPS = 20
DEFAULT_ARRIVALS = 10
MAX_REALTIME_BYTES = 10 * 1024 * 1024
MAX_LOT_CAPACITY = 100_000  # the largest car parks hold a few thousand spaces
MAX_PRICE_PER_HOUR = 10_000  # yuan
SHENYANG_DISTRICTS = (
    "Heping",
    "Shenhe",
    "Dadong",
    "Huanggu",
    "Tiexi",
    "Sujiatun",
    "Hunnan",
    "Shenbei",
    "Yuhong",
    "Liaozhong",
    "Xinmin",
    "Kangping",
    "Faku",
)
"""Shenyang's county-level divisions (10 districts, Xinmin city, 2 counties), in pinyin."""
"""A city's full-dataset GTFS-Realtime message is a few hundred kilobytes; ten megabytes leaves
room for a large one without letting a client tie up a worker with an endless body."""


def _latitude(**kwargs: Any) -> fields.Float:
    return fields.Float(validate=validate.Range(min=-90, max=90), **kwargs)


def _longitude(**kwargs: Any) -> fields.Float:
    return fields.Float(validate=validate.Range(min=-180, max=180), **kwargs)


def _radius(default: int) -> fields.Float:
    return fields.Float(
        load_default=default,
        validate=validate.Range(min=0, min_inclusive=False, max=MAX_RADIUS_M),
        metadata={"description": f"metres, at most {MAX_RADIUS_M} (default {default})"},
    )


def _limit(default: int) -> fields.Integer:
    return fields.Integer(
        load_default=default,
        validate=validate.Range(min=1, max=MAX_ITEMS),
        metadata={"description": f"how many items, 1 to {MAX_ITEMS} (default {default})"},
    )


def _id(max_length: int = 255, **kwargs: Any) -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=max_length), **kwargs)


def _price(value: Decimal) -> None:
    # Not a Range validator: the spec shows this field as a string, where a range is invalid.
    if not 0 <= value <= MAX_PRICE_PER_HOUR or value.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValidationError(
            f"must be an amount from 0 to {MAX_PRICE_PER_HOUR} with at most 2 decimals"
        )


# --- query strings ----------------------------------------------------------------------------


class StopsNearQuery(Request):
    """``GET /api/v1/traffic/stops?lat=&lon=&radius=``: stops near a point."""

    lat = _latitude(required=True)
    lon = _longitude(required=True)
    radius = _radius(DEFAULT_STOP_RADIUS_M)
    limit = _limit(DEFAULT_STOPS)


class ArrivalsQuery(Request):
    """``GET /api/v1/traffic/stops/<stop_id>/arrivals?at=&limit=``."""

    at = BoundedDateTime(
        format="iso",
        load_default=None,
        metadata={
            "description": "local time of the timetable, ISO 8601 (e.g. 2007-06-05T07:55:00); "
            "with an offset it is converted; default now"
        },
    )
    limit = _limit(DEFAULT_ARRIVALS)


class WalkQuery(Request):
    """``GET /api/v1/traffic/walk?lat=&lon=&stop_id=``: walking from a point to a stop."""

    lat = _latitude(required=True)
    lon = _longitude(required=True)
    stop_id = _id(required=True)


class LotsNearQuery(Request):
    """``GET /api/v1/traffic/parking/lots?lat=&lon=&radius=``: parking lots near a point."""

    lat = _latitude(required=True)
    lon = _longitude(required=True)
    radius = _radius(DEFAULT_LOT_RADIUS_M)


# --- request bodies ---------------------------------------------------------------------------


class LotIn(Request):
    """``POST /api/v1/traffic/parking/lots``: a department registers a parking lot."""

    lot_id = _id(64, required=True)
    name = _id(200, required=True)
    lat = _latitude(required=True)
    lon = _longitude(required=True)
    capacity = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=0, max=MAX_LOT_CAPACITY)
    )
    price_per_hour = fields.Decimal(
        required=True,
        as_string=True,
        validate=_price,
        metadata={"description": f'yuan, 0 to {MAX_PRICE_PER_HOUR}, at most 2 decimals ("3.50")'},
    )
    operator_credit_code = CreditCodeField(
        required=True, metadata={"description": "unified social credit code of the operator"}
    )
    district = fields.String(
        allow_none=True,
        validate=validate.OneOf(SHENYANG_DISTRICTS),
        metadata={"description": "the district (pinyin) the lot is in, e.g. Heping"},
    )


class OccupancyIn(Request):
    """``PUT /api/v1/traffic/parking/lots/<lot_id>/occupancy``: a sensor count, observed now."""

    occupied = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=0, max=MAX_INTEGER),
        metadata={"description": "occupied spaces, 0 to the lot's capacity"},
    )


class ReservationIn(Request):
    """``POST /api/v1/traffic/parking/reservations``: the calling resident reserves a space."""

    lot_id = _id(64, required=True)
    starts_at = BoundedDateTime(
        required=True,
        format="iso",
        metadata={"description": "ISO 8601; without an offset it is UTC"},
    )
    ends_at = BoundedDateTime(
        required=True,
        format="iso",
        metadata={"description": "after starts_at, at most 24 hours later"},
    )


# --- responses --------------------------------------------------------------------------------


def _local_time(**kwargs: Any) -> fields.String:
    return fields.String(metadata={"description": "local time, ISO 8601 without offset"}, **kwargs)


def _utc_time(**kwargs: Any) -> fields.String:
    return fields.String(metadata={"description": "UTC, ISO 8601 with offset"}, **kwargs)


class Stop(Schema):
    stop_id = fields.String(required=True)
    name = fields.String(allow_none=True)
    lat = fields.Float(allow_none=True)
    lon = fields.Float(allow_none=True)


class StopNear(Stop):
    distance_m = fields.Float(required=True, metadata={"description": "metres, one decimal"})


class RouteSummary(Schema):
    route_id = fields.String(required=True)
    short_name = fields.String(allow_none=True)
    long_name = fields.String(allow_none=True)


class StopDetail(Stop):
    description = fields.String(
        allow_none=True, metadata={"description": "where the stop is, in a sentence"}
    )
    routes = fields.List(fields.Nested(RouteSummary), required=True)


class RouteStop(Stop):
    stop_sequence = fields.Integer(required=True)


class Arrival(Schema):
    trip_id = fields.String(required=True)
    route_id = fields.String(required=True)
    route_short_name = fields.String(allow_none=True)
    headsign = fields.String(allow_none=True)
    scheduled = _local_time(required=True)
    expected = _local_time(required=True)
    delay_s = fields.Integer(
        allow_none=True, metadata={"description": "null: no real-time prediction"}
    )


class Walk(Schema):
    distance_m = fields.Float(required=True, metadata={"description": "straight line, metres"})
    minutes = fields.Integer(required=True, metadata={"description": "at 1.3 m/s, rounded up"})
    bearing_deg = fields.Float(required=True, metadata={"description": "compass, [0, 360)"})
    stop = fields.Nested(StopDetail, required=True)


class RealtimeCounts(Schema):
    delays = fields.Integer(required=True, metadata={"description": "predictions stored"})
    ignored = fields.Integer(
        required=True, metadata={"description": "predictions for unknown trips or stops"}
    )
    alerts = fields.Integer(required=True, metadata={"description": "alerts stored"})


class Lot(Schema):
    lot_id = fields.String(required=True)
    name = fields.String(required=True)
    lat = fields.Float(required=True)
    lon = fields.Float(required=True)
    capacity = fields.Integer(required=True)
    price_per_hour = fields.String(required=True, metadata={"description": 'yuan, "3.50"'})
    operator_credit_code = fields.String(required=True)
    department = fields.String(
        required=True, metadata={"description": "registered the lot; alone may update it"}
    )
    district = fields.String(allow_none=True, metadata={"description": "null: not registered"})


class LotStatus(Lot):
    occupied = fields.Integer(required=True, metadata={"description": "latest sensor count"})
    observed_at = _utc_time(allow_none=True)
    free_spaces = fields.Integer(
        required=True, metadata={"description": "empty, less those held for reserved cars due"}
    )


class LotNear(LotStatus):
    distance_m = fields.Float(required=True)


class Reservation(Schema):
    reservation_id = fields.UUID(required=True)
    lot_id = fields.String(required=True)
    card_number = fields.String(required=True)
    starts_at = _utc_time(required=True)
    ends_at = _utc_time(required=True)
    status = fields.String(
        required=True,
        validate=validate.OneOf(("reserved", "checked_in", "cancelled", "no_show", "completed")),
    )
    created_at = _utc_time(required=True)


def _page_of(schema: type[Schema], order: str) -> fields.List:
    return fields.List(fields.Nested(schema), required=True, metadata={"description": order})


class StopsPage(Schema):
    items = _page_of(StopNear, "nearest first")


class ArrivalsPage(Schema):
    items = _page_of(Arrival, "soonest first")
    valid_until = fields.AwareDateTime(
        format="iso",
        required=True,
        metadata={
            "description": "UTC instant until which this answer holds as the clock runs on "
            "(the first vehicle's expected arrival, or the next local midnight); a real-time "
            "update or a new timetable can change it sooner"
        },
    )


class RoutesPage(Schema):
    items = _page_of(RouteSummary, "in the feed's display order")


class RouteStopsPage(Schema):
    items = _page_of(RouteStop, "in travel order, from the route's trip with the most stops")


class LotsPage(Schema):
    items = _page_of(LotNear, "nearest first")


class ReservationsPage(Schema):
    items = _page_of(Reservation, "latest start first")


class DistrictParking(Schema):
    district = fields.String(
        required=True, metadata={"description": "pinyin name, or unassigned (lots without one)"}
    )
    lots = fields.Integer(required=True)
    capacity = fields.Integer(required=True, metadata={"description": "spaces"})
    occupied = fields.Integer(required=True, metadata={"description": "latest sensor counts"})
    occupancy_rate = fields.Float(
        required=True, allow_none=True, metadata={"description": "occupied / capacity"}
    )


class ParkingByDistrict(Schema):
    """``traffic.parking_by_district()``: occupancy now, by district name."""

    as_of = fields.String(required=True, metadata={"description": "UTC, ISO 8601"})
    districts = fields.List(fields.Nested(DistrictParking), required=True)
