"""Request and response shapes of the community service: affairs, applications, documents,
the grid and its incidents.

Requests are bounded where they enter (the gateway); an application's ``form`` is checked by
the community service against its affair's JSON Schema (a field of the form is named
``form.<path>`` in the 400). Responses describe exactly what the service returns.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.contracts.common import (
    BoundedDate,
    Page,
    Request,
    TrimmedString,
    page_of,
    required_text,
)

MAX_CODE = 64
MAX_REASON = 1000
MAX_DOCUMENTS = 20
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
DOCUMENT_TYPES = ("application/pdf", "image/jpeg", "image/png")
APPLICATION_ACTIONS = ("accept", "review", "approve", "reject", "return")
DUE_FILTERS = ("overdue", "due_soon")
INCIDENT_CATEGORIES = (
    "public_safety",
    "environment_sanitation",
    "facilities_repair",
    "neighbour_dispute",
)
INCIDENT_ACTIONS = ("assign", "resolve", "close")
APPLICATION_STATES = (
    "submitted",
    "accepted",
    "in_review",
    "awaiting_credit_check",
    "returned",
    "approved",
    "rejected",
)

_code = validate.Length(min=1, max=MAX_CODE)


# --- catalogue --------------------------------------------------------------------------------


class AffairSearchQuery(Page):
    q = TrimmedString(
        validate=validate.Length(max=100),
        metadata={"description": "words of the code or name"},
    )
    category = fields.String(validate=validate.OneOf(("civil_affairs", "disability", "employment")))


class Affair(Schema):
    code = fields.String(required=True)
    version = fields.Integer(required=True)
    name = fields.String(required=True)
    category = fields.String(required=True)
    unit = fields.String(required=True, metadata={"description": "the handling office"})
    eligibility = fields.List(fields.String(), required=True)
    required_documents = fields.List(fields.String(), required=True)
    form_schema = fields.Dict(required=True, metadata={"description": "JSON Schema 2020-12"})
    time_limit_days = fields.Integer(required=True, metadata={"description": "working days"})
    credit_check = fields.Boolean(required=True)
    credit_purpose = fields.String(allow_none=True)
    issues_card = fields.String(allow_none=True)
    valid_years = fields.Integer(allow_none=True)


AffairPage = page_of(Affair)


class AffairVersionQuery(Request):
    version = fields.Integer(validate=validate.Range(min=1, max=10_000))


# --- documents --------------------------------------------------------------------------------


class DocumentUploadQuery(Request):
    kind = fields.String(
        required=True,
        validate=validate.Regexp(r"^[a-z][a-z0-9_]{1,63}$"),
        metadata={"description": "the required-document kind, e.g. household_register"},
    )


class DocumentInfo(Schema):
    document_id = fields.String(required=True)
    kind = fields.String(required=True)
    content_type = fields.String(required=True)
    size = fields.Integer(required=True)
    sha256 = fields.String(required=True)
    uploaded_at = fields.String(required=True)


# --- applications -----------------------------------------------------------------------------


class ApplicationIn(Request):
    affair_code = fields.String(required=True, validate=_code)
    form = fields.Dict(required=True, validate=validate.Length(max=100))
    document_ids = fields.List(
        fields.UUID(), load_default=list, validate=validate.Length(max=MAX_DOCUMENTS)
    )


class ResubmitIn(Request):
    form = fields.Dict(validate=validate.Length(max=100))
    document_ids = fields.List(fields.UUID(), validate=validate.Length(max=MAX_DOCUMENTS))
    note = TrimmedString(validate=validate.Length(max=MAX_REASON))


class TransitionIn(Request):
    action = fields.String(required=True, validate=validate.OneOf(APPLICATION_ACTIONS))
    reason = TrimmedString(validate=validate.Length(max=MAX_REASON))


class QueueQuery(Page):
    status = fields.String(validate=validate.OneOf(APPLICATION_STATES))
    due = fields.String(
        validate=validate.OneOf(DUE_FILTERS),
        metadata={"description": "overdue, or due within two working days"},
    )
    on = BoundedDate(metadata={"description": "the day the due filter is judged on (today)"})


class HistoryEntry(Schema):
    action = fields.String(required=True)
    from_status = fields.String(allow_none=True)
    to_status = fields.String(required=True)
    actor = fields.String(required=True)
    actor_role = fields.String(required=True)
    reason = fields.String(allow_none=True)
    at = fields.String(required=True)


class Application(Schema):
    application_id = fields.String(required=True)
    card_number = fields.String(required=True)
    affair_code = fields.String(required=True)
    affair_version = fields.Integer(required=True)
    unit = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(APPLICATION_STATES))
    form = fields.Dict(required=True)
    document_ids = fields.List(fields.String(), required=True)
    submitted_at = fields.String(required=True)
    due_on = fields.String(required=True)
    due_on_provisional = fields.Boolean(
        required=True,
        metadata={
            "description": "counted through a year whose official holidays are not yet in the "
            "calendar (Monday to Friday): it may move by that year's holidays"
        },
    )
    due_status = fields.String(allow_none=True)
    fast_tracked = fields.Boolean(required=True)
    credit = fields.Dict(allow_none=True, metadata={"description": "verdict, reason, check_id"})
    decided_at = fields.String(allow_none=True)
    valid_until = fields.String(allow_none=True)
    certificate_number = fields.String(allow_none=True)
    history = fields.List(fields.Nested(HistoryEntry), required=True)


ApplicationPage = page_of(Application)


# --- grid -------------------------------------------------------------------------------------


class CellIn(Request):
    name = required_text(100)
    district = required_text(50)
    polygon = fields.Dict(required=True, validate=validate.Length(max=4))
    grid_worker = fields.String(required=True, validate=_code)
    households = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10_000_000))
    population = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10_000_000))
    special_care = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10_000_000))


class Cell(Schema):
    cell_id = fields.String(required=True)
    name = fields.String(required=True)
    district = fields.String(required=True)
    polygon = fields.Dict(required=True)
    grid_worker = fields.String(required=True)
    households = fields.Integer(required=True)
    population = fields.Integer(required=True)
    special_care = fields.Integer(required=True)


CellPage = page_of(Cell)


class PointQuery(Request):
    lon = fields.Float(required=True, validate=validate.Range(min=-180, max=180))
    lat = fields.Float(required=True, validate=validate.Range(min=-90, max=90))


class Located(Schema):
    cell_id = fields.String(allow_none=True, required=True)
    cell = fields.Nested(Cell, allow_none=True)


class IncidentIn(Request):
    category = fields.String(required=True, validate=validate.OneOf(INCIDENT_CATEGORIES))
    lon = fields.Float(required=True, validate=validate.Range(min=-180, max=180))
    lat = fields.Float(required=True, validate=validate.Range(min=-90, max=90))
    description = required_text(1000)
    photo_ref = fields.String(validate=validate.Length(max=200))


class IncidentActionIn(Request):
    action = fields.String(required=True, validate=validate.OneOf(INCIDENT_ACTIONS))
    assignee = fields.String(validate=_code)
    note = TrimmedString(validate=validate.Length(max=MAX_REASON))


class IncidentQuery(Page):
    cell_id = fields.String(validate=validate.Length(max=32))
    status = fields.String(validate=validate.OneOf(("reported", "assigned", "resolved", "closed")))


class Incident(Schema):
    incident_id = fields.String(required=True)
    cell_id = fields.String(required=True)
    category = fields.String(required=True)
    lon = fields.Float(required=True)
    lat = fields.Float(required=True)
    description = fields.String(required=True)
    photo_ref = fields.String(allow_none=True)
    status = fields.String(required=True)
    assignee = fields.String(allow_none=True)
    reported_at = fields.String(required=True)
    due_at = fields.String(required=True)
    overdue = fields.Boolean(required=True)
    history = fields.List(fields.Dict(), required=True)


IncidentPage = page_of(Incident)


class IncidentStat(Schema):
    cell_id = fields.String(required=True)
    category = fields.String(required=True)
    total = fields.Integer(required=True)
    open = fields.Integer(required=True)
    closed = fields.Integer(required=True)
    overdue = fields.Integer(required=True)


class IncidentStats(Schema):
    items = fields.List(fields.Nested(IncidentStat), required=True)


# --- time-limit performance (aggregates, no personal data) ------------------------------------


class AffairPerformance(Schema):
    affair = fields.String(required=True, metadata={"description": "the affair's code"})
    title = fields.String(required=True)
    department = fields.String(required=True, metadata={"description": "the handling office"})
    decided = fields.Integer(required=True, metadata={"description": "approved or rejected"})
    decided_within_limit = fields.Integer(
        required=True, metadata={"description": "decided on or before the due day"}
    )
    open = fields.Integer(required=True, metadata={"description": "not yet decided"})
    open_overdue = fields.Integer(required=True, metadata={"description": "open, past due"})
    within_limit_rate = fields.Float(
        required=True,
        allow_none=True,
        metadata={"description": "decided_within_limit / decided; null when nothing decided"},
    )


class TimeLimitPerformance(Schema):
    """``community.time_limit_performance()``: every affair of the catalogue, by code."""

    as_of = fields.String(required=True, metadata={"description": "UTC, ISO 8601"})
    affairs = fields.List(fields.Nested(AffairPerformance), required=True)
