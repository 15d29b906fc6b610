"""Shapes every contract shares: strict, bounded requests and pages of lists.

Every request value is bounded where it enters, so that nothing a client sends can overflow a
database column or a date conversion deeper down (a 500): numbers have a range, text a length,
times a span of years, and no text holds a NUL character (PostgreSQL cannot store one). A test
(tests/unit/shared/test_contract_bounds.py) holds every request contract to this.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, pre_load, validate

from shared.errors import ValidationFailed

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_OFFSET = 1_000_000
MAX_INTEGER = 2**31 - 1
"""PostgreSQL's ``integer``: the widest count any request may carry."""
MAX_NESTING = 32
"""How deep a request's JSON may nest (arrays and objects)."""
EARLIEST_YEAR, LATEST_YEAR = 1900, 2199


@lru_cache(maxsize=512)
def schema_instance(schema: type[Schema]) -> Schema:
    """One instance per schema class: building one (its fields deep-copied) costs more than a
    load with it, and a schema instance keeps no state between loads."""
    return schema()


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
        return schema_instance(schema).load(data)
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


def required_text(max_length: int, min_length: int = 1, **kwargs: Any) -> TrimmedString:
    """A required string, whitespace at both ends removed before the length check."""
    return TrimmedString(
        required=True, validate=validate.Length(min=min_length, max=max_length), **kwargs
    )


class _YearBounded:
    """Times between 1900 and 2199 that convert to UTC without overflowing."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)  # type: ignore[misc]
        try:
            utc = moment.astimezone(UTC) if moment.tzinfo else moment
        except OverflowError:
            raise ValidationError("out of range") from None
        if not EARLIEST_YEAR <= utc.year <= LATEST_YEAR:
            raise ValidationError(f"must be between {EARLIEST_YEAR} and {LATEST_YEAR}")
        return moment


class BoundedDateTime(_YearBounded, fields.DateTime):
    """An ISO 8601 time between 1900 and 2199 (UTC), offset or not."""


class BoundedAwareDateTime(_YearBounded, fields.AwareDateTime):
    """An ISO 8601 time with an offset, between 1900 and 2199 (UTC)."""


class BoundedDate(fields.Date):
    """An ISO 8601 date between 1900 and 2199."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        day = super()._deserialize(value, attr, data, **kwargs)
        if not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
            raise ValidationError(f"must be between {EARLIEST_YEAR} and {LATEST_YEAR}")
        return day


class Request(Schema):
    """Base of request schemas: an unknown field or parameter is an error, not ignored; no
    value nests deeper than ``MAX_NESTING`` or holds a NUL character."""

    class Meta:
        unknown = RAISE

    @pre_load
    def _refuse_hostile_values(self, data: Any, **_kwargs: Any) -> Any:
        if isinstance(data, dict):
            problems = {
                str(key): [problem]
                for key, value in data.items()
                if (problem := hostile_value_problem(value))
            }
            if problems:
                raise ValidationError(problems)
        return data


def hostile_value_problem(value: Any, depth: int = 0) -> str | None:
    """Why a JSON value may not enter (too deep, a NUL character), or None."""
    if depth > MAX_NESTING:
        return f"nested deeper than {MAX_NESTING} levels"
    if isinstance(value, str):
        return "must not contain NUL characters" if "\x00" in value else None
    children = (
        value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    )
    keys = value.keys() if isinstance(value, dict) else ()
    if any("\x00" in str(key) for key in keys):
        return "must not contain NUL characters"
    for child in children:
        problem = hostile_value_problem(child, depth + 1)
        if problem:
            return problem
    return None


class Page(Request):
    """``limit`` (1-200, default 50) and ``offset`` (default 0) of a list request."""

    limit = fields.Integer(
        load_default=DEFAULT_PAGE_SIZE, validate=validate.Range(min=1, max=MAX_PAGE_SIZE)
    )
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_OFFSET))


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
