"""Request and response shapes of the credit service's RPC methods and HTTP API.

The gateway ``load``s a request body with an ``*In`` schema before it calls the credit
service (unknown fields are refused, identifiers are checked and normalised the way
``shared.identity`` does everywhere) and ``dump``s the loaded value to send it over RPC, which
carries JSON (dates and UUIDs as strings). The response schemas describe exactly what the
service returns (``services/credit/repository.py``): the gateway documents them in OpenAPI and
can ``validate`` a result against them.

Categories, purposes and feedback actions are rule data (``services/credit/rules.json``) that
the credit office changes without a code change, so they are free strings here; the credit
service checks them against the rules and names the field when one is unknown. The fixed
vocabularies (polarity, severity, statuses, decisions) are enumerated.
"""

from __future__ import annotations

from typing import Any

from marshmallow import (
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from shared.contracts.common import (
    BoundedDate,
    Page,
    Request,
    TrimmedString,
    page_of,
    required_text,
)
from shared.contracts.event_payloads import SUBJECT_TYPES
from shared.errors import ValidationFailed
from shared.identity import (
    CARD_NUMBER_LENGTH,
    CardNumberField,
    credit_code_subject_type,
    validate_card_number,
    validate_credit_code,
    validate_resident_id,
)

POLARITIES = ("positive", "negative")
SEVERITIES = ("minor", "serious", "severe")
RECORD_STATUSES = ("active", "under_objection", "repaired", "revoked", "expired")
LIST_KINDS = ("black", "red")
OBJECTION_DECISIONS = ("uphold", "correct", "revoke")
OBJECTION_STATUSES = ("pending", "upheld", "corrected", "revoked")
CORRECTABLE_FIELDS = (
    "category",
    "polarity",
    "severity",
    "basis",
    "summary",
    "decided_on",
    "valid_until",
)

MAX_CODE_LENGTH = 64
MAX_NAME_LENGTH = 200
MAX_BASIS_LENGTH = 500
MAX_NOTE_LENGTH = 2000

RULES_NOTE = "one of those named in services/credit/rules.json"


class _OptionalText(TrimmedString):
    """Trimmed text; blank text is ``None``, as if it were absent.

    Blank becomes ``None`` after the validators ran on the text (a length check of ``None``
    would raise ``TypeError``, a 500).
    """

    def deserialize(
        self, value: Any, attr: str | None = None, data: Any = None, **kwargs: Any
    ) -> Any:
        return super().deserialize(value, attr, data, **kwargs) or None


def _optional_text(max_length: int, **kwargs: Any) -> fields.String:
    return _OptionalText(allow_none=True, validate=validate.Length(max=max_length), **kwargs)


def _canonical_subject_id(subject_type: str, subject_id: str, allow_card: bool) -> str:
    """The subject key as the credit service stores it; raises ``ValidationError`` by field.

    Individuals are keyed by the resident ID number; a department that only knows the citizen
    card number may send that instead where ``allow_card`` (the service resolves it).
    Enterprises and organisations are keyed by the credit code, whose first character must
    agree with the claimed type.
    """
    try:
        if subject_type == "individual":
            if allow_card and len(subject_id.strip()) == CARD_NUMBER_LENGTH:
                return validate_card_number(subject_id, "subject_id")
            return validate_resident_id(subject_id, "subject_id")
        code = validate_credit_code(subject_id, "subject_id")
    except ValidationFailed as error:
        raise ValidationError(error.fields["subject_id"], field_name="subject_id") from error
    registered_as = credit_code_subject_type(code)
    if registered_as != subject_type:
        raise ValidationError(
            f"the credit code registers an {registered_as}", field_name="subject_type"
        )
    return code


class SubjectKeyIn(Request):
    """A subject by type and key: resident ID number or unified social credit code."""

    subject_type = fields.String(required=True, validate=validate.OneOf(SUBJECT_TYPES))
    subject_id = fields.String(
        required=True,
        validate=validate.Length(max=MAX_CODE_LENGTH),
        metadata={"description": "credit code (enterprise, organisation) or resident ID number"},
    )
    accepts_card_number = False

    @post_load
    def _canonical_subject(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        data["subject_id"] = _canonical_subject_id(
            data["subject_type"], data["subject_id"], self.accepts_card_number
        )
        return data


# --- records ----------------------------------------------------------------------------------


class RecordIn(SubjectKeyIn):
    """``POST /api/v1/credit/records``: a department reports a decision about a subject.

    A record about an individual needs the department to be granted its category as a purpose
    (``services/credit/domain/disclosure.py``).

    ``(department, source_record_id)`` identifies the record: sending it again returns the
    stored one (``created: false``).
    """

    accepts_card_number = True
    subject_id = fields.String(
        required=True,
        validate=validate.Length(max=MAX_CODE_LENGTH),
        metadata={
            "description": "credit code (enterprise, organisation); resident ID number or "
            "citizen card number (individual)"
        },
    )
    subject_name = _optional_text(
        MAX_NAME_LENGTH,
        metadata={
            "description": "ignored, deprecated: a subject's name comes only from the "
            "registries, never from a department's record"
        },
    )
    card_number = CardNumberField(
        allow_none=True,
        metadata={
            "description": "individuals only; checked against the population registry (422 "
            "naming card_number when the card belongs to someone else)"
        },
    )
    source_record_id = required_text(
        MAX_CODE_LENGTH, metadata={"description": "the department's id"}
    )
    category = required_text(32, metadata={"description": f"record category, {RULES_NOTE}"})
    polarity = fields.String(required=True, validate=validate.OneOf(POLARITIES))
    severity = fields.String(required=True, validate=validate.OneOf(SEVERITIES))
    basis = required_text(MAX_BASIS_LENGTH, metadata={"description": "legal document reference"})
    summary = _optional_text(MAX_NOTE_LENGTH)
    decided_on = BoundedDate(required=True)
    valid_until = BoundedDate(required=True, metadata={"description": "last day it counts"})

    @validates_schema(skip_on_field_errors=True)
    def _dates_in_order(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if data["valid_until"] < data["decided_on"]:
            raise ValidationError("must not be before decided_on", field_name="valid_until")

    @validates_schema(skip_on_field_errors=True)
    def _card_of_an_individual(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if data.get("card_number") is not None and data["subject_type"] != "individual":
            raise ValidationError("only individuals have a citizen card", field_name="card_number")


class Record(Schema):
    """A credit record; ``status`` is the effective one, ``counts`` whether it scores today."""

    record_id = fields.UUID(required=True)
    subject_type = fields.String(required=True, validate=validate.OneOf(SUBJECT_TYPES))
    subject_id = fields.String(
        required=True,
        metadata={
            "description": "credit code; an individual's ID number masked in every answer to "
            "a department (2101**********1233), in full only to the person"
        },
    )
    department = fields.String(required=True)
    source_record_id = fields.String(required=True)
    category = fields.String(required=True)
    polarity = fields.String(required=True, validate=validate.OneOf(POLARITIES))
    severity = fields.String(required=True, validate=validate.OneOf(SEVERITIES))
    basis = fields.String(required=True)
    summary = fields.String(required=True, allow_none=True)
    decided_on = fields.Date(required=True)
    valid_until = fields.Date(required=True)
    status = fields.String(required=True, validate=validate.OneOf(RECORD_STATUSES))
    status_note = fields.String(required=True, allow_none=True)
    counts = fields.Boolean(required=True)


class AddRecordResult(Schema):
    """``add_record``'s answer: the stored record and whether this call created it."""

    record = fields.Nested(Record, required=True)
    created = fields.Boolean(required=True)


class RepairIn(Request):
    """The source department confirms a credit repair of one of its negative records."""

    note = required_text(MAX_NOTE_LENGTH, metadata={"description": "how the subject made good"})


# --- the check --------------------------------------------------------------------------------


class CheckIn(SubjectKeyIn):
    """A department's credit check before it grants ``purpose``."""

    purpose = required_text(32, metadata={"description": f"what is being granted, {RULES_NOTE}"})


class ListStanding(Schema):
    """A subject's entry on the red or black list, in force."""

    list = fields.String(required=True, validate=validate.OneOf(LIST_KINDS))
    basis = fields.String(required=True)
    issuing_department = fields.String(required=True)
    effective_on = fields.Date(required=True)
    expires_on = fields.Date(required=True)


class CheckResult(Schema):
    """Level, lists and the joint measures the department applies, with the reasons why."""

    check_id = fields.UUID(required=True, metadata={"description": "for the feedback"})
    subject_type = fields.String(required=True, validate=validate.OneOf(SUBJECT_TYPES))
    subject_id = fields.String(required=True)
    purpose = fields.String(required=True)
    requesting_department = fields.String(required=True)
    checked_on = fields.Date(required=True)
    level = fields.String(required=True)
    score = fields.Float(required=True)
    lists = fields.List(fields.Nested(ListStanding), required=True)
    measures = fields.List(fields.String(), required=True)
    reasons = fields.List(fields.String(), required=True)
    rules_version = fields.String(required=True)


class FeedbackIn(Request):
    """What the requesting department did after a check (the check id is in the path)."""

    action_taken = required_text(32, metadata={"description": f"feedback action, {RULES_NOTE}"})
    note = _optional_text(MAX_NOTE_LENGTH)


class Feedback(Schema):
    check_id = fields.UUID(required=True)
    department = fields.String(required=True)
    action_taken = fields.String(required=True)
    note = fields.String(required=True, allow_none=True)
    recorded_at = fields.AwareDateTime(required=True, format="iso")


# --- objections -------------------------------------------------------------------------------


class ObjectionIn(Request):
    """A subject disputes one of their records (the subject comes from the login)."""

    record_id = fields.UUID(required=True)
    reason = required_text(MAX_NOTE_LENGTH)


class ObjectionDecisionIn(Request):
    """The source department's decision; ``corrections`` only (and always) with ``correct``."""

    decision = fields.String(required=True, validate=validate.OneOf(OBJECTION_DECISIONS))
    note = required_text(MAX_NOTE_LENGTH)
    corrections = fields.Dict(
        keys=fields.String(validate=validate.OneOf(CORRECTABLE_FIELDS)),
        allow_none=True,
        validate=validate.Length(max=len(CORRECTABLE_FIELDS)),
        metadata={"description": "new values of the record's fields, e.g. {severity: minor}"},
    )

    @validates_schema(skip_on_field_errors=True)
    def _corrections_match_decision(self, data: dict[str, Any], **_kwargs: Any) -> None:
        corrections = data.get("corrections")
        if data["decision"] == "correct" and not corrections:
            raise ValidationError("required when the decision is correct", "corrections")
        if data["decision"] != "correct" and corrections is not None:
            raise ValidationError("only allowed when the decision is correct", "corrections")


class Objection(Schema):
    objection_id = fields.UUID(required=True)
    record_id = fields.UUID(required=True)
    status = fields.String(required=True, validate=validate.OneOf(OBJECTION_STATUSES))
    reason = fields.String(required=True)
    filed_on = fields.Date(required=True)
    decision = fields.String(
        required=True, allow_none=True, validate=validate.OneOf(OBJECTION_DECISIONS)
    )
    decision_note = fields.String(required=True, allow_none=True)
    corrections = fields.Dict(
        required=True,
        allow_none=True,
        metadata={"description": "what a correction changed: {field: {from, to}}"},
    )
    resolved_by = fields.String(required=True, allow_none=True)
    resolved_on = fields.Date(required=True, allow_none=True)
    record = fields.Nested(Record, required=True)


# --- reports ----------------------------------------------------------------------------------


class Contribution(Schema):
    """One record's part in the score: weight x decay factor = points."""

    record_id = fields.UUID(required=True)
    source_department = fields.String(required=True)
    source_record_id = fields.String(required=True)
    category = fields.String(required=True)
    polarity = fields.String(required=True, validate=validate.OneOf(POLARITIES))
    severity = fields.String(required=True, validate=validate.OneOf(SEVERITIES))
    decided_on = fields.Date(required=True)
    weight = fields.Integer(required=True)
    factor = fields.Float(required=True)
    points = fields.Float(required=True)
    under_objection = fields.Boolean(required=True)


class ReportListEntry(ListStanding):
    measures = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        required=True,
        metadata={"description": "joint measures by purpose"},
    )


class SubjectReport(Schema):
    """A subject's whole credit file, for the subject and authorised departments."""

    subject_type = fields.String(required=True, validate=validate.OneOf(SUBJECT_TYPES))
    subject_id = fields.String(required=True)
    name = fields.String(required=True, allow_none=True)
    score = fields.Float(required=True)
    level = fields.String(required=True)
    score_level = fields.String(required=True, metadata={"description": "before list caps"})
    capped_by = fields.String(required=True, allow_none=True, validate=validate.OneOf(LIST_KINDS))
    contributions = fields.List(fields.Nested(Contribution), required=True)
    explanation = fields.List(fields.String(), required=True)
    records = fields.List(fields.Nested(Record), required=True)
    lists = fields.List(fields.Nested(ReportListEntry), required=True)
    objections = fields.List(fields.Nested(Objection), required=True)
    rules_version = fields.String(required=True)


class PublicListEntry(Schema):
    list = fields.String(required=True, validate=validate.OneOf(LIST_KINDS))
    basis = fields.String(required=True)
    effective_on = fields.Date(required=True)
    expires_on = fields.Date(required=True)


class PublicSummary(Schema):
    """What anyone may see about an enterprise or organisation."""

    credit_code = fields.String(required=True)
    name = fields.String(required=True, allow_none=True)
    level = fields.String(required=True)
    lists = fields.List(fields.Nested(PublicListEntry), required=True)


# --- pages ------------------------------------------------------------------------------------


class ListPageQuery(Page):
    """A page of the published red or black list (the kind is in the path)."""


class ObjectionPageQuery(Page):
    """A page of the objections to a department's records, optionally by status."""

    status = fields.String(validate=validate.OneOf(OBJECTION_STATUSES))


class PublishedListItem(ListStanding):
    credit_code = fields.String(required=True)
    name = fields.String(required=True, allow_none=True)
    subject_type = fields.String(
        required=True, validate=validate.OneOf(("enterprise", "organisation"))
    )


ListPage = page_of(PublishedListItem, name="ListPage")
"""The published list: enterprises and organisations only, newest entries first."""

ObjectionPage = page_of(Objection)
"""A department's objections, earliest filing day first."""


MAX_LIST_CHANGE_DAYS = 366


class ListChangesRequest(Request):
    days = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_LIST_CHANGE_DAYS))


class ListChangesDay(Schema):
    date = fields.Date(required=True)
    black_added = fields.Integer(required=True)
    black_removed = fields.Integer(required=True)
    red_added = fields.Integer(required=True)
    red_removed = fields.Integer(required=True)


class ListChanges(Schema):
    """``credit.list_changes(days)``: counts per day, every subject type, nobody named."""

    date_from = fields.Date(required=True, data_key="from")
    date_to = fields.Date(required=True, data_key="to")
    days = fields.List(fields.Nested(ListChangesDay), required=True)
