"""The resident's access log is complete: every route of the OpenAPI spec that touches personal
data (``x-personal-data``: declared on the route, or implied by its access rule, see
``gateway.access.PERSONAL_DATA_SCOPES``) is exercised for resident A, and A's
``/api/v1/me/access-log`` must then hold an entry carrying that very request's id.

The spec drives the walk: a personal-data route added without an exercise here fails the test
(add one), and one that does not audit fails it too (audit it).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
import requests
from gateway_samples import LI_LEI
from helpers import wait_for

from gateway.openapi import openapi_document
from gateway.service import GatewayService
from services.community.service import CommunityService
from services.credit.service import CreditService
from services.platform.service import PlatformService
from services.tourism.service import TourismService
from services.traffic.service import TrafficService

TODAY = date.today()
LOT = {
    "lot_id": "AUDIT-P1",
    "name": "Zhongshan Square car park",
    "lat": 41.7922,
    "lon": 123.4187,
    "capacity": 50,
    "price_per_hour": "4.00",
    "operator_credit_code": "91110000600037341L",
}


def personal_data_operations() -> list[tuple[str, str, str]]:
    """``(operationId, METHOD, path)`` of every operation the spec marks as personal data."""
    document = openapi_document(GatewayService)
    return sorted(
        (operation["operationId"], method.upper(), path)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if operation["x-personal-data"]
    )


class World:
    """Resident A, the departments that handle A's data, and what the exercises need."""

    def __init__(self, stack):
        self.stack = stack
        self.card, self.token = stack.resident(LI_LEI)
        self.traffic = stack.client(
            "department",
            "traffic",
            scopes=("credit.records", "credit.objections", "traffic.parking"),
        )
        self.health = stack.client(
            "department",
            "health",
            scopes=(
                "credit.check",
                "registry.population",
                "registry.housing",
                "registry.housing.write",
                "audit.read",
            ),
        )
        self._serial = itertools.count(1)
        self.ok(self.call("POST", "/api/v1/traffic/parking/lots", self.traffic, json=LOT), 201)

    def call(self, method: str, path: str, key: str | None, **kwargs) -> requests.Response:
        return self.stack.call(method, path, key, **kwargs)

    @staticmethod
    def ok(response: requests.Response, status: int = 200) -> dict:
        assert response.status_code == status, response.text
        return response.json()

    def as_resident(self, method: str, path: str, **kwargs) -> requests.Response:
        return self.call(method, path, self.token, **kwargs)

    def post_record(self, **overrides) -> requests.Response:
        body = {
            "subject_type": "individual",
            "subject_id": self.card,
            "source_record_id": f"AUDIT-{next(self._serial)}",
            "category": "administrative_penalty",
            "polarity": "negative",
            "severity": "minor",
            "basis": "Decision 2026-17",
            "decided_on": (TODAY - timedelta(days=10)).isoformat(),
            "valid_until": (TODAY + timedelta(days=700)).isoformat(),
            **overrides,
        }
        return self.call("POST", "/api/v1/credit/records", self.traffic, json=body)

    def record_id(self) -> str:
        return self.ok(self.post_record(), 201)["record_id"]

    def objection_id(self) -> str:
        body = {"record_id": self.record_id(), "reason": "not my car"}
        return self.ok(self.as_resident("POST", "/api/v1/credit/me/objections", json=body), 201)[
            "objection_id"
        ]

    def check(self) -> requests.Response:
        body = {"subject_type": "individual", "subject_id": LI_LEI, "purpose": "subsidy"}
        return self.call("POST", "/api/v1/credit/checks", self.health, json=body)

    def housing(self) -> requests.Response:
        body = {
            "address": f"{next(self._serial)} Zhongshan Road",
            "district": "Heping",
            "owner_card_number": self.card,
        }
        return self.call("POST", "/api/v1/registry/housing", self.health, json=body)

    def reserve(self, starts_in: timedelta = timedelta(hours=1)) -> requests.Response:
        starts = datetime.now(UTC).replace(microsecond=0) + starts_in
        body = {
            "lot_id": LOT["lot_id"],
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=1)).isoformat(),
        }
        return self.as_resident("POST", "/api/v1/traffic/parking/reservations", json=body)

    def reservation_id(self, starts_in: timedelta = timedelta(hours=1)) -> str:
        return self.ok(self.reserve(starts_in), 201)["reservation_id"]


def lookup(world: World, identifier: str) -> requests.Response:
    return world.call(
        "POST", "/api/v1/registry/residents/lookup", world.health, json={"identifier": identifier}
    )


def _department_log(world: World) -> requests.Response:
    # Health has read A's record first, so its own log lists A's card.
    world.ok(lookup(world, world.card))
    return world.call("GET", "/api/v1/audit/access-log", world.health)


def _feedback(world: World) -> requests.Response:
    check_id = world.ok(world.check())["check_id"]
    body = {"action_taken": "withdrawn"}
    return world.call("POST", f"/api/v1/credit/checks/{check_id}/feedback", world.health, json=body)


def _objections(world: World) -> requests.Response:
    world.objection_id()
    return world.call("GET", "/api/v1/credit/objections", world.traffic)


def _decision(world: World) -> requests.Response:
    path = f"/api/v1/credit/objections/{world.objection_id()}/decision"
    body = {"decision": "uphold", "note": "the camera shows the car"}
    return world.call("POST", path, world.traffic, json=body)


def _repair(world: World) -> requests.Response:
    path = f"/api/v1/credit/records/{world.record_id()}/repair"
    return world.call("POST", path, world.traffic, json={"note": "the fine was paid"})


def _file_objection(world: World) -> requests.Response:
    body = {"record_id": world.record_id(), "reason": "I was not there"}
    return world.as_resident("POST", "/api/v1/credit/me/objections", json=body)


