"""Subscriptions (``/api/v1/subscriptions``): the grown-up webhooks, on FIWARE Orion's model.

A subscription names event-type patterns, an optional filter on payload fields, an expiry,
a throttling, a one-shot mode and a failure limit; the platform keeps Orion's counters.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from shared.contracts.common import (
    BoundedAwareDateTime,
    Page,
    Request,
    TrimmedString,
    page_of,
    required_text,
)
from shared.contracts.webhooks import (
    WEBHOOK_DELIVERY_STATUSES,
    WEBHOOK_URL_MAX_LENGTH,
    topic_patterns,
)

SETTABLE_STATUSES = ("active", "inactive", "oneshot")
"""What an owner may set; ``expired`` is what a subscription past its ``expires_at`` shows."""
STATUSES = (*SETTABLE_STATUSES, "expired")
FILTER_OPERATORS = ("eq", "ne", "gt", "gte", "lt", "lte")
MAX_FILTER_CONDITIONS = 10
MAX_THROTTLING_S = 86_400
MAX_FAILS_LIMIT = 1000
MAX_SECRET_OVERLAP_S = 7 * 86_400
FIELD_PATH = r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*){0,3}$"


class FilterValue(fields.Field):
    """A scalar a condition compares with: a string (at most 200 characters), a finite number
    or a boolean. Lists and objects are refused, so nothing deep is stored."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float):
            if not -(10**15) <= value <= 10**15:
                raise ValidationError("must be between -1e15 and 1e15")
            return value
        if isinstance(value, str) and len(value) <= 200:
            return value
        raise ValidationError("must be a string (at most 200 characters), a number or a boolean")


class Condition(Request):
    """``{"field": "occupied", "op": "gte", "value": 10}``: compare one payload field."""

    field = fields.String(
        required=True, validate=validate.Regexp(FIELD_PATH, error="is not a field path (a.b)")
    )
    op = fields.String(required=True, validate=validate.OneOf(FILTER_OPERATORS))
    value = FilterValue(required=True)


class _SubscriptionFields(Request):
    patterns = topic_patterns(required=False)
    filter = fields.List(
        fields.Nested(Condition), validate=validate.Length(max=MAX_FILTER_CONDITIONS)
    )
    expires_at = BoundedAwareDateTime(allow_none=True, format="iso")
    throttling_s = fields.Integer(validate=validate.Range(min=0, max=MAX_THROTTLING_S))
    max_fails = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=MAX_FAILS_LIMIT))
    description = TrimmedString(allow_none=True, validate=validate.Length(max=200))

    @post_load
    def _unique_patterns(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        if "patterns" in data:
            data["patterns"] = sorted(set(data["patterns"]))
        return data


class CreateSubscriptionRequest(_SubscriptionFields):
    url = required_text(WEBHOOK_URL_MAX_LENGTH)
    status = fields.String(load_default="active", validate=validate.OneOf(("active", "oneshot")))

    @validates_schema
    def _has_patterns(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if "patterns" not in data:
            raise ValidationError("Missing data for required field.", "patterns")


class UpdateSubscriptionRequest(_SubscriptionFields):
    """Change what is given; ``status: active`` reactivates (the failure counter restarts)."""

    status = fields.String(validate=validate.OneOf(SETTABLE_STATUSES))


class SubscriptionIdRequest(Request):
    subscription_id = fields.UUID(required=True)


class ReplayRequest(Request):
    """Re-deliver the matching events published in ``[from, to)``."""

    from_ = BoundedAwareDateTime(required=True, data_key="from", format="iso")
    to = BoundedAwareDateTime(required=True, format="iso")

    @validates_schema
    def _ordered(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if data["to"] <= data["from_"]:
            raise ValidationError("must be after from", "to")


class RotateSecretRequest(Request):
    overlap_s = fields.Integer(
        load_default=3600,
        validate=validate.Range(min=0, max=MAX_SECRET_OVERLAP_S),
        metadata={"description": "how long deliveries are signed with the old secret too"},
    )


class FilterConditionOut(Schema):
    field = fields.String(required=True)
    op = fields.String(required=True)
    value = fields.Raw(required=True)


class SubscriptionSchema(Schema):
    subscription_id = fields.UUID(required=True, attribute="webhook_id")
    url = fields.String(required=True)
    patterns = fields.List(fields.String(), required=True)
    filter = fields.List(fields.Nested(FilterConditionOut), required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    expires_at = fields.AwareDateTime(allow_none=True, format="iso")
    throttling_s = fields.Integer(required=True)
    max_fails = fields.Integer(allow_none=True)
    description = fields.String(allow_none=True)
    created_at = fields.AwareDateTime(required=True, format="iso")
    times_sent = fields.Integer(required=True)
    fails_counter = fields.Integer(required=True)
    last_notification = fields.AwareDateTime(allow_none=True, format="iso")
    last_success = fields.AwareDateTime(allow_none=True, format="iso")
    last_success_code = fields.Integer(allow_none=True)
    last_failure = fields.AwareDateTime(allow_none=True, format="iso")
    last_failure_reason = fields.String(allow_none=True)


class CreateSubscriptionResponse(SubscriptionSchema):
    secret = fields.String(required=True, metadata={"description": "shown once: sign checks"})


class RotateSecretResponse(Schema):
    subscription_id = fields.UUID(required=True)
    secret = fields.String(required=True, metadata={"description": "the new secret, shown once"})
    previous_valid_until = fields.AwareDateTime(required=True, format="iso")


class ReplayResponse(Schema):
    subscription_id = fields.UUID(required=True)
    queued = fields.Integer(required=True, metadata={"description": "events queued again"})


class DeleteSubscriptionResponse(Schema):
    subscription_id = fields.UUID(required=True)
    deleted = fields.Boolean(required=True)


class SubscriptionDeliverySchema(Schema):
    delivery_id = fields.UUID(required=True)
    event_id = fields.UUID(required=True)
    event_type = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(WEBHOOK_DELIVERY_STATUSES))
    attempts = fields.Integer(required=True)
    replay = fields.Boolean(required=True, attribute="is_replay")
    next_attempt_at = fields.AwareDateTime(required=True, format="iso")
    last_status_code = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    created_at = fields.AwareDateTime(required=True, format="iso")
    delivered_at = fields.AwareDateTime(allow_none=True, format="iso")


class CatalogueEntry(Schema):
    type = fields.String(required=True)
    version = fields.Integer(required=True)
    classification = fields.String(required=True)
    description = fields.String(required=True)
    personal_fields = fields.List(fields.String(), required=True)
    schema = fields.Dict(required=True, metadata={"description": "JSON Schema of `data`"})
    example = fields.Dict(required=True, metadata={"description": "an example `data`"})


class Catalogue(Schema):
    public_exchange = fields.String(required=True)
    events = fields.List(fields.Nested(CatalogueEntry), required=True)


SubscriptionPage = page_of(SubscriptionSchema)
SubscriptionDeliveryPage = page_of(SubscriptionDeliverySchema)
SubscriptionPageQuery = Page
