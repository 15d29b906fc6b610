"""Liveness, readiness and the API description."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from gateway.access import PUBLIC
from gateway.http import Call, api
from gateway.openapi import docs_page, openapi_document
from shared.errors import ServiceUnavailable


class OpsRoutes:
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

    @api("GET", "/api/openapi.json", access=PUBLIC, summary="OpenAPI 3 document", tags=("ops",))
    def openapi(self, call: Call) -> dict[str, Any]:
        return openapi_document(type(self))

    @api("GET", "/api/docs", access=PUBLIC, summary="Human-readable API docs", tags=("ops",))
    def docs(self, call: Call) -> Response:
        return Response(docs_page(openapi_document(type(self))), mimetype="text/html")
