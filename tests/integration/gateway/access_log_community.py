"""Access-log exercises of the community routes: an unemployment registration filed by A,
handled by the human-resources office, and an incident A reports."""

from __future__ import annotations

from collections.abc import Callable

import requests
from access_log_world import World

from services.community.service import CommunityService

SERVICES = (CommunityService,)

COMMUNITY = "/api/v1/community"
COMMUNITY_FORM = {"last_employer": "Shenyang Tractor Works", "employment_ended_on": "2026-10-30"}


def _community_office(world: World) -> str:
    if not hasattr(world, "community_office"):
        world.community_office = world.stack.client(
            "department", "community", scopes=("community.affairs",), unit="human-resources"
        )
    return world.community_office


def _community_upload(world: World) -> requests.Response:
    return world.as_resident(
        "POST",
        f"{COMMUNITY}/me/documents",
        params={"kind": "termination_certificate"},
        data=b"%PDF-1.7 termination certificate",
        headers={"Content-Type": "application/pdf"},
    )


def _community_apply(world: World) -> requests.Response:
    document_id = world.ok(_community_upload(world), 201)["document_id"]
    body = {
        "affair_code": "unemployment-registration",
        "form": COMMUNITY_FORM,
        "document_ids": [document_id],
    }
    return world.as_resident("POST", f"{COMMUNITY}/me/applications", json=body)


def _community_application(world: World) -> dict:
    return world.ok(_community_apply(world), 201)


def _community_act(world: World, application_id: str | None = None, action: str = "accept"):
    application_id = application_id or _community_application(world)["application_id"]
    path = f"{COMMUNITY}/applications/{application_id}/actions"
    body = {"action": action, "reason": "the audit walk"}
    return world.call("POST", path, _community_office(world), json=body)


def _community_resubmit(world: World) -> requests.Response:
    application_id = _community_application(world)["application_id"]
    world.ok(_community_act(world, application_id, "accept"))
    world.ok(_community_act(world, application_id, "return"))
    path = f"{COMMUNITY}/me/applications/{application_id}/resubmit"
    return world.as_resident("POST", path, json={"note": "signed copy attached"})


def _community_unit_read(world: World, document: bool = False) -> requests.Response:
    application = _community_application(world)
    path = f"{COMMUNITY}/applications/{application['application_id']}"
    if document:
        path += f"/documents/{application['document_ids'][0]}"
    return world.call("GET", path, _community_office(world))


def _community_my_document(world: World) -> requests.Response:
    document_id = world.ok(_community_upload(world), 201)["document_id"]
    return world.as_resident("GET", f"{COMMUNITY}/me/documents/{document_id}")


def _community_my_application(world: World) -> requests.Response:
    application_id = _community_application(world)["application_id"]
    return world.as_resident("GET", f"{COMMUNITY}/me/applications/{application_id}")


def _community_queue(world: World) -> requests.Response:
    _community_application(world)
    return world.call("GET", f"{COMMUNITY}/applications", _community_office(world))


def _community_report_incident(world: World) -> requests.Response:
    grid = world.stack.client("department", "community", scopes=("community.grid",))
    ring = [[123.40, 41.79], [123.42, 41.79], [123.42, 41.81], [123.40, 41.81], [123.40, 41.79]]
    cell = {
        "name": "Zhongshan Square",
        "district": "Heping",
        "polygon": {"type": "Polygon", "coordinates": [ring]},
        "grid_worker": "grid-heping-01",
    }
    world.ok(world.call("PUT", f"{COMMUNITY}/grid/cells/AUDIT-1", grid, json=cell))
    body = {
        "category": "facilities_repair",
        "lon": 123.41,
        "lat": 41.80,
        "description": "street lamp out",
    }
    return world.as_resident("POST", f"{COMMUNITY}/me/incidents", json=body)


EXERCISES: dict[str, Callable[[World], requests.Response]] = {
    "community_upload_document": _community_upload,
    "community_my_document": _community_my_document,
    "community_apply": _community_apply,
    "community_my_applications": lambda w: w.as_resident("GET", f"{COMMUNITY}/me/applications"),
    "community_my_application": _community_my_application,
    "community_resubmit": _community_resubmit,
    "community_report_incident": _community_report_incident,
    "community_my_incidents": lambda w: w.as_resident("GET", f"{COMMUNITY}/me/incidents"),
    "community_queue": _community_queue,
    "community_application": _community_unit_read,
    "community_application_document": lambda w: _community_unit_read(w, document=True),
    "community_act": _community_act,
}
