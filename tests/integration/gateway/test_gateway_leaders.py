"""The leaders' indicators over real HTTP, with the platform, credit, health and tourism
services behind the gateway: every indicator reflects data created through the API, only the
city-overview roles may read them, and a stopped service costs only its own indicator."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pika
import pytest
from gateway_samples import LI_LEI, PALACE
from health_world import HealthWorld
from helpers import pika_url, wait_for
from openapi_schema_validator import OAS30Validator
from sqlalchemy import update
from sqlalchemy.orm import Session

from gateway.openapi import touches_personal_data
from gateway.service import GatewayService
from services.community.models import Application
from services.community.service import CommunityService
from services.credit.service import CreditService
from services.health.service import HealthService
from services.platform.service import PlatformService
from services.tourism.service import TourismService
from services.traffic.service import TrafficService
from shared.clock import city_today
from shared.contracts.envelope import EVENTS_EXCHANGE
from shared.contracts.leaders import Indicators
from shared.db import make_engine

INDICATORS = "/api/v1/leaders/indicators"
BLACK_LISTED = "91210100MA0P5L3K2T"
REPAIRED = "91210102MA0Y8E1T4P"
VENUE_OPERATOR = "91110000600037341L"


AFFAIR = "unemployment-registration"
UNEMPLOYMENT = {"last_employer": "Shenyang Tractor Works", "employment_ended_on": "2026-10-30"}
PDF = b"%PDF-1.7\n" + b"1 0 obj\n" * 8


@pytest.fixture
def stack(stack_factory, service_config, runner_factory, tmp_path, monkeypatch):
    monkeypatch.setenv("TOURISM_TICKET_SECRET", "gateway-leaders-test-secret-0123456789abcdef")
    stack = stack_factory(
        (PlatformService, CreditService, HealthService, TourismService, TrafficService),
        RATE_LIMIT_PER_CLIENT=100_000,
        RATE_LIMIT_PER_IP=100_000,
    )
    config = service_config("community", COMMUNITY_DOCUMENTS_DIR=str(tmp_path / "documents"))
    stack.configs["community"] = config
    stack.runners["community"] = runner_factory(config, CommunityService)
    stack.runners["community"].start()
    return stack


def unemployment_application(stack, token: str) -> str:
    """A resident files an unemployment registration with its certificate: its id."""
    document = ok(
        stack.call(
            "POST",
            "/api/v1/community/me/documents",
            token,
            params={"kind": "termination_certificate"},
            data=PDF,
            headers={"Content-Type": "application/pdf"},
        ),
        201,
    )["document_id"]
    body = {"affair_code": AFFAIR, "form": UNEMPLOYMENT, "document_ids": [document]}
    filed = stack.call("POST", "/api/v1/community/me/applications", token, json=body)
    return ok(filed, 201)["application_id"]


def decide(stack, office: str, application_id: str) -> None:
    for action in ("accept", "review", "approve"):
        body = {"action": action} | ({"reason": "checked"} if action == "approve" else {})
        path = f"/api/v1/community/applications/{application_id}/actions"
        ok(stack.call("POST", path, office, json=body))


def limits_ran_out(stack, *application_ids: str) -> None:
    """The clock moved on: these applications' due day is long past (no API moves a clock)."""
    engine = make_engine(stack.configs["community"]["DATABASE_URLS"]["community"])
    with Session(engine) as session:
        session.execute(
            update(Application)
            .where(Application.id.in_(application_ids))
            .values(due_on=date(2020, 1, 6))
        )
        session.commit()
    engine.dispose()


def parking_lot(lot_id: str, capacity: int, district: str) -> dict:
    return {
        "lot_id": lot_id,
        "name": f"Lot {lot_id}",
        "lat": 41.80,
        "lon": 123.43,
        "capacity": capacity,
        "price_per_hour": "3.50",
        "operator_credit_code": VENUE_OPERATOR,
        "district": district,
    }


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


