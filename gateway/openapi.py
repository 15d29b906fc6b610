"""OpenAPI 3 document and the human docs page, both generated from the route declarations."""

from __future__ import annotations

import re
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, fields

from gateway.http import RouteSpec
from shared.service import VERSION


class ErrorBody(Schema):
    error = fields.String(required=True, metadata={"description": "machine-readable code"})
    message = fields.String(required=True)
    fields_ = fields.Dict(data_key="fields", metadata={"description": "field → problems"})
    request_id = fields.String(allow_none=True)
    details = fields.Dict(
        metadata={"description": "what the error is about (a lot id, a service, retry_after)"}
    )


_ERRORS = {
    400: "invalid input (the fields say which)",
    401: "no or bad credentials",
    403: "the caller's role or scope does not allow this",
    404: "not found",
    409: "conflict",
    422: "contradicts the registries (the fields say which)",
    413: "body too large",
    415: "wrong Content-Type",
    429: "rate limited (see Retry-After)",
    503: "a service behind the gateway is down",
    504: "a service behind the gateway did not answer in time",
}


def touches_personal_data(route: RouteSpec) -> bool:
    """Declared (``personal_data=True``) or implied by who may call it (residents, a scope in
    ``gateway.access.PERSONAL_DATA_SCOPES``): every access through it must be audited."""
    return route.personal_data or route.access.opens_personal_data


def route_specs(service_cls: type) -> list[tuple[str, RouteSpec]]:
    found = []
    for name in dir(service_cls):
        spec = getattr(getattr(service_cls, name), "route_spec", None)
        if isinstance(spec, RouteSpec):
            found.append((name, spec))
    return sorted(found, key=lambda item: (item[1].url, item[1].method))


def openapi_document(service_cls: type, server_url: str = "/") -> dict[str, Any]:
    spec = APISpec(
        title="Smart Shenyang city API",
        version=VERSION,
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={
            "description": "One gateway for residents, departments and integrators. Every "
            "operation says who may call it in `x-access`."
        },
        servers=[{"url": server_url}],
    )
    spec.components.security_scheme(
        "bearer",
        {
            "type": "http",
            "scheme": "bearer",
            "description": "a resident's access token or an API client's key",
        },
    )
    spec.components.schema("ErrorBody", schema=ErrorBody)
    for operation_id, route in route_specs(service_cls):
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", route.url)
        operation: dict[str, Any] = {
            "operationId": operation_id,
            "summary": route.summary,
            "tags": list(route.tags),
            "x-access": route.access.describe(),
            "x-personal-data": touches_personal_data(route),
            "responses": {str(route.status): _success(route)},
        }
        parameters = [
            {"in": "path", "name": name, "required": True, "schema": {"type": "string"}}
            for name in re.findall(r"{([^}]+)}", path)
        ]
        if route.query is not None:
            parameters.append({"in": "query", "schema": route.query})
        if parameters:
            operation["parameters"] = parameters
        if route.method in ("POST", "PUT", "PATCH"):
            media: dict[str, Any] = {}
            for content_type in route.content_types:
                media[content_type] = (
                    {"schema": route.body}
                    if route.body and content_type == "application/json"
                    else {"schema": {"type": "string", "format": "binary"}}
                )
            operation["requestBody"] = {"required": True, "content": media}
        if not route.access.public:
            operation["security"] = [{"bearer": []}]
        errors = dict(_ERRORS)
        if route.error_response is not None:
            errors[412] = "If-Match names a version that is no longer the current one"
        for status, text in errors.items():
            operation["responses"].setdefault(
                str(status), {"description": text, "content": _error_content(route)}
            )
        spec.path(path=path, operations={route.method.lower(): operation})
    return spec.to_dict()


def _success(route: RouteSpec) -> dict[str, Any]:
    response: dict[str, Any] = {"description": route.summary}
    if route.response is not None:
        schema: Any = route.response
        if route.many:
            schema = {"type": "array", "items": route.response}
        response["content"] = {route.media_type: {"schema": schema}}
    elif route.media_type != "application/json":
        # A standard's own documents (FHIR resources and Bundles): described by the standard.
        response["content"] = {route.media_type: {"schema": {"type": "object"}}}
    return response


def _error_content(route: RouteSpec) -> dict[str, Any]:
    """The gateway's error body, or the route's own error format (a FHIR OperationOutcome,
    CKAN's error envelope)."""
    if route.error_response is None:
        return {"application/json": {"schema": "ErrorBody"}}
    own = "OperationOutcome" if route.media_type != "application/json" else "CKAN error"
    return {route.media_type: {"schema": {"type": "object", "description": own}}}
