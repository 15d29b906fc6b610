"""Shapes every contract shares: strict requests and pages of lists."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


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


def page_of(item_schema: type[Schema]) -> type[Schema]:
    """The response shape of every list: ``{"items", "total", "limit", "offset"}``."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema), required=True),
            "total": fields.Integer(required=True),
            "limit": fields.Integer(required=True),
            "offset": fields.Integer(required=True),
        },
        name=f"{item_schema.__name__.removesuffix('Schema')}Page",
    )
