"""The portals' pages and the browser libraries they load (``gateway/portals.py``)."""

from __future__ import annotations

from pathlib import Path

from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from gateway.access import PUBLIC
from gateway.http import Call, api
from gateway.portals import CONTENT_SECURITY_POLICY, content_type, portal_file, vendor_file

PORTAL_URL = "/<any(my,leaders,data):portal>/"
"""The portals of ``gateway.portals.PORTALS`` (werkzeug's ``any`` converter takes literals)."""


def _file_response(path: Path, cache: str) -> Response:
    response = Response(path.read_bytes(), content_type=content_type(path))
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["Cache-Control"] = cache
    return response


class PortalRoutes:
    @api("GET", "/", access=PUBLIC, status=302, summary="To My Shenyang", tags=("portals",))
    def portal_home(self, call: Call) -> Response:
        return redirect("/my/", code=302)

    @api("GET", PORTAL_URL, access=PUBLIC, summary="A portal's first page", tags=("portals",))
    def portal_index(self, call: Call) -> Response:
        return _file_response(portal_file(call.path["portal"], ""), "no-cache")

    @api(
        "GET",
        PORTAL_URL + "<path:path>",
        access=PUBLIC,
        summary="A file of a portal (HTML, scripts, styles, images)",
        tags=("portals",),
    )
    def portal_asset(self, call: Call) -> Response:
        # no-cache: revalidated on each load, so a deploy is seen at once (files carry no hash).
        return _file_response(portal_file(call.path["portal"], call.path["path"]), "no-cache")

    @api(
        "GET",
        "/vendor/<package>/<path:path>",
        access=PUBLIC,
        summary="A browser library's file (an allow-list of npm packages' files)",
        tags=("portals",),
    )
    def vendor_asset(self, call: Call) -> Response:
        path = vendor_file(call.path["package"], call.path["path"])
        return _file_response(path, "public, max-age=86400")
