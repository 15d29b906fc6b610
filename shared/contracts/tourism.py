"""Request and response shapes of the tourism service: cards, venues, tickets, statistics.

The gateway loads each request body or query with its ``*In`` / ``*Query`` schema (unknown
fields refused, every value bounded) and sends the JSON the client sent over RPC; the service
returns JSON-ready dicts shaped by the response schemas below. Money is a ``Decimal``, carried
as a string (``"80.00"``).
"""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shared.contracts.common import BoundedDate, Page, Request, TrimmedString, page_of
from shared.identity import CreditCodeField

TOURISM_DEPARTMENT = "tourism"
VENUES_SCOPE = "tourism.venues"
"""The tourism department's venue office: registers venues, reads the statistics."""
GATE_SCOPE = "tourism.gate"
"""A venue gate client: its ``unit`` is the venue id; pushes occupancy, validates tickets."""
VISITORS_SCOPE = "tourism.visitors"
"""The tourism service centre's desk: registers visitors and books on their behalf."""

DISABILITY_AFFAIR_CODE = "disability-certificate"
"""The community affair whose approved application gives free entry (the disability benefit)."""

VENUE_CATEGORIES = ("scenic_spot", "hotel", "restaurant", "shop")
BENEFIT_KINDS = ("student", "disability")
CARD_KINDS = ("resident", "visitor")
VISITOR_DOCUMENT_TYPES = ("passport", "id_number")
TICKET_STATUSES = ("booked", "used", "cancelled")

MAX_CAPACITY = 1_000_000
MAX_PRICE = Decimal("100000")
MAX_VISITORS = 20
BOOKING_HORIZON_DAYS = 180
MAX_SEARCH_RADIUS_M = 50_000
MAX_CODE_LENGTH = 2000
MAX_NAME_LENGTH = 200
MONEY = {"description": 'yuan, a decimal string ("80.00")'}


def _text(max_length: int, **kwargs: Any) -> fields.String:
    return TrimmedString(validate=validate.Length(min=1, max=max_length), **kwargs)


def _price(value: Decimal) -> None:
    # Not a Range validator: the spec shows this field as a string, where a range is invalid.
    if not 0 <= value <= MAX_PRICE or value.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValidationError(f"must be an amount from 0 to {MAX_PRICE} with at most 2 decimals")


class ClockTime(fields.Time):
    """A local time of day ``HH:MM`` in the city's time zone (opening hours)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> time:
        moment = super()._deserialize(value, attr, data, **kwargs)
        if moment.tzinfo is not None:
            raise ValidationError("a local time of the city, without an offset")
        return moment


# --- venues -------------------------------------------------------------------------------


class VenueIn(Request):
    """``POST /api/v1/tourism/venues``: the venue office registers a venue."""

    venue_id = fields.String(
        required=True,
        validate=validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"),
        metadata={"description": "letters, digits, '-' and '_'; the gate clients' unit"},
    )
    name = _text(MAX_NAME_LENGTH, required=True)
    category = fields.String(required=True, validate=validate.OneOf(VENUE_CATEGORIES))
    lat = fields.Float(required=True, validate=validate.Range(min=-90, max=90))
    lon = fields.Float(required=True, validate=validate.Range(min=-180, max=180))
    opens_at = ClockTime(required=True, metadata={"description": "HH:MM, city time"})
    closes_at = ClockTime(
        required=True, metadata={"description": "HH:MM, city time; before opens_at: overnight"}
    )
    daily_capacity = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=0, max=MAX_CAPACITY)
    )
    price = fields.Decimal(required=True, as_string=True, validate=_price, metadata=MONEY)
    operator_credit_code = CreditCodeField(
        required=True, metadata={"description": "unified social credit code of the operator"}
    )

    @validates_schema
    def _hours_differ(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if data.get("opens_at") is not None and data.get("opens_at") == data.get("closes_at"):
            raise ValidationError("must differ from opens_at", field_name="closes_at")


class VenuePresenceIn(Request):
    """``PUT /api/v1/tourism/venues/<venue_id>/occupancy``: the gate's count of people inside."""

    present = fields.Integer(required=True, strict=True, validate=validate.Range(0, MAX_CAPACITY))


class VenueSearchQuery(Page):
    """``GET /api/v1/tourism/venues``: near a point (``lat`` and ``lon`` together), by category,
    open now."""

    lat = fields.Float(validate=validate.Range(min=-90, max=90))
    lon = fields.Float(validate=validate.Range(min=-180, max=180))
    radius = fields.Float(
        load_default=5000,
        validate=validate.Range(min=1, max=MAX_SEARCH_RADIUS_M),
        metadata={"description": f"metres, at most {MAX_SEARCH_RADIUS_M}"},
    )
    category = fields.String(validate=validate.OneOf(VENUE_CATEGORIES))
    open_now = fields.Boolean(load_default=False)

    @validates_schema
    def _point_whole(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if ("lat" in data) != ("lon" in data):
            missing = "lon" if "lat" in data else "lat"
            raise ValidationError("lat and lon go together", field_name=missing)


class Venue(Schema):
    venue_id = fields.String(required=True)
    name = fields.String(required=True)
    category = fields.String(required=True)
    lat = fields.Float(required=True)
    lon = fields.Float(required=True)
    opens_at = fields.String(required=True)
    closes_at = fields.String(required=True)
    daily_capacity = fields.Integer(required=True)
    price = fields.String(required=True, metadata=MONEY)
    operator_credit_code = fields.String(required=True)
    credit_flag = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "'black_list' while the operator is on credit's black list"},
    )
    present = fields.Integer(required=True, allow_none=True)
    occupancy_observed_at = fields.String(required=True, allow_none=True)
    open_now = fields.Boolean(required=True)
    distance_m = fields.Float(load_default=None, allow_none=True)