def _get_housing(world: World) -> requests.Response:
    housing_id = world.ok(world.housing(), 201)["housing_id"]
    return world.call("GET", f"/api/v1/registry/housing/{housing_id}", world.health)


def _cancel(world: World) -> requests.Response:
    path = f"/api/v1/traffic/parking/reservations/{world.reservation_id()}/cancel"
    return world.as_resident("POST", path)


def _check_in(world: World) -> requests.Response:
    reservation = world.reservation_id(starts_in=timedelta(minutes=5))
    return world.as_resident("POST", f"/api/v1/traffic/parking/reservations/{reservation}/check-in")


TOURIST_VENUE = {
    "venue_id": "AUDIT-PALACE",
    "name": "Mukden Palace",
    "category": "scenic_spot",
    "lat": 41.7968,
    "lon": 123.4510,
    "opens_at": "08:30",
    "closes_at": "17:00",
    "daily_capacity": 100,
    "price": "50.00",
    "operator_credit_code": "91110000600037341L",
}


def _tourist_ticket(world: World) -> requests.Response:
    """A ticket of A's for tomorrow (the venue registered once, A's card requested)."""
    if not getattr(world, "tourist_venue", None):
        office = world.stack.client("department", "tourism", scopes=("tourism.venues",))
        world.ok(world.call("POST", "/api/v1/tourism/venues", office, json=TOURIST_VENUE), 201)
        world.ok(world.as_resident("POST", "/api/v1/tourism/me"))
        world.tourist_venue = TOURIST_VENUE["venue_id"]
    body = {
        "venue_id": world.tourist_venue,
        "visit_date": (TODAY + timedelta(days=1)).isoformat(),
        "visitors": 1,
    }
    return world.as_resident("POST", "/api/v1/tourism/me/tickets", json=body)


def _my_tourist_card(world: World) -> requests.Response:
    world.ok(world.as_resident("POST", "/api/v1/tourism/me"))
    return world.as_resident("GET", "/api/v1/tourism/me")


def _tourist_ticket_id(world: World) -> str:
    return world.ok(_tourist_ticket(world), 201)["ticket_id"]


# --- community: an unemployment registration filed by A, handled by human resources -----------

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
    "department_access_log": _department_log,
    "check_credit": World.check,
    "credit_check_feedback": _feedback,
    "file_credit_objection": _file_objection,
    "my_credit_report": lambda w: w.as_resident("GET", "/api/v1/credit/me/report"),
    "credit_objections": _objections,
    "resolve_credit_objection": _decision,
    # By ID number, with A's own card beside it: the registry agrees.
    "add_credit_record": lambda w: w.post_record(subject_id=LI_LEI, card_number=w.card),
    "repair_credit_record": _repair,
    "me": lambda w: w.as_resident("GET", "/api/v1/me"),
    "my_access_log": lambda w: w.as_resident("GET", "/api/v1/me/access-log"),
    "my_housing": lambda w: w.as_resident("GET", "/api/v1/me/housing"),
    "register_housing": World.housing,
    "get_housing": _get_housing,
    "lookup_resident": lambda w: lookup(w, LI_LEI),
    "traffic_my_reservations": lambda w: w.as_resident(
        "GET", "/api/v1/traffic/parking/reservations"
    ),
    "traffic_reserve": World.reserve,
    "traffic_cancel_reservation": _cancel,
    "traffic_check_in": _check_in,
    "tourism_request_card": lambda w: w.as_resident("POST", "/api/v1/tourism/me"),
    "tourism_my_card": _my_tourist_card,
    "tourism_book": _tourist_ticket,
    "tourism_my_tickets": lambda w: w.as_resident("GET", "/api/v1/tourism/me/tickets"),
    "tourism_ticket_qr": lambda w: w.as_resident(
        "GET", f"/api/v1/tourism/me/tickets/{_tourist_ticket_id(w)}/qr"
    ),
    "tourism_cancel_ticket": lambda w: w.as_resident(
        "POST", f"/api/v1/tourism/me/tickets/{_tourist_ticket_id(w)}/cancel"
    ),
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


@pytest.fixture
def world(stack_factory) -> World:
    stack = stack_factory(
        (PlatformService, CreditService, TrafficService, TourismService, CommunityService),
        RATE_LIMIT_PER_CLIENT=100_000,
        RATE_LIMIT_PER_IP=100_000,
    )
    return World(stack)


def test_every_personal_data_route_exercised_for_a_lands_in_as_access_log(world):
    operations = personal_data_operations()
    unexercised = sorted(op for op, _, _ in operations if op not in EXERCISES)
    assert unexercised == [], f"personal-data routes without an exercise here: {unexercised}"
    assert {op for op, _, _ in operations} == set(EXERCISES), "an exercise of a removed route"

    missing = []
    for operation_id, method, path in operations:
        response = EXERCISES[operation_id](world)
        assert response.status_code < 300, f"{method} {path}: {response.text}"
        request_id = response.headers["X-Request-Id"]

        def logged(request_id: str = request_id) -> list[dict]:
            log = world.as_resident("GET", "/api/v1/me/access-log", params={"limit": 200})
            return [e for e in world.ok(log)["items"] if e["request_id"] == request_id]

        try:
            wait_for(logged, timeout=10, interval=0.2)
        except pytest.fail.Exception:
            missing.append(f"{method} {path} ({operation_id})")
    assert missing == [], f"accesses to A's data missing from A's access log: {missing}"


def test_the_walk_covers_the_five_accesses_that_once_went_unlogged():
    operations = {op for op, _, _ in personal_data_operations()}
    assert {
        "credit_objections",
        "add_credit_record",
        "resolve_credit_objection",
        "repair_credit_record",
        "department_access_log",
    } <= operations
