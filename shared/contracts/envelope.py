"""The event envelope every message on ``smartcity.events`` carries."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from marshmallow import EXCLUDE, Schema, fields, validate

EVENTS_EXCHANGE = "smartcity.events"
"""One durable topic exchange for the whole city; the routing key is the event type."""

EVENT_TYPE_PATTERN = r"^[a-z][a-z_]*\.[a-z][a-z_]*$"


ENVELOPE_EVOLUTION = (
    "New optional top-level envelope fields (a `trace_id`, say) may be added without a new "
    "event version; consumers must ignore envelope fields they do not know, and likewise "
    "unknown fields inside `data`. Removing or renaming a field, or changing its meaning, "
    "is a new major `version` of the event."
)
"""The compatibility rule of the envelope, as published in ``docs/events.md``."""


class EnvelopeSchema(Schema):
    """``{event_id, type, version, occurred_at, source, subject, request_id, data}``.

    Loading ignores unknown top-level fields: a publisher that adds one (``trace_id``) must not
    send valid events to every consumer's dead letters. Publishers build envelopes with
    ``new_envelope``, which writes exactly the declared fields.
    """

    class Meta:
        unknown = EXCLUDE

    event_id = fields.UUID(required=True)
    type = fields.String(required=True, validate=validate.Regexp(EVENT_TYPE_PATTERN))
    version = fields.Integer(required=True, validate=validate.Range(min=1))
    occurred_at = fields.AwareDateTime(required=True, format="iso", default_timezone=UTC)
    source = fields.String(required=True)
    subject = fields.String(required=True, allow_none=True)
    request_id = fields.String(load_default=None, allow_none=True)
    data = fields.Dict(required=True)


def new_envelope(
    event_type: str,
    data: dict[str, Any],
    *,
    source: str,
    version: int,
    subject: str | None = None,
    request_id: str | None = None,
) -> dict[str, Any]:
    """A JSON-ready envelope (UUIDs and times as strings)."""
    return {
        "event_id": str(uuid.uuid4()),
        "type": event_type,
        "version": version,
        "occurred_at": datetime.now(UTC).isoformat(),
        "source": source,
        "subject": subject,
        "request_id": request_id,
        "data": data,
    }
