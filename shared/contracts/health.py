"""Shapes of the health service's API: the FHIR face's limits and search parameters, consent,
remote consultations and statistics.

FHIR resources themselves are not marshmallow contracts: the health service validates them
with ``fhir.resources`` (FHIR R4B), whose errors name the FHIR path at fault. What is here is
what the gateway validates before it calls the service (search parameters, the resident's
consent form, the consultation workflow) and the names both sides share.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.contracts.common import (
    BoundedAwareDateTime,
    BoundedDate,
    Request,
    required_text,
)
from shared.errors import SmartCityError

CARD_NUMBER_SYSTEM = "https://id.shenyang.gov.cn/citizen-card"
"""The identifier system of a Patient's citizen card number (``Patient.identifier``)."""

FHIR_VERSION = "4.3.0"
FHIR_JSON = "application/fhir+json"
FHIR_CONTENT_TYPES = (FHIR_JSON, "application/json")

RECORD_TYPES = (
    "Patient",
    "Encounter",
    "Observation",
    "Condition",
    "MedicationStatement",
    "AllergyIntolerance",
    "DocumentReference",
    "Consent",
)
"""Resources about one patient: reading them is reading personal data."""
DIRECTORY_TYPES = ("Organization", "Practitioner")
"""The institutions and their staff: not residents' data."""
RESOURCE_TYPES = (*DIRECTORY_TYPES, *RECORD_TYPES)

MAX_RESOURCE_BYTES = 256 * 1024
"""A single resource larger than this is refused with 413 (an attachment belongs elsewhere)."""
MAX_BUNDLE_BYTES = 4 * 1024 * 1024
MAX_BUNDLE_ENTRIES = 100
"""A transaction Bundle larger than this, or with more entries, is refused with 413."""
MAX_BREAK_GLASS_REASON = 200
DEFAULT_SEARCH_COUNT, MAX_SEARCH_COUNT = 20, 100
MAX_SEARCH_OFFSET = 100_000
MAX_EVERYTHING_ENTRIES = 1000
"""``$everything`` answers at most this many resources in one Bundle; more is a 422 asking
for ``_count`` paging."""
SORT_KEYS = ("date", "-date", "_lastUpdated", "-_lastUpdated")
DATE_PREFIXES = ("eq", "gt", "lt", "ge", "le", "sa", "eb")

URGENCIES = ("routine", "urgent", "emergency")
CONSULTATION_STATES = ("requested", "assigned", "answered", "closed", "cancelled")
STATISTICS_DIMENSIONS = ("condition", "district", "age_band", "sex", "month", "institution")
SUPPRESSION_THRESHOLD = 5
"""Statistics cells counting fewer people than this are suppressed."""

_ID = validate.Regexp(r"^[A-Za-z0-9\-.]{1,64}$", error="not a FHIR id")
_TOKEN = validate.Length(min=1, max=200)


class PreconditionFailed(SmartCityError):
    """``If-Match`` names a version that is no longer current (FHIR: 412). The gateway
    registers it for nameko's RPC error deserialisation (``gateway/fhir.py``)."""

    status = 412
    code = "precondition_failed"


class SearchQuery(Request):
    """The FHIR search parameters the face supports (``date`` may repeat: a range)."""

    patient = fields.String(validate=validate.Length(min=1, max=80))
    subject = fields.String(validate=validate.Length(min=1, max=80))
    identifier = fields.String(validate=_TOKEN)
    category = fields.String(validate=_TOKEN)
    code = fields.String(validate=_TOKEN)
    date = fields.List(
        fields.String(validate=validate.Length(min=4, max=40)), validate=validate.Length(max=2)
    )
    _id = fields.String(data_key="_id", validate=_ID)
    _count = fields.Integer(
        data_key="_count",
        load_default=DEFAULT_SEARCH_COUNT,
        validate=validate.Range(min=0, max=MAX_SEARCH_COUNT),
    )
    _offset = fields.Integer(
        data_key="_offset", load_default=0, validate=validate.Range(min=0, max=MAX_SEARCH_OFFSET)
    )
    _sort = fields.String(data_key="_sort", validate=validate.OneOf(SORT_KEYS))
    _format = fields.String(data_key="_format", validate=validate.OneOf(("json", "fhir+json")))
    _total = fields.String(
        data_key="_total", validate=validate.OneOf(("none", "estimate", "accurate"))
    )
    _total_method = fields.String(  # fhirpy's count() sends it
        data_key="_totalMethod", validate=validate.OneOf(("count",))
    )


