"""The leaders' dashboard: indicators across services, aggregates only, never personal data.

``GET /api/v1/leaders/indicators`` gathers one indicator per source service. Each says whether
its source answered (``status: ok`` with its ``data``) or not (``status: unavailable``, a
``reason``, ``data: null``): a service that is down costs its own indicator, never the page.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.contracts.community import TimeLimitPerformance
from shared.contracts.credit import ListChanges
from shared.contracts.health import ConsultationBacklog
from shared.contracts.platform import EventThroughput
from shared.contracts.tourism import TourismLoad
from shared.contracts.traffic import ParkingByDistrict

INDICATOR_STATUSES = ("ok", "unavailable")
THROUGHPUT_HOURS = 24
"""Event throughput: the last day, hour by hour."""
LIST_CHANGE_DAYS = 30
TICKET_SALES_DAYS = 7


class Indicator(Schema):
    status = fields.String(required=True, validate=validate.OneOf(INDICATOR_STATUSES))
    source = fields.String(required=True, metadata={"description": "the service it comes from"})
    reason = fields.String(
        allow_none=True, metadata={"description": "why it is unavailable (null when ok)"}
    )


class TimeLimitIndicator(Indicator):
    data = fields.Nested(TimeLimitPerformance, allow_none=True)


class ParkingIndicator(Indicator):
    data = fields.Nested(ParkingByDistrict, allow_none=True)


class ConsultationBacklogIndicator(Indicator):
    data = fields.Nested(ConsultationBacklog, allow_none=True)


class TourismLoadIndicator(Indicator):
    data = fields.Nested(TourismLoad, allow_none=True)


class ListChangesIndicator(Indicator):
    data = fields.Nested(ListChanges, allow_none=True)


class EventThroughputIndicator(Indicator):
    data = fields.Nested(EventThroughput, allow_none=True)


class ServiceDeadLetters(Schema):
    service = fields.String(required=True)
    dead_letters = fields.Integer(
        required=True, allow_none=True, metadata={"description": "null: queue never declared"}
    )


class DeadLetters(Schema):
    services = fields.List(fields.Nested(ServiceDeadLetters), required=True)
    total = fields.Integer(required=True)


class DeadLettersIndicator(Indicator):
    data = fields.Nested(DeadLetters, allow_none=True)


class Indicators(Schema):
    as_of = fields.AwareDateTime(required=True)
    time_limits = fields.Nested(
        TimeLimitIndicator,
        required=True,
        metadata={"description": "applications decided within their time limit, per affair"},
    )
    parking = fields.Nested(
        ParkingIndicator,
        required=True,
        metadata={"description": "parking occupancy by district (traffic)"},
    )
    consultations = fields.Nested(
        ConsultationBacklogIndicator,
        required=True,
        metadata={"description": "open and overdue consultations per urgency (health)"},
    )
    tourism = fields.Nested(
        TourismLoadIndicator,
        required=True,
        metadata={"description": f"tickets sold per day ({TICKET_SALES_DAYS} days), venue load"},
    )
    credit_lists = fields.Nested(
        ListChangesIndicator,
        required=True,
        metadata={"description": f"list entries added/removed per day ({LIST_CHANGE_DAYS} days)"},
    )
    event_throughput = fields.Nested(
        EventThroughputIndicator,
        required=True,
        metadata={"description": f"events per hour per source ({THROUGHPUT_HOURS} h)"},
    )
    dead_letters = fields.Nested(
        DeadLettersIndicator,
        required=True,
        metadata={"description": "messages in each service's dead letters (the broker)"},
    )
