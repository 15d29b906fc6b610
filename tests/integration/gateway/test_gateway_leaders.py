"""The leaders' indicators over real HTTP, with the platform, credit, health and tourism
services behind the gateway: every indicator reflects data created through the API, only the
city-overview roles may read them, and a stopped service costs only its own indicator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from gateway_samples import LI_LEI
from health_world import HealthWorld
from helpers import wait_for

from gateway.openapi import touches_personal_data
from gateway.service import GatewayService
from services.credit.service import CreditService
from services.health.service import HealthService
from services.platform.service import PlatformService
from services.tourism.service import TourismService
from shared.clock import city_today
from shared.contracts.leaders import Indicators

INDICATORS = "/api/v1/leaders/indicators"
BLACK_LISTED = "91210100MA0P5L3K2T"
REPAIRED = "91210102MA0Y8E1T4P"
VENUE_OPERATOR = "91110000600037341L"
PALACE = {
    "venue_id": "PALACE",
    "name": "Mukden Palace",
    "category": "scenic_spot",
    "lat": 41.7968,
    "lon": 123.4510,
    "opens_at": "00:00",
    "closes_at": "23:59",
    "daily_capacity": 500,
    "price": "50.00",
    "operator_credit_code": VENUE_OPERATOR,
}


@pytest.fixture
def stack(stack_factory, monkeypatch):
    monkeypatch.setenv("TOURISM_TICKET_SECRET", "gateway-leaders-test-secret-0123456789abcdef")
    return stack_factory(
        (PlatformService, CreditService, HealthService, TourismService),
        RATE_LIMIT_PER_CLIENT=100_000,
        RATE_LIMIT_PER_IP=100_000,
    )


def severe_penalty(credit_code: str, source_id: str) -> dict:
    today = city_today()
    return {
        "subject_type": "enterprise",
        "subject_id": credit_code,
        "source_record_id": source_id,
        "category": "administrative_penalty",
        "polarity": "negative",
        "severity": "severe",
        "basis": "Decision 2026-17",
        "decided_on": (today - timedelta(days=3)).isoformat(),
        "valid_until": (today + timedelta(days=700)).isoformat(),
    }


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


def test_the_route_is_not_personal_data():
    spec = GatewayService.leaders_indicators.route_spec
    assert not touches_personal_data(spec)


def test_indicators_reflect_real_data_and_survive_a_stopped_service(stack, event_tap):
    credit_events = event_tap("credit.*")
    leadership = stack.client("leadership")
    operator = stack.client("operator")
    department = stack.client("department", "traffic", scopes=("credit.records",))
    _, resident = stack.resident(LI_LEI)

    # --- who may read them --------------------------------------------------------------------
    assert stack.call("GET", INDICATORS).status_code == 401
    for caller in (resident, department):
        refused = stack.call("GET", INDICATORS, caller)
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"] == "forbidden"
    assert stack.call("GET", INDICATORS, operator).status_code == 200

    # --- credit: two enterprises black-listed today, one of them repaired off again -----------
    ok(
        stack.call(
            "POST", "/api/v1/credit/records", department, json=severe_penalty(BLACK_LISTED, "L-1")
        ),
        201,
    )
    repaired = ok(
        stack.call(
            "POST", "/api/v1/credit/records", department, json=severe_penalty(REPAIRED, "L-2")
        ),
        201,
    )
    ok(
        stack.call(
            "POST",
            f"/api/v1/credit/records/{repaired['record_id']}/repair",
            department,
            json={"note": "fine paid, rectified"},
        )
    )

    # --- health: an emergency and a routine consultation open, an urgent one cancelled --------
    world = HealthWorld(stack)
    hospital = world.institution("hosp-1")
    card, _ = stack.resident("21010219900318123X", name="Han Meimei", phone="13912345678")
    patient_id = world.register_patient(hospital, card)
    consultations = "/api/v1/health/consultations"
    for urgency in ("emergency", "routine", "urgent"):
        asked = {
            "patient_id": patient_id,
            "specialty": "cardiology",
            "urgency": urgency,
            "question": f"{urgency}: chest pain, advise",
        }
        opened = ok(stack.call("POST", consultations, hospital, json=asked), 201)
    cancel = f"{consultations}/{opened['consultation_id']}/cancel"
    ok(stack.call("POST", cancel, world.centre))

    # --- tourism: a venue, and a resident's booking for three today ---------------------------
    office = stack.client("department", "tourism", scopes=("tourism.venues",))
    ok(stack.call("POST", "/api/v1/tourism/venues", office, json=PALACE), 201)
    wait_for(lambda: stack.call("GET", "/api/v1/tourism/me", resident).status_code == 200)
    booking = {"venue_id": "PALACE", "visit_date": city_today().isoformat(), "visitors": 3}
    ok(stack.call("POST", "/api/v1/tourism/me/tickets", resident, json=booking), 201)

    # --- the indicators -----------------------------------------------------------------------
    seen_credit_events: list[dict] = []

    def settled() -> dict | None:
        """The indicators once the platform has logged every credit event the broker carried."""
        seen_credit_events.extend(credit_events.rest(settle=0.2))
        body = ok(stack.call("GET", INDICATORS, leadership))
        sources = {s["source"]: s for s in body["event_throughput"]["data"]["sources"]}
        logged = sources.get("credit", {}).get("total", 0)
        return body if seen_credit_events and logged == len(seen_credit_events) else None

    body = wait_for(settled, timeout=20)
    assert Indicators().validate(body) == {}
    assert {body[name]["status"] for name in ("consultations", "tourism", "credit_lists")} == {"ok"}

    backlog = body["consultations"]["data"]
    by_urgency = {item["urgency"]: item for item in backlog["urgencies"]}
    assert {u: (i["open"], i["overdue"]) for u, i in by_urgency.items()} == {
        "routine": (1, 0),
        "urgent": (0, 0),
        "emergency": (1, 0),
    }
    assert (backlog["open"], backlog["overdue"]) == (2, 0)
    # Two hours on, the emergency consultation (1 h limit) is overdue, the routine one not.
    later = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    with stack.rpc("health") as cluster:
        ahead = cluster.health.consultation_backlog(later)
    assert (ahead["open"], ahead["overdue"]) == (2, 1)

    tourism = body["tourism"]["data"]
    assert tourism["today"] == city_today().isoformat()
    assert len(tourism["ticket_sales"]) == 7
    assert tourism["ticket_sales"][-1] == {
        "date": city_today().isoformat(),
        "tickets": 1,
        "visitors": 3,
    }
    assert sum(day["tickets"] for day in tourism["ticket_sales"]) == 1
    [palace] = tourism["venues"]
    assert palace["venue_id"] == "PALACE"
    assert (palace["booked_today"], palace["capacity_today"]) == (3, 500)
    assert palace["load_rate"] == pytest.approx(3 / 500)

    lists = body["credit_lists"]["data"]
    assert len(lists["days"]) == 30 and lists["to"] == city_today().isoformat()
    today = lists["days"][-1]
    assert (today["black_added"], today["black_removed"]) == (2, 1)
    assert (today["red_added"], today["red_removed"]) == (0, 0)
    assert sum(day["black_added"] for day in lists["days"]) == 2

    throughput = body["event_throughput"]["data"]
    assert len(throughput["hours"]) == 24
    sources = {s["source"]: s for s in throughput["sources"]}
    credit_types = {event["type"] for event in seen_credit_events}
    assert {"credit.record_added", "credit.list_changed"} <= credit_types
    # All within this hour (or the one before, had the test crossed an hour's start).
    assert sum(sources["credit"]["counts"][-2:]) == sources["credit"]["total"]
    assert {"platform", "health", "tourism"} <= set(sources)
    assert all(s["total"] == sum(s["counts"]) for s in throughput["sources"])
    assert "Han Meimei" not in str(body) and card not in str(body)

    # --- a stopped service: its indicator is unavailable, the page still answers --------------
    stack.runners["health"].stop()
    without_health = ok(stack.call("GET", INDICATORS, leadership))
    assert without_health["consultations"] == {
        "status": "unavailable",
        "source": "health",
        "reason": without_health["consultations"]["reason"],
        "data": None,
    }
    assert "health" in without_health["consultations"]["reason"]
    assert without_health["tourism"]["status"] == "ok"
    assert without_health["credit_lists"]["data"] == lists
    assert Indicators().validate(without_health) == {}
