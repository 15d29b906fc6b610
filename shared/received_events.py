"""A received event: what a message's bytes must be, and the ``Event`` they become.

``EventSubscriber`` (``shared.messaging``) decodes every body here, so that one that is not
UTF-8 JSON, or not an envelope of a known type, raises ``ValidationError`` and goes to the
dead letters with its raw body (``raw_copy_options``) rather than being dropped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from marshmallow import EXCLUDE, ValidationError

from shared.contracts.catalogue import spec_for
from shared.contracts.envelope import EnvelopeSchema

JSON = "application/json"

_ENVELOPE_SCHEMA = EnvelopeSchema()
_DATA_SCHEMAS: dict[type, Any] = {}


def _data_schema(schema_cls: type) -> Any:
    """One loader per payload schema, made once: building a marshmallow schema (its fields
    deep-copied) cost more than loading an event with it. Unknown fields are tolerated: a
    newer minor publisher may add some."""
    if schema_cls not in _DATA_SCHEMAS:
        _DATA_SCHEMAS[schema_cls] = schema_cls(unknown=EXCLUDE)
    return _DATA_SCHEMAS[schema_cls]


@dataclass(frozen=True)
class Event:
    """A received event: the envelope, with ``data`` loaded by the catalogue's schema."""

    event_id: str
    type: str
    version: int
    occurred_at: datetime
    source: str
    subject: str | None
    request_id: str | None
    data: dict[str, Any]

    @classmethod
    def from_body(cls, body: Any) -> Event:
        """Parse a message body; raises ``ValidationError`` for a malformed one (poison)."""
        if not isinstance(body, dict):
            raise ValidationError("message body is not a JSON object")
        envelope = _ENVELOPE_SCHEMA.load(body)
        try:
            spec = spec_for(envelope["type"])
        except KeyError as exc:
            raise ValidationError(str(exc)) from exc
        if envelope["version"] > spec.version:
            raise ValidationError(f"version {envelope['version']} is newer than understood")
        data = _data_schema(spec.schema).load(envelope["data"])
        return cls(
            event_id=str(envelope["event_id"]),
            type=envelope["type"],
            version=envelope["version"],
            occurred_at=envelope["occurred_at"].astimezone(UTC),
            source=envelope["source"],
            subject=envelope["subject"],
            request_id=envelope.get("request_id"),
            data=data,
        )


def decode_body(message: Any) -> Any:
    """The JSON document a message carries; ``ValidationError`` says why it carries none."""
    if message.content_type != JSON:
        raise ValidationError(f"content type {message.content_type!r} is not {JSON}")
    body = message.body  # py-amqp has decoded it already if it names a content encoding
    try:
        return json.loads(body if isinstance(body, str) else body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ValidationError(f"body is not UTF-8: {exc}") from exc
    except ValueError as exc:
        raise ValidationError(f"body is not JSON: {exc}") from exc


def raw_copy_options(message: Any) -> dict[str, Any]:
    """Publish options that carry a received message on unchanged: its bytes as they came."""
    return {
        "content_type": message.content_type or "application/octet-stream",
        "content_encoding": message.content_encoding or "binary",
        "message_id": message.properties.get("message_id"),
    }
