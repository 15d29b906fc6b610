"""Shapes of the open-data portal's CKAN Action API (``/api/action/<name>``).

Parameters follow CKAN's action API (docs.ckan.org, "API guide" and ``ckan.logic.action.get``):
they arrive as a JSON body (what ``ckanapi`` POSTs), a form, or a query string, so numbers
and booleans may come as strings and are converted here. Parameters CKAN defines but this
catalogue has no use for (``include_private``, ``facet.field``, ...) are ignored, as CKAN
ignores what an action does not use; a bad value of a parameter we use is a CKAN
``Validation Error`` (409) naming it. Every dataset is public; there is nothing private.
"""

from __future__ import annotations

import json
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate

MAX_ROWS = 1000
"""``package_search``'s ``rows`` at most (CKAN's ``ckan.search.rows_max`` default)."""
DEFAULT_ROWS = 10
MAX_DATASTORE_LIMIT = 32000
"""``datastore_search``'s ``limit`` at most (CKAN's ``ckan.datastore.search.rows_max``)."""
DEFAULT_DATASTORE_LIMIT = 100
MAX_OFFSET = 1_000_000
MAX_TEXT = 500


def _text(**kwargs: Any) -> fields.String:
    return fields.String(validate=validate.Length(max=MAX_TEXT), **kwargs)


def _count(maximum: int, **kwargs: Any) -> fields.Integer:
    return fields.Integer(validate=validate.Range(min=0, max=maximum), **kwargs)


class ActionParams(Schema):
    """What every action's parameters share: unknown CKAN parameters are ignored."""

    class Meta:
        unknown = EXCLUDE


class PackageListIn(ActionParams):
    limit = _count(MAX_ROWS)
    offset = _count(MAX_OFFSET, load_default=0)


class PackageSearchIn(ActionParams):
    q = _text(load_default="")
    fq = _text(load_default="")
    rows = _count(MAX_ROWS, load_default=DEFAULT_ROWS)
    start = _count(MAX_OFFSET, load_default=0)
    sort = _text(load_default="score desc, metadata_modified desc")


class IdIn(ActionParams):
    """``package_show``, ``organization_show``, ``resource_show``: a name or an id."""

    id = fields.String(required=True, validate=validate.Length(min=1, max=200))


class OrganizationShowIn(IdIn):
    include_datasets = fields.Boolean(load_default=True)


class OrganizationListIn(ActionParams):
    all_fields = fields.Boolean(load_default=False)
    sort = _text(load_default="title asc")
    limit = _count(MAX_ROWS)
    offset = _count(MAX_OFFSET, load_default=0)


class TagListIn(ActionParams):
    query = _text()
    all_fields = fields.Boolean(load_default=False)


class HelpShowIn(ActionParams):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))


class _JsonOr(fields.Field):
    """A JSON object or list, or its JSON text (what a query string or a form carries)."""

    def __init__(self, kinds: tuple[type, ...], **kwargs: Any) -> None:
        self.kinds = kinds
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, str) and value[:1] in "[{":
            try:
                value = json.loads(value)
            except ValueError:
                raise ValidationError("is not valid JSON") from None
        if not isinstance(value, self.kinds) or len(str(value)) > MAX_TEXT * 4:
            raise ValidationError(f"must be {' or '.join(k.__name__ for k in self.kinds)}")
        return value


class DatastoreSearchIn(ActionParams):
    resource_id = fields.String(required=True, validate=validate.Length(min=1, max=200))
    filters = _JsonOr((dict,), load_default=dict)
    q = _JsonOr((str, dict), load_default="")
    limit = _count(MAX_DATASTORE_LIMIT, load_default=DEFAULT_DATASTORE_LIMIT)
    offset = _count(MAX_OFFSET, load_default=0)
    sort = _text(load_default="")
    requested_fields = _JsonOr((str, list), load_default="", data_key="fields")
    include_total = fields.Boolean(load_default=True)

    @pre_load
    def _id_alias(self, data: Any, **_kwargs: Any) -> Any:
        # CKAN takes ``id`` for ``resource_id`` (an alias kept for old clients).
        if isinstance(data, dict) and "resource_id" not in data and "id" in data:
            return {**data, "resource_id": data["id"]}
        return data


# --- responses --------------------------------------------------------------------------------


class Tag(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    display_name = fields.String(required=True)


class Organization(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    type = fields.String(required=True)
    state = fields.String(required=True)
    is_organization = fields.Boolean(required=True)
    package_count = fields.Integer(required=True)


class Resource(Schema):
    id = fields.String(required=True)
    package_id = fields.String(required=True)
    name = fields.String(required=True)
    description = fields.String(required=True)
    format = fields.String(required=True, metadata={"description": "CSV, JSON or GTFS"})
    mimetype = fields.String(required=True)
    url = fields.String(required=True, metadata={"description": "download URL, served live"})
    datastore_active = fields.Boolean(required=True)
    last_modified = fields.String(required=True)
    position = fields.Integer(required=True)


class Package(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    title = fields.String(required=True)
    notes = fields.String(required=True)
    license_id = fields.String(required=True)
    license_title = fields.String(required=True)
    license_url = fields.String(required=True)
    metadata_created = fields.String(required=True)
    metadata_modified = fields.String(required=True, metadata={"description": "data are live"})
    owner_org = fields.String(required=True)
    organization = fields.Nested(Organization, required=True)
    tags = fields.List(fields.Nested(Tag), required=True)
    resources = fields.List(fields.Nested(Resource), required=True)
    num_resources = fields.Integer(required=True)
    num_tags = fields.Integer(required=True)
    private = fields.Boolean(required=True)
    state = fields.String(required=True)
    type = fields.String(required=True)


class SearchResult(Schema):
    count = fields.Integer(required=True)
    sort = fields.String(required=True)
    results = fields.List(fields.Nested(Package), required=True)
    facets = fields.Dict(required=True)
    search_facets = fields.Dict(required=True)


class DatastoreField(Schema):
    id = fields.String(required=True)
    type = fields.String(required=True, metadata={"description": "int, numeric, text, bool"})


class DatastoreResult(Schema):
    resource_id = fields.String(required=True)
    field_list = fields.List(fields.Nested(DatastoreField), required=True, data_key="fields")
    records = fields.List(fields.Dict(), required=True)
    total = fields.Integer(metadata={"description": "matching records, before paging"})
    limit = fields.Integer(required=True)
    offset = fields.Integer(required=True)
    _links = fields.Dict(required=True)


class ActionResponse(Schema):
    """Every answer: ``{"help", "success": true, "result"}``; errors ``success: false`` with
    ``error: {"__type", "message", <field>: [problems]}``."""

    help = fields.String(required=True)
    success = fields.Boolean(required=True)
    result = fields.Raw()
    error = fields.Dict()
