"""The resident's access log is complete: every route of the OpenAPI spec that touches personal
data (``x-personal-data``: declared on the route, or implied by its access rule, see
``gateway.access.PERSONAL_DATA_SCOPES``) is exercised for resident A, and A's
``/api/v1/me/access-log`` must then hold an entry carrying that very request's id.

The spec drives the walk: a personal-data route added without an exercise here fails the test
(add one), and one that does not audit fails it too (audit it).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import access_log_community
import access_log_education
import access_log_health
import access_log_tourism
import pytest
import requests
from access_log_world import World
from gateway_samples import LI_LEI
from helpers import wait_for

from gateway.openapi import openapi_document
from gateway.service import GatewayService
from services.credit.service import CreditService
from services.platform.service import PlatformService
from services.traffic.service import TrafficService


def personal_data_operations() -> list[tuple[str, str, str]]:
    """``(operationId, METHOD, path)`` of every operation the spec marks as personal data."""
    document = openapi_document(GatewayService)
    return sorted(
        (operation["operationId"], method.upper(), path)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if operation["x-personal-data"]
    )


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
    # Each area's exercises live beside its peers: access_log_<area>.py.
    **access_log_tourism.EXERCISES,
    **access_log_education.EXERCISES,
    **access_log_health.EXERCISES,
    **access_log_community.EXERCISES,
}

AREAS = (access_log_tourism, access_log_education, access_log_health, access_log_community)


@pytest.fixture
def world(stack_factory) -> World:
    services = (PlatformService, CreditService, TrafficService)
    stack = stack_factory(
        services + tuple(service for area in AREAS for service in area.SERVICES),
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
