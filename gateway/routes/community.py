"""Community affairs at one window: the catalogue (public), residents' applications and
documents (``/me/...``), the handling offices' queues, and the community grid.

A handling office is a ``community`` department client whose ``unit`` names the office
(``civil-affairs``, ``disabled-persons-federation``, ``human-resources``); it sees only the
applications of the affairs it handles. A grid worker is a client with ``community.grid``
(its ``unit``, if any, is the grid worker named on its cells).
"""

from __future__ import annotations

import base64
from typing import Any

from werkzeug.wrappers import Response

from gateway.access import PUBLIC, RESIDENT, Department
from gateway.http import Call, api
from shared.contracts import community as contract

AFFAIRS = Department("community.affairs", "community")
GRID = Department("community.grid", "community")
DOCUMENT_TYPES = contract.DOCUMENT_TYPES


def _document_response(document: dict[str, Any]) -> Response:
    return Response(
        base64.b64decode(document["content_base64"]),
        mimetype=document["content_type"],
        headers={"X-Content-SHA256": document["sha256"]},
    )


class CommunityRoutes:
    # --- the catalogue ------------------------------------------------------------------------

    @api(
        "GET",
        "/api/v1/community/affairs",
        access=PUBLIC,
        tags=("community",),
        query=contract.AffairSearchQuery,
        response=contract.AffairPage,
        summary="The affairs catalogue: the current version of each item; q searches code/name",
    )
    def community_affairs(self, call: Call) -> dict[str, Any]:
        query = call.query
        return self.services.community.search_affairs(
            query.get("q"), query.get("category"), query["limit"], query["offset"]
        )

    @api(
        "GET",
        "/api/v1/community/affairs/<code>",
        access=PUBLIC,
        tags=("community",),
        query=contract.AffairVersionQuery,
        response=contract.Affair,
        summary="One affair item: its current version, or ?version=N",
    )
    def community_affair(self, call: Call) -> dict[str, Any]:
        return self.services.community.get_affair(call.path["code"], call.query.get("version"))

    # --- the resident -------------------------------------------------------------------------

    @api(
        "POST",
        "/api/v1/community/me/documents",
        access=RESIDENT,
        status=201,
        tags=("community",),
        query=contract.DocumentUploadQuery,
        content_types=DOCUMENT_TYPES,
        max_body_bytes=contract.MAX_DOCUMENT_BYTES,
        response=contract.DocumentInfo,
        summary="Upload a document (PDF, JPEG or PNG, at most 5 MB; ?kind= names what it is)",
    )
    def community_upload_document(self, call: Call) -> dict[str, Any]:
        return self.services.community.upload_document(
            call.principal.id,
            call.query["kind"],
            call.request.mimetype,
            base64.b64encode(call.raw_body).decode("ascii"),
        )

    @api(
        "GET",
        "/api/v1/community/me/documents/<document_id>",
        access=RESIDENT,
        tags=("community",),
        summary="One of my documents, as uploaded",
    )
    def community_my_document(self, call: Call) -> Response:
        return _document_response(
            self.services.community.my_document(call.principal.id, call.path["document_id"])
        )

    @api(
        "POST",
        "/api/v1/community/me/applications",
        access=RESIDENT,
        status=201,
        tags=("community",),
        body=contract.ApplicationIn,
        response=contract.Application,
        summary="Apply for an affair (the form is checked against the affair's schema)",
    )
    def community_apply(self, call: Call) -> dict[str, Any]:
        id_number = self.services.platform.resolve_card(call.principal.id)["id_number"]
        return self.services.community.submit_application(call.principal.id, id_number, call.json)

    @api(
        "GET",
        "/api/v1/community/me/applications",
        access=RESIDENT,
        tags=("community",),
        query=contract.Page,
        response=contract.ApplicationPage,
        summary="My applications, each with its history",
    )
    def community_my_applications(self, call: Call) -> dict[str, Any]:
        return self.services.community.my_applications(
            call.principal.id, call.query["limit"], call.query["offset"]
        )

    @api(
        "GET",
        "/api/v1/community/me/applications/<application_id>",
        access=RESIDENT,
        tags=("community",),
        response=contract.Application,
        summary="One of my applications, with its history",
    )
    def community_my_application(self, call: Call) -> dict[str, Any]:
        return self.services.community.my_application(
            call.principal.id, call.path["application_id"]
        )

    @api(
        "POST",
        "/api/v1/community/me/applications/<application_id>/resubmit",
        access=RESIDENT,
        tags=("community",),
        body=contract.ResubmitIn,
        response=contract.Application,
        summary="Resubmit a returned application (amended form and documents)",
    )
    def community_resubmit(self, call: Call) -> dict[str, Any]:
        return self.services.community.resubmit_application(
            call.principal.id, call.path["application_id"], call.json
        )

    @api(
        "POST",
        "/api/v1/community/me/incidents",
        access=RESIDENT,
        status=201,
        tags=("community",),
        body=contract.IncidentIn,
        response=contract.Incident,
        summary="Report an incident at a place (it goes to the grid cell covering it)",
    )
    def community_report_incident(self, call: Call) -> dict[str, Any]:
        return self.services.community.report_incident(call.json)

    @api(
        "GET",
        "/api/v1/community/me/incidents",
        access=RESIDENT,
        tags=("community",),
        query=contract.Page,
        response=contract.IncidentPage,
        summary="The incidents I reported, and how far they have got",
    )
    def community_my_incidents(self, call: Call) -> dict[str, Any]:
        return self.services.community.my_incidents(
            call.principal.id, call.query["limit"], call.query["offset"]
        )

    # --- the handling office ------------------------------------------------------------------

    @api(
        "GET",
        "/api/v1/community/applications",
        access=AFFAIRS,
        tags=("community",),
        query=contract.QueueQuery,
        response=contract.ApplicationPage,
        summary="Our queue: applications of the affairs we handle; due=overdue|due_soon",
    )
    def community_queue(self, call: Call) -> dict[str, Any]:
        query = dict(call.request.args.to_dict())  # validated; sent as the client wrote it
        return self.services.community.unit_queue(call.principal.unit, query)

    @api(
        "GET",
        "/api/v1/community/applications/<application_id>",
        access=AFFAIRS,
        tags=("community",),
        response=contract.Application,
        summary="One application we handle, with its history",
    )
    def community_application(self, call: Call) -> dict[str, Any]:
        return self.services.community.unit_application(
            call.principal.unit, call.path["application_id"]
        )

    @api(
        "POST",
        "/api/v1/community/applications/<application_id>/actions",
        access=AFFAIRS,
        tags=("community",),
        body=contract.TransitionIn,
        response=contract.Application,
        summary="accept, review, approve, reject or return (409 naming the current state); "
        "approval checks credit first where the affair says so",
    )
    def community_act(self, call: Call) -> dict[str, Any]:
        return self.services.community.act_on_application(
            call.principal.unit,
            call.path["application_id"],
            call.body["action"],
            call.body.get("reason"),
        )

    @api(
        "GET",
        "/api/v1/community/applications/<application_id>/documents/<document_id>",
        access=AFFAIRS,
        tags=("community",),
        summary="A document of an application we handle, as uploaded",
    )
    def community_application_document(self, call: Call) -> Response:
        return _document_response(
            self.services.community.unit_document(
                call.principal.unit, call.path["application_id"], call.path["document_id"]
            )
        )

    # --- the grid -----------------------------------------------------------------------------

    @api(
        "PUT",
        "/api/v1/community/grid/cells/<cell_id>",
        access=GRID,
        tags=("community",),
        body=contract.CellIn,
        response=contract.Cell,
        summary="Create or replace a grid cell: polygon (GeoJSON), worker, base data counts "
        "(the grid centre: a grid client without a unit)",
    )
    def community_put_cell(self, call: Call) -> dict[str, Any]:
        return self.services.community.put_cell(
            call.principal.unit, call.path["cell_id"], call.json
        )

    @api(
        "GET",
        "/api/v1/community/grid/cells",
        access=PUBLIC,
        tags=("community", "open data"),
        query=contract.Page,
        response=contract.CellPage,
        summary="The grid cells with their base data (counts only)",
    )
    def community_cells(self, call: Call) -> dict[str, Any]:
        return self.services.community.list_cells(call.query["limit"], call.query["offset"])

    @api(
        "GET",
        "/api/v1/community/grid/locate",
        access=PUBLIC,
        tags=("community", "open data"),
        query=contract.PointQuery,
        response=contract.Located,
        summary="The grid cell of a point (on a shared border: the lowest cell id; "
        "cell_id null outside every cell)",
    )
    def community_locate(self, call: Call) -> dict[str, Any]:
        return self.services.community.locate(call.query["lon"], call.query["lat"])

    @api(
        "POST",
        "/api/v1/community/grid/incidents",
        access=GRID,
        status=201,
        tags=("community",),
        body=contract.IncidentIn,
        response=contract.Incident,
        summary="A grid worker reports an incident",
    )
    def community_grid_report(self, call: Call) -> dict[str, Any]:
        return self.services.community.report_incident(call.json)

    @api(
        "GET",
        "/api/v1/community/grid/incidents",
        access=GRID,
        tags=("community",),
        query=contract.IncidentQuery,
        response=contract.IncidentPage,
        summary="Incidents of the cells we work (all cells for the grid centre)",
    )
    def community_grid_incidents(self, call: Call) -> dict[str, Any]:
        return self.services.community.grid_incidents(call.principal.unit, call.query)

    @api(
        "POST",
        "/api/v1/community/grid/incidents/<incident_id>/actions",
        access=GRID,
        tags=("community",),
        body=contract.IncidentActionIn,
        response=contract.Incident,
        summary="assign, resolve or close an incident (409 naming the current state)",
    )
    def community_incident_act(self, call: Call) -> dict[str, Any]:
        return self.services.community.act_on_incident(
            call.principal.unit, call.path["incident_id"], call.json
        )

    @api(
        "GET",
        "/api/v1/community/grid/incidents/statistics",
        access=GRID,
        tags=("community",),
        response=contract.IncidentStats,
        summary="Incident counts per cell and category: total, open, closed, overdue",
    )
    def community_incident_statistics(self, call: Call) -> dict[str, Any]:
        return self.services.community.incident_statistics(call.principal.unit)
