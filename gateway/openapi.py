"""OpenAPI 3 document and the human docs page, both generated from the route declarations."""

from __future__ import annotations

import html
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
        for status, text in _ERRORS.items():
            operation["responses"].setdefault(
                str(status),
                {"description": text, "content": {"application/json": {"schema": "ErrorBody"}}},
            )
        spec.path(path=path, operations={route.method.lower(): operation})
    return spec.to_dict()


def _success(route: RouteSpec) -> dict[str, Any]:
    response: dict[str, Any] = {"description": route.summary}
    if route.response is not None:
        schema: Any = route.response
        if route.many:
            schema = {"type": "array", "items": route.response}
        response["content"] = {"application/json": {"schema": schema}}
    return response


def docs_page(document: dict[str, Any]) -> str:
    """A self-contained page (no CDN: it works offline) listing every route."""
    schemas = document.get("components", {}).get("schemas", {})
    rows = []
    for path, operations in sorted(document["paths"].items()):
        for method, op in operations.items():
            request = _schema_fields(op.get("requestBody", {}).get("content", {}), schemas)
            response = _schema_fields(
                next(iter(op["responses"].values())).get("content", {}), schemas
            )
            query = ", ".join(p["name"] for p in op.get("parameters", []) if p["in"] == "query")
            rows.append(
                f"<tr><td><code>{method.upper()}</code></td><td><code>{html.escape(path)}</code>"
                f"</td><td>{html.escape(op['summary'])}</td>"
                f"<td>{html.escape(op['x-access'])}</td><td>{html.escape(query)}</td>"
                f"<td>{html.escape(request)}</td><td>{html.escape(response)}</td></tr>"
            )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Smart Shenyang API</title>"
        "<style>body{font-family:sans-serif;margin:2em}td,th{border-bottom:1px solid #ddd;"
        "padding:4px 8px;vertical-align:top;text-align:left}</style></head><body>"
        f"<h1>Smart Shenyang city API {html.escape(document['info']['version'])}</h1>"
        "<p>Machine-readable: <a href='/api/openapi.json'>/api/openapi.json</a>. Errors are "
        "always <code>{error, message, fields, request_id}</code>.</p>"
        "<table><tr><th>method</th><th>path</th><th>what</th><th>who may call it</th>"
        "<th>query</th><th>request body</th><th>response</th></tr>"
        + "".join(rows)
        + "</table></body></html>"
    )


def _schema_fields(content: dict[str, Any], schemas: dict[str, Any]) -> str:
    for media in content.values():
        schema = media.get("schema", {})
        if schema.get("type") == "array":
            schema = schema.get("items", {})
        ref = schema.get("$ref", "")
        resolved = schemas.get(ref.rsplit("/", 1)[-1], schema) if ref else schema
        props = resolved.get("properties", {})
        required = set(resolved.get("required", []))
        return ", ".join(f"{name}{'*' if name in required else ''}" for name in props)
    return ""
