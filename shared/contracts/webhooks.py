"""Webhooks (``/api/v1/webhooks``): an integrator's URL that the platform POSTs events to.

The topic patterns and delivery statuses are shared with subscriptions
(``shared.contracts.subscriptions``), the webhooks' fuller successor.
"""

from __future__ import annotations

import re
from typing import Any

from marshmallow import Schema, fields, post_load, validate

from shared.contracts.common import Request, page_of, required_text

WEBHOOK_URL_MAX_LENGTH = 500
MAX_WEBHOOK_PATTERNS = 20
TOPIC_PATTERN = re.compile(r"^(\*|#|[a-z][a-z0-9_]*)(\.(\*|#|[a-z][a-z0-9_]*))*$")
"""An AMQP topic pattern over event types: dot-separated words, ``*`` one word, ``#`` any."""
WEBHOOK_DELIVERY_STATUSES: tuple[str, ...] = ("pending", "delivered", "failed", "throttled")


def topic_patterns(required: bool = True) -> fields.List:
    """1-20 AMQP topic patterns over event types (``traffic.#``, ``*.card_linked``)."""
    return fields.List(
        fields.String(
            validate=[
                validate.Length(max=100),
                validate.Regexp(TOPIC_PATTERN, error="is not a topic pattern (traffic.#)"),
            ]
        ),
        required=required,
        validate=validate.Length(min=1, max=MAX_WEBHOOK_PATTERNS),
    )


class CreateWebhookRequest(Request):
    """Where to POST events and which types. The platform checks the URL (https, or http
    where the operator allows it; no credentials; no internal address: SSRF)."""

    url = required_text(WEBHOOK_URL_MAX_LENGTH)
    patterns = topic_patterns()

    @post_load
    def _unique_patterns(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        data["patterns"] = sorted(set(data["patterns"]))
        return data


class WebhookSchema(Schema):
    webhook_id = fields.UUID(required=True)
    url = fields.String(required=True)
    patterns = fields.List(fields.String(), required=True)
    created_at = fields.AwareDateTime(required=True, format="iso")


class CreateWebhookResponse(WebhookSchema):
    secret = fields.String(
        required=True,
        metadata={
            "description": "shown once: the HMAC-SHA256 key of X-Smartcity-Signature; keep it"
        },
    )


class WebhookIdRequest(Request):
    webhook_id = fields.UUID(required=True)


class DeleteWebhookResponse(Schema):
    webhook_id = fields.UUID(required=True)
    deleted = fields.Boolean(required=True)


class WebhookDeliverySchema(Schema):
    delivery_id = fields.UUID(required=True)
    event_id = fields.UUID(required=True)
    event_type = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(WEBHOOK_DELIVERY_STATUSES))
    attempts = fields.Integer(required=True)
    next_attempt_at = fields.AwareDateTime(
        required=True, format="iso", metadata={"description": "when a pending one is tried next"}
    )
    last_status_code = fields.Integer(required=True, allow_none=True)
    last_error = fields.String(required=True, allow_none=True)
    created_at = fields.AwareDateTime(required=True, format="iso")
    delivered_at = fields.AwareDateTime(required=True, allow_none=True, format="iso")


WebhookPage = page_of(WebhookSchema)
WebhookDeliveryPage = page_of(WebhookDeliverySchema)
