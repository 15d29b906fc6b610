"""Shapes every contract shares: strict requests and pages of lists."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from shared.errors import ValidationFailed

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


def load(schema: type[Schema], data: Any) -> dict[str, Any]:
    """Validate input by its contract; a bad one raises ``ValidationFailed`` whose ``fields``
    name the culprits.

    The one loader of every service's RPC input. The message lists the first problem of each
    field so that a log line alone is useful.
    """
    if not isinstance(data, dict):
        raise ValidationFailed(
            "request body must be an object", fields={"_schema": ["not an object"]}
        )
    try:
        return schema().load(data)
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        summary = "; ".join(
            f"{field}: {problems[0] if isinstance(problems, list) else problems}"
            for field, problems in messages.items()
        )
        raise ValidationFailed(f"invalid request: {summary}", fields=messages) from exc


class TrimmedString(fields.String):
    """A string with surrounding whitespace removed (what people type into forms)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return super()._deserialize(value, attr, data, **kwargs).strip()


class Request(Schema):
    """Base of request schemas: an unknown field or parameter is an error, not ignored."""

    class Meta:
        unknown = RAISE


class Page(Request):
    """``limit`` (1-200, default 50) and ``offset`` (default 0) of a list request."""

    limit = fields.Integer(
        load_default=DEFAULT_PAGE_SIZE, validate=validate.Range(min=1, max=MAX_PAGE_SIZE)
    )
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


def page_of(item_schema: type[Schema], name: str | None = None) -> type[Schema]:
    """The response shape of every list: ``{"items", "total", "limit", "offset"}``.

    ``name`` (default: the item's name + ``Page``) is the schema's name in OpenAPI."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema), required=True),
            "total": fields.Integer(required=True),
            "limit": fields.Integer(required=True),
            "offset": fields.Integer(required=True),
        },
        name=name or f"{item_schema.__name__.removesuffix('Schema')}Page",
    )
