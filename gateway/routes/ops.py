"""Liveness, readiness, the suite's ops overview and the API description."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import eventlet
from nameko.extensions import DependencyProvider
from swagger_ui_bundle import swagger_ui_path
from werkzeug.wrappers import Response

from gateway.access import CITY_OVERVIEW, PUBLIC
from gateway.http import Call, api
from gateway.openapi import openapi_document
from shared.config import PLATFORM, SERVICES
from shared.contracts.ops import OpsOverview
from shared.errors import NotFound, ServiceUnavailable
from shared.queue_stats import read_overview

VIEWER = Path(__file__).resolve().parents[1] / "docs_viewer"
DOCS_ASSETS: dict[str, tuple[Path, str]] = {
    "swagger-ui.css": (Path(str(swagger_ui_path)) / "swagger-ui.css", "text/css"),
    "swagger-ui-bundle.js": (
        Path(str(swagger_ui_path)) / "swagger-ui-bundle.js",
        "text/javascript",
    ),
    "smartcity-docs.css": (VIEWER / "smartcity-docs.css", "text/css"),
    "smartcity-docs.js": (VIEWER / "smartcity-docs.js", "text/javascript"),
}
"""The API viewer's files: Swagger UI from the ``swagger-ui-bundle`` package (served here, no
CDN, so the docs work offline) and our page around it. Only these names are served."""


class BrokerUri(DependencyProvider):
    """The AMQP URI of this container: the gateway's own broker user."""

    def get_dependency(self, worker_ctx: Any) -> str:
        return self.container.config["AMQP_URI"]


class OpsRoutes:
    broker_uri = BrokerUri()

    @api(
        "GET",
        "/healthz",
        access=PUBLIC,
        rate_limited=False,
        summary="The gateway process is alive",
        tags=("ops",),
    )
    def healthz(self, call: Call) -> dict[str, Any]:
        return {"status": "ok"}

    @api(
        "GET",
        "/readyz",
        access=PUBLIC,
        rate_limited=False,
        tags=("ops",),
        summary="The broker and the platform database answer",
    )
    def readyz(self, call: Call) -> dict[str, Any]:
        health = self.services.platform.health()
        if health["status"] != "ok":
            raise ServiceUnavailable("platform database unreachable", extra={"checks": health})
        return {"status": "ok", "broker": "ok", "database": health["database"]}

    @api(
        "GET",
        "/api/v1/ops/overview",
        access=CITY_OVERVIEW,
        response=OpsOverview,
        summary="Every service: up or down, instances, waiting events, dead letters; alerts",
        tags=("ops",),
    )
    def ops_overview(self, call: Call) -> dict[str, Any]:
        services = (PLATFORM, *SERVICES)
        pool = eventlet.GreenPool(len(services))  # ask every service at once
        return read_overview(
            self.broker_uri,
            services,
            lambda service: getattr(self.services, service).health(),
            mapper=pool.imap,
        )

    @api("GET", "/api/openapi.json", access=PUBLIC, summary="OpenAPI 3 document", tags=("ops",))
    def openapi(self, call: Call) -> dict[str, Any]:
        return openapi_document(type(self))

    @api("GET", "/api/docs", access=PUBLIC, summary="The API in Swagger UI", tags=("ops",))
    def docs(self, call: Call) -> Response:
        return Response((VIEWER / "index.html").read_bytes(), mimetype="text/html")

    @api(
        "GET",
        "/api/docs/static/<name>",
        access=PUBLIC,
        summary="Files of the API viewer",
        tags=("ops",),
    )
    def docs_asset(self, call: Call) -> Response:
        asset = DOCS_ASSETS.get(call.path["name"])
        if asset is None:
            raise NotFound("no such file of the API viewer")
        path, mimetype = asset
        response = Response(path.read_bytes(), mimetype=mimetype)
        response.headers["Cache-Control"] = "public, max-age=3600"
        return response
