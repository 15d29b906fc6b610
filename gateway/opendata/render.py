"""What the open-data routes answer: CKAN's envelope, CKAN's errors, and the downloads (CSV and
JSON of a dataset's records).

CKAN answers ``{"help", "success": true, "result"}``, and errors ``{"help", "success": false,
"error": {"__type", "message", <field>: [problems]}}`` with 404 (``Not Found Error``), 409
(``Validation Error``) or 403 (``Authorization Error``); ``ckanapi`` turns the ``__type`` back
into its ``NotFound``, ``ValidationError`` and ``NotAuthorized``. Other failures keep their
status (429 too many requests, 503 a service is down) with a ``__type`` of their own.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from typing import Any

from werkzeug.wrappers import Response

from gateway.http import json_response
from gateway.opendata.catalogue import LICENCE, Dataset
from shared.errors import SmartCityError

log = logging.getLogger(__name__)

HELP_PATH = "api/3/action/help_show?name="
ERROR_TYPES = {
    404: ("Not Found Error", 404),
    400: ("Validation Error", 409),
    409: ("Validation Error", 409),
    413: ("Validation Error", 409),
    415: ("Validation Error", 409),
    422: ("Validation Error", 409),
    401: ("Authorization Error", 403),
    403: ("Authorization Error", 403),
    405: ("Method Not Allowed", 405),
    429: ("Rate Limit Error", 429),
}
"""Our status → CKAN's ``__type`` and status (anything else: ``Internal Error``, its status)."""


def success(action: str, result: Any, base_url: str, request_id: str) -> Response:
    body = {"help": f"{base_url}{HELP_PATH}{action}", "success": True, "result": result}
    return json_response(body, 200, request_id)


def ckan_error(exc: Exception, request_id: str | None) -> Response:
    """Any error of an open-data route in CKAN's error envelope (the route's error hook)."""
    if isinstance(exc, SmartCityError):
        status, message, fields = exc.status, exc.message, exc.fields
    else:
        status, message, fields = 500, "unexpected error; it has been logged", {}
    kind, answer_status = ERROR_TYPES.get(status, ("Internal Error", status))
    error: dict[str, Any] = {
        name: problems if isinstance(problems, list) else [str(problems)]
        for name, problems in fields.items()
        if name not in ("__type", "message")
    }
    error.update({"__type": kind, "message": message})
    body = {"help": f"/{HELP_PATH}", "success": False, "error": error}
    response = json_response(body, answer_status, request_id)
    if isinstance(exc, SmartCityError) and exc.extra.get("retry_after"):
        response.headers["Retry-After"] = str(exc.extra["retry_after"])
    return response


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def as_csv(dataset: Dataset, records: list[dict[str, Any]]) -> str:
    """A header of the column ids, then one line per record (empty for null)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([column.id for column in dataset.columns])
    for record in records:
        writer.writerow([_cell(record[column.id]) for column in dataset.columns])
    return out.getvalue()


def as_json(dataset: Dataset, records: list[dict[str, Any]], now: str) -> str:
    """The records with what they are: the fields, the licence and when they were read."""
    return json.dumps(
        {
            "dataset": dataset.name,
            "title": dataset.title,
            "organization": dataset.organization,
            **LICENCE,
            "generated_at": now,
            "fields": [
                {"id": c.id, "type": c.type, "description": c.description} for c in dataset.columns
            ],
            "records": records,
        },
        ensure_ascii=False,
        default=str,
    )


def download(body: str | bytes, mimetype: str, filename: str) -> Response:
    response = Response(body, status=200, mimetype=mimetype)
    if mimetype.startswith("text/"):
        response.headers["Content-Type"] = f"{mimetype}; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
