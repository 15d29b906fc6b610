"""The gateway's FHIR face: media type, ``OperationOutcome`` errors, Bundles, the capability
statement, and the request parts FHIR clients send (resource body, ``If-Match``,
``X-Break-Glass``).

FHIR clients expect every answer as ``application/fhir+json`` and every error as an
``OperationOutcome`` whose ``issue[].expression`` names the FHIR path at fault; the routes of
``gateway/routes/health.py`` under ``FHIR_BASE`` declare ``error_response=operation_outcome``.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from nameko.exceptions import deserialize_to_instance
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Request, Response

from gateway.http import parse_json
from shared.contracts.common import hostile_value_problem
from shared.contracts.health import (
    FHIR_JSON,
    FHIR_VERSION,
    MAX_BREAK_GLASS_REASON,
    RESOURCE_TYPES,
    PreconditionFailed,
)
from shared.errors import SmartCityError, ValidationFailed
from shared.observability import REQUEST_ID_HEADER
from shared.service import VERSION

deserialize_to_instance(PreconditionFailed)  # the service's 412 arrives as itself, not a 500

FHIR_BASE = "/api/v1/health/fhir"
BREAK_GLASS_HEADER = "X-Break-Glass"
"""An institution's stated emergency reason to read a patient's records without consent."""

ISSUE_CODES = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    409: "conflict",
    412: "conflict",
    413: "too-costly",
    415: "not-supported",
    422: "business-rule",
    429: "throttled",
    503: "transient",
    504: "timeout",
}
SEARCH_PARAMS = ("patient", "subject", "category", "code", "date")


def fhir_response(
    payload: Any,
    status: int = 200,
    request_id: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    response = Response(json.dumps(payload, default=str), status=status, mimetype=FHIR_JSON)
    if request_id:
        response.headers[REQUEST_ID_HEADER] = request_id
    response.headers.update(headers or {})
    return response


def operation_outcome(exc: Exception, request_id: str | None) -> Response:
    """Any error of a FHIR route as an ``OperationOutcome`` with the error's status."""
    if isinstance(exc, SmartCityError):
        status, message, fields = exc.status, exc.message, exc.fields
    else:
        status, message, fields = 500, "unexpected error; it has been logged", {}
    issues = [
        {
            "severity": "error",
            "code": ISSUE_CODES.get(status, "exception"),
            "diagnostics": f"{path}: {_first(problems)}",
            "expression": [path],
        }
        for path, problems in fields.items()
    ] or [
        {"severity": "error", "code": ISSUE_CODES.get(status, "exception"), "diagnostics": message}
    ]
    outcome = {
        "resourceType": "OperationOutcome",
        "id": request_id or "error",
        "text": {"status": "generated", "div": _div(message)},
        "issue": issues,
    }
    return fhir_response(outcome, status, request_id)


def _first(problems: Any) -> str:
    if isinstance(problems, list) and problems:
        return str(problems[0])
    if isinstance(problems, dict):
        return "; ".join(f"{key}: {_first(value)}" for key, value in problems.items())
    return str(problems)


def _div(text: str) -> str:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f'<div xmlns="http://www.w3.org/1999/xhtml">{escaped}</div>'


def resource_body(raw: bytes) -> Any:
    """The resource a client sent (``application/fhir+json`` or ``application/json``)."""
    data = parse_json(raw)
    problem = hostile_value_problem(data)
    if problem:
        raise ValidationFailed(f"body: {problem}", fields={"body": [problem]})
    return data


def break_glass_reason(request: Request) -> str | None:
    reason = request.headers.get(BREAK_GLASS_HEADER)
    if reason is None:
        return None
    reason = reason.strip()
    if not reason or len(reason) > MAX_BREAK_GLASS_REASON or any(ord(c) < 32 for c in reason):
        raise ValidationFailed(
            f"{BREAK_GLASS_HEADER}: state the emergency in 1-{MAX_BREAK_GLASS_REASON} characters",
            fields={BREAK_GLASS_HEADER: ["1-200 printable characters"]},
        )
    return reason


def search_arguments(args: MultiDict) -> dict[str, Any]:
    """The query string as the search contract reads it: ``date`` may repeat."""
    data: dict[str, Any] = {key: args.get(key) for key in args if key != "date"}
    if "date" in args:
        data["date"] = args.getlist("date")
    return data


def base_url(request: Request) -> str:
    return request.host_url.rstrip("/") + FHIR_BASE


def version_headers(resource: dict[str, Any]) -> dict[str, str]:
    meta = resource.get("meta", {})
    headers = {}
    if meta.get("versionId"):
        headers["ETag"] = f'W/"{meta["versionId"]}"'
    if meta.get("lastUpdated"):
        headers["Last-Modified"] = meta["lastUpdated"]
    return headers


def searchset(request: Request, path: str, page: dict[str, Any]) -> dict[str, Any]:
    """A ``searchset`` Bundle of one page, with ``self``, ``next`` and ``previous`` links
    (absolute, under the same base the client used)."""
    base = base_url(request)
    args = [(key, value) for key, value in request.args.items(multi=True) if key != "_offset"]
    count, offset, total = page["count"], page["offset"], page["total"]

    def link(relation: str, at: int) -> dict[str, str]:
        query = urlencode([*args, ("_offset", str(at))])
        return {"relation": relation, "url": f"{base}/{path}?{query}"}

    links = [link("self", offset)]
    if count and offset + count < total:
        links.append(link("next", offset + count))
    if count and offset > 0:
        links.append(link("previous", max(0, offset - count)))
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "link": links,
        "entry": [
            {
                "fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}",
                "resource": resource,
                "search": {"mode": "match"},
            }
            for resource in page["resources"]
        ],
    }


def capability_statement(request: Request) -> dict[str, Any]:
    """What the face supports: the types, their interactions, search parameters, operations."""
    interactions = [{"code": code} for code in ("read", "create", "update", "search-type")]
    search = [
        {
            "name": name,
            "type": "date"
            if name == "date"
            else "token"
            if name in ("category", "code")
            else "reference",
        }
        for name in SEARCH_PARAMS
    ]
    common = [
        {"name": "_count", "type": "number"},
        {"name": "_sort", "type": "string"},
        {"name": "_id", "type": "token"},
    ]
    resources = []
    for resource_type in RESOURCE_TYPES:
        entry: dict[str, Any] = {
            "type": resource_type,
            "interaction": interactions,
            "versioning": "versioned-update",
            "updateCreate": True,
            "searchParam": [*common, *search]
            if resource_type != "Patient"
            else [
                *common,
                {"name": "identifier", "type": "token"},
            ],
        }
        if resource_type == "Patient":
            entry["operation"] = [
                {
                    "name": "everything",
                    "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything",
                }
            ]
        resources.append(entry)
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-12-02",
        "kind": "instance",
        "software": {"name": "Smart Shenyang health service", "version": VERSION},
        "implementation": {
            "description": "Shenyang regional health records",
            "url": base_url(request),
        },
        "fhirVersion": FHIR_VERSION,
        "format": ["json", FHIR_JSON],
        "rest": [
            {
                "mode": "server",
                "security": {
                    "description": "Bearer: a resident's token or an institution's API key. "
                    f"{BREAK_GLASS_HEADER}: <reason> reads without consent in an emergency."
                },
                "resource": resources,
            }
        ],
    }