def on_spec(stack, body: dict) -> bool:
    """The body fits the response schema the gateway's own OpenAPI document declares."""
    spec = ok(stack.call("GET", "/api/openapi.json"))

    def inline(node):
        if isinstance(node, dict):
            if "$ref" in node:
                return inline(spec["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]])
            return {key: inline(value) for key, value in node.items()}
        return [inline(item) for item in node] if isinstance(node, list) else node

    operation = spec["paths"][INDICATORS]["get"]
    schema = inline(operation["responses"]["200"]["content"]["application/json"]["schema"])
    OAS30Validator(schema).validate(body)
    return True


def test_the_route_is_not_personal_data():
    spec = GatewayService.leaders_indicators.route_spec
    assert not touches_personal_data(spec)


def test_indicators_reflect_real_data_and_survive_a_stopped_service(
    stack, event_tap, rabbit_config
):
    amqp_uri = rabbit_config["AMQP_URI"]
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

    # --- community: two decided (one of them late), one open past its limit, one fresh -------
    hr_office = stack.client(
        "department", "community", scopes=("community.affairs",), unit="human-resources"
    )
    in_time, late, overdue, fresh = (unemployment_application(stack, resident) for _ in range(4))
    limits_ran_out(stack, late, overdue)
    decide(stack, hr_office, in_time)
    decide(stack, hr_office, late)

    # --- traffic: two lots in Heping, one in Shenhe, with sensor counts -----------------------
    parking = stack.client("department", "traffic", scopes=("traffic.parking",))
    for lot_id, capacity, district, occupied in (
        ("H1", 50, "Heping", 25),
        ("H2", 30, "Heping", 15),
        ("S1", 40, "Shenhe", 10),
    ):
        lot = parking_lot(lot_id, capacity, district)
        ok(stack.call("POST", "/api/v1/traffic/parking/lots", parking, json=lot), 201)
        path = f"/api/v1/traffic/parking/lots/{lot_id}/occupancy"
        ok(stack.call("PUT", path, parking, json={"occupied": occupied}))

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

    # --- a message nobody can decode: credit (and the platform's '#') dead-letter it ----------
    connection = pika.BlockingConnection(pika.URLParameters(pika_url(amqp_uri)))
    channel = connection.channel()
    channel.confirm_delivery()
    channel.basic_publish(
        EVENTS_EXCHANGE,
        "traffic.administrative_penalty_issued",
        b"not json",
        pika.BasicProperties(content_type="application/json", delivery_mode=2),
    )
    connection.close()

    # --- the indicators -----------------------------------------------------------------------
    seen_credit_events: list[dict] = []

    def settled() -> dict | None:
        """The indicators once the platform has logged every credit event the broker carried."""
        seen_credit_events.extend(credit_events.rest(settle=0.2))
        body = ok(stack.call("GET", INDICATORS, leadership))
        sources = {s["source"]: s for s in body["event_throughput"]["data"]["sources"]}
        logged = sources.get("credit", {}).get("total", 0)
        dead = body["dead_letters"]["data"]["total"]
        return body if logged == len(seen_credit_events) and dead == 2 else None

    body = wait_for(settled, timeout=20)
    assert Indicators().validate(body) == {} and on_spec(stack, body)
    assert {body[name]["status"] for name in (set(Indicators().fields) - {"as_of"})} == {"ok"}

    [unemployment] = [a for a in body["time_limits"]["data"]["affairs"] if a["affair"] == AFFAIR]
    assert unemployment["department"] == "human-resources"
    assert (unemployment["decided"], unemployment["decided_within_limit"]) == (2, 1)
    assert (unemployment["open"], unemployment["open_overdue"]) == (2, 1)
    assert unemployment["within_limit_rate"] == pytest.approx(0.5)
    districts = {d["district"]: d for d in body["parking"]["data"]["districts"]}
    assert set(districts) == {"Heping", "Shenhe"}
    assert (districts["Heping"]["capacity"], districts["Heping"]["occupied"]) == (80, 40)
    assert districts["Heping"]["occupancy_rate"] == pytest.approx(0.5)
    assert districts["Shenhe"]["occupancy_rate"] == pytest.approx(0.25)

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

    dead = {row["service"]: row["dead_letters"] for row in body["dead_letters"]["data"]["services"]}
    assert (dead["credit"], dead["platform"]) == (1, 1)
    assert {dead[name] for name in dead if name not in ("credit", "platform")} <= {0, None}
    assert body["dead_letters"]["source"] == "broker"

    throughput = body["event_throughput"]["data"]
    assert len(throughput["hours"]) == 24
    sources = {s["source"]: s for s in throughput["sources"]}
    credit_types = {event["type"] for event in seen_credit_events}
    assert {"credit.record_added", "credit.list_changed"} <= credit_types
    # All within this hour (or the one before, had the test crossed an hour's start).
    assert sum(sources["credit"]["counts"][-2:]) == sources["credit"]["total"]
    assert {"platform", "health", "tourism"} <= set(sources)
    assert all(s["total"] == sum(s["counts"]) for s in throughput["sources"])
    text = str(body)
    assert "Han Meimei" not in text and card not in text and LI_LEI not in text
    assert all(application_id not in text for application_id in (in_time, late, overdue, fresh))

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
    assert {
        name
        for name, value in without_health.items()
        if name != "as_of" and value["status"] == "ok"
    } == set(Indicators().fields) - {"as_of", "consultations"}
    assert without_health["credit_lists"]["data"] == lists
    assert Indicators().validate(without_health) == {} and on_spec(stack, without_health)
