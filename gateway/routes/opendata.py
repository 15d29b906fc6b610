"""The open-data portal's API: CKAN's Action API and the downloads of its resources.

``/api/action/<name>`` and ``/api/3/action/<name>`` answer GET (parameters in the query
string) and POST (a JSON body, as ``ckanapi`` sends, or a form), as CKAN does. Every dataset is
public: no credential is needed, and a credential that is not valid here (``ckanapi`` sends
its ``apikey`` in ``Authorization``) is refused as CKAN refuses a bad key (403). Errors
anywhere under these paths, unknown actions and paths included, have CKAN's envelope. The
downloads (``/opendata/download/``) are plain files; their errors are the gateway's usual body.
"""

from __future__ import annotations

import base64
from typing import Any

from werkzeug.wrappers import Response

from gateway.access import PUBLIC
from gateway.http import JSON, Call, api, parse_json, render_errors_under
from gateway.opendata import actions, records, render
from gateway.opendata.catalogue import BY_NAME, Dataset
from gateway.opendata.metadata import DOWNLOAD_PATH
from shared.clock import naive_utcnow
from shared.contracts.opendata import ActionResponse
from shared.errors import NotFound, ValidationFailed

ACTION_BASES = ("/api/action/", "/api/3/action/")
FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")
DOWNLOADS = "/" + DOWNLOAD_PATH
GTFS_FILE = "gtfs.zip"
for _base in ACTION_BASES:
    render_errors_under(_base, render.ckan_error)

_ACTION = {
    "access": PUBLIC,
    "tags": ("opendata",),
    "response": ActionResponse,
    "error_response": render.ckan_error,
}


def _parameters(call: Call) -> dict[str, Any]:
    request = call.request
    if request.method == "GET":
        return request.args.to_dict()
    if request.mimetype in FORMS:
        return request.form.to_dict()
    data = call.json if call.json is not None else parse_json(b"{}")
    if not isinstance(data, dict):
        raise ValidationFailed("body must be a JSON object", fields={"body": ["not an object"]})
    return data


def _context(self: Any, call: Call) -> actions.Context:
    now = naive_utcnow().isoformat(timespec="microseconds")
    return actions.Context(self.services, call.request.host_url, now)


class OpenDataRoutes:
    def _action(self, call: Call) -> Response:
        name = call.path["name"]
        result = actions.run(name, _parameters(call), _context(self, call))
        return render.success(name, result, call.request.host_url, call.request_id)

    @api("GET", "/api/action/<name>", summary="A CKAN action (query string)", **_ACTION)
    def ckan_action_get(self, call: Call) -> Response:
        return self._action(call)

    @api(
        "POST",
        "/api/action/<name>",
        summary="A CKAN action (JSON body, as ckanapi sends, or a form)",
        content_types=(JSON, *FORMS),
        **_ACTION,
    )
    def ckan_action_post(self, call: Call) -> Response:
        return self._action(call)

    @api("GET", "/api/3/action/<name>", summary="A CKAN action, API version 3", **_ACTION)
    def ckan_action_3_get(self, call: Call) -> Response:
        return self._action(call)

    @api(
        "POST",
        "/api/3/action/<name>",
        summary="A CKAN action, API version 3 (JSON body or a form)",
        content_types=(JSON, *FORMS),
        **_ACTION,
    )
    def ckan_action_3_post(self, call: Call) -> Response:
        return self._action(call)

    @api(
        "GET",
        DOWNLOADS + "<name>.csv",
        access=PUBLIC,
        tags=("opendata",),
        summary="Download a dataset's records as CSV (UTF-8, a header of the column ids)",
        media_type="text/csv",
    )
    def opendata_download_csv(self, call: Call) -> Response:
        dataset = _dataset(call.path["name"])
        found = records.fetch(self.services, dataset)
        return render.download(render.as_csv(dataset, found), "text/csv", f"{dataset.name}.csv")

    @api(
        "GET",
        DOWNLOADS + "<name>.json",
        access=PUBLIC,
        tags=("opendata",),
        summary="Download a dataset's records as JSON, with its fields and licence",
    )
    def opendata_download_json(self, call: Call) -> Response:
        dataset = _dataset(call.path["name"])
        found = records.fetch(self.services, dataset)
        now = naive_utcnow().isoformat(timespec="seconds")
        body = render.as_json(dataset, found, now)
        return render.download(body, "application/json", f"{dataset.name}.json")

    @api(
        "GET",
        DOWNLOADS + GTFS_FILE,
        access=PUBLIC,
        tags=("opendata",),
        summary="Download the timetable in use as a GTFS feed (regenerated from it)",
        media_type="application/zip",
    )
    def opendata_download_gtfs(self, call: Call) -> Response:
        feed = base64.b64decode(self.services.traffic.gtfs_feed()["zip_base64"])
        return render.download(feed, "application/zip", GTFS_FILE)


def _dataset(name: str) -> Dataset:
    dataset = BY_NAME.get(name)
    if dataset is None:
        raise NotFound(f"no dataset {name}", fields={"name": ["no such dataset"]})
    return dataset