class ConsentIn(Request):
    """A resident's grant (``permit``) or refusal (``deny``) of an institution's access."""

    organization_id = fields.String(required=True, validate=_ID)
    provision = fields.String(load_default="permit", validate=validate.OneOf(("permit", "deny")))
    purpose = fields.String(load_default="TREAT", validate=validate.OneOf(("TREAT", "ETREAT")))
    starts_on = BoundedDate(load_default=None)
    ends_on = BoundedDate(load_default=None)


class ConsultationIn(Request):
    patient_id = fields.String(required=True, validate=_ID)
    specialty = required_text(80, min_length=2)
    urgency = fields.String(required=True, validate=validate.OneOf(URGENCIES))
    question = required_text(4000, min_length=5)


class AssignIn(Request):
    organization_id = fields.String(required=True, validate=_ID)
    specialist = required_text(200, min_length=2)


class AnswerIn(Request):
    answer = required_text(8000, min_length=2)


class OverdueQuery(Request):
    as_of = BoundedAwareDateTime(
        load_default=None,
        metadata={"description": "list what is overdue at this time (default: now)"},
    )


class StatisticsQuery(Request):
    dimension = fields.String(required=True, validate=validate.OneOf(STATISTICS_DIMENSIONS))
    code = fields.String(validate=validate.Length(min=1, max=64))


class Consultation(Schema):
    consultation_id = fields.String(required=True)
    patient_id = fields.String(required=True)
    requesting_organization_id = fields.String(required=True)
    assigned_organization_id = fields.String(allow_none=True)
    specialist = fields.String(allow_none=True)
    specialty = fields.String(required=True)
    urgency = fields.String(required=True, validate=validate.OneOf(URGENCIES))
    question = fields.String(required=True)
    answer = fields.String(allow_none=True)
    state = fields.String(required=True, validate=validate.OneOf(CONSULTATION_STATES))
    requested_at = fields.AwareDateTime(required=True)
    due_at = fields.AwareDateTime(required=True)
    assigned_at = fields.AwareDateTime(allow_none=True)
    answered_at = fields.AwareDateTime(allow_none=True)
    closed_at = fields.AwareDateTime(allow_none=True)
    overdue = fields.Boolean(required=True)


class ConsultationList(Schema):
    items = fields.List(fields.Nested(Consultation), required=True)
    total = fields.Integer(required=True)
    as_of = fields.AwareDateTime(required=True)


class StatisticsCell(Schema):
    value = fields.String(required=True)
    count = fields.Integer(allow_none=True, metadata={"description": "null when suppressed"})
    suppressed = fields.Boolean(required=True)


class Statistics(Schema):
    dimension = fields.String(required=True)
    cells = fields.List(fields.Nested(StatisticsCell), required=True)
    suppressed_cells = fields.Integer(required=True)
    suppression_threshold = fields.Integer(required=True)
    note = fields.String(required=True)


class InstitutionRating(Schema):
    organization_id = fields.String(required=True)
    records = fields.Integer(required=True)
    complete_records = fields.Integer(required=True)
    completeness = fields.Float(allow_none=True)
    consultations_answered = fields.Integer(required=True)
    mean_response_minutes = fields.Float(allow_none=True)
    consultations_overdue = fields.Integer(required=True)


class Ratings(Schema):
    items = fields.List(fields.Nested(InstitutionRating), required=True)


class BacklogUrgency(Schema):
    urgency = fields.String(required=True, validate=validate.OneOf(URGENCIES))
    open = fields.Integer(required=True, metadata={"description": "requested or assigned"})
    overdue = fields.Integer(required=True, metadata={"description": "open, past the limit"})


class ConsultationBacklog(Schema):
    """``health.consultation_backlog()``: counts, never a consultation."""

    as_of = fields.AwareDateTime(required=True)
    urgencies = fields.List(fields.Nested(BacklogUrgency), required=True)
    open = fields.Integer(required=True)
    overdue = fields.Integer(required=True)