VenuePage = page_of(Venue)


# --- cards and benefits -------------------------------------------------------------------


class TouristBenefit(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(BENEFIT_KINDS))
    source = fields.String(required=True, metadata={"description": "the department's event"})
    reference = fields.String(required=True)
    valid_until = fields.String(required=True, allow_none=True)
    reason = fields.String(required=True)
    discount_percent = fields.Integer(required=True)


class TouristCard(Schema):
    card_id = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(CARD_KINDS))
    citizen_card = fields.String(required=True, allow_none=True)
    holder_name = fields.String(required=True, allow_none=True)
    expires_on = fields.String(required=True, allow_none=True)
    issued_at = fields.String(required=True)
    benefits = fields.List(fields.Nested(TouristBenefit), required=True)


class VisitorCardIn(Request):
    """``POST /api/v1/tourism/visitor-cards``: a visitor without a citizen card registers."""

    name = _text(MAX_NAME_LENGTH, required=True)
    document_type = fields.String(required=True, validate=validate.OneOf(VISITOR_DOCUMENT_TYPES))
    document_number = _text(
        32, required=True, metadata={"description": "passport number or Chinese ID number"}
    )
    expires_on = BoundedDate(required=True, metadata={"description": "last day the card works"})


# --- tickets ------------------------------------------------------------------------------


class TicketBookingIn(Request):
    """A booking: one venue, one day, up to 20 visitors (the card holder among them)."""

    venue_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    visit_date = BoundedDate(required=True)
    visitors = fields.Integer(required=True, strict=True, validate=validate.Range(1, MAX_VISITORS))


class TicketPriceLine(Schema):
    description = fields.String(required=True)
    visitors = fields.Integer(required=True)
    unit_price = fields.String(required=True, metadata=MONEY)
    discount_percent = fields.Integer(required=True)
    benefit = fields.String(required=True, allow_none=True)
    amount = fields.String(required=True, metadata=MONEY)


class TouristTicket(Schema):
    ticket_id = fields.String(required=True)
    venue_id = fields.String(required=True)
    card_id = fields.String(required=True)
    visit_date = fields.String(required=True)
    visitors = fields.Integer(required=True)
    total_price = fields.String(required=True, metadata=MONEY)
    computation = fields.List(fields.Nested(TicketPriceLine), required=True)
    benefit = fields.String(required=True, allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(TICKET_STATUSES))
    booked_at = fields.String(required=True)
    used_at = fields.String(required=True, allow_none=True)
    code = fields.String(
        required=True, metadata={"description": "one-time signed code (the QR code's content)"}
    )


TouristTicketPage = page_of(TouristTicket)


class TicketGateValidationIn(Request):
    """``POST /api/v1/tourism/gate/validations``: the gate read a ticket's code."""

    code = fields.String(required=True, validate=validate.Length(min=1, max=MAX_CODE_LENGTH))


class TicketGateValidation(Schema):
    ticket_id = fields.String(required=True)
    venue_id = fields.String(required=True)
    visit_date = fields.String(required=True)
    visitors = fields.Integer(required=True)
    used_at = fields.String(required=True)


# --- statistics ---------------------------------------------------------------------------


class TourismStatsQuery(Request):
    """``GET /api/v1/tourism/statistics``: an inclusive span of visit dates (at most a year)."""

    date_from = BoundedDate(required=True, data_key="from")
    date_to = BoundedDate(required=True, data_key="to")

    @validates_schema
    def _span(self, data: dict[str, Any], **_kwargs: Any) -> None:
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and not 0 <= (end - start).days <= 366:
            raise ValidationError("must be on or after 'from', at most 366 days on", "to")


class VenueDayStatistics(Schema):
    venue_id = fields.String(required=True)
    visit_date = fields.String(required=True)
    visitors_booked = fields.Integer(required=True)
    visitors_entered = fields.Integer(required=True)
    sales = fields.String(required=True, metadata=MONEY)


class TourismStatistics(Schema):
    days = fields.List(fields.Nested(VenueDayStatistics), required=True)
    total_sales = fields.String(required=True, metadata=MONEY)
    benefit_usage = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        required=True,
        metadata={"description": "tickets priced with each benefit"},
    )


class DailyVisitors(Schema):
    """``tourism.daily_visitors()``: every venue's days in a window around today (counts)."""

    date_from = fields.String(required=True)
    date_to = fields.String(required=True)
    days = fields.List(fields.Nested(VenueDayStatistics), required=True)


MAX_SALES_DAYS = 366


class TourismLoadRequest(Request):
    days = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_SALES_DAYS))


class TicketSalesDay(Schema):
    date = fields.Date(required=True, metadata={"description": "the booking's city day"})
    tickets = fields.Integer(required=True, metadata={"description": "not cancelled"})
    visitors = fields.Integer(required=True)


class VenueLoad(Schema):
    venue_id = fields.String(required=True)
    name = fields.String(required=True)
    category = fields.String(required=True)
    capacity_today = fields.Integer(required=True)
    booked_today = fields.Integer(required=True, metadata={"description": "places sold"})
    load_rate = fields.Float(allow_none=True, metadata={"description": "booked / capacity"})
    present = fields.Integer(allow_none=True, metadata={"description": "last gate count"})


class TourismLoad(Schema):
    """``tourism.tourism_load(days)``: city-wide counts, no ticket or card."""

    today = fields.Date(required=True)
    ticket_sales = fields.List(fields.Nested(TicketSalesDay), required=True)
    venues = fields.List(
        fields.Nested(VenueLoad),
        required=True,
        metadata={"description": "the busiest 50 venues by today's load"},
    )
