"""The remote consultation centre and supervision over real HTTP: the consultation workflow
with its illegal transitions (409 naming the state), time limits and the overdue list; and
statistics that suppress small cells, with the institutions' ratings inputs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from health_world import HealthWorld, condition, id_number

from services.health.service import HealthService
from services.platform.service import PlatformService

CONSULTATIONS = "/api/v1/health/consultations"


@pytest.fixture
def world(stack_factory) -> HealthWorld:
    return HealthWorld(
        stack_factory(
            (PlatformService, HealthService),
            RATE_LIMIT_PER_CLIENT=100_000,
            RATE_LIMIT_PER_IP=100_000,
        )
    )


def test_consultations_and_statistics(world: HealthWorld):
    stack = world.stack
    h1, h2, h3 = (world.institution(unit) for unit in ("hosp-1", "hosp-2", "hosp-3"))
    cards = [
        stack.resident(id_number(n), name=f"Resident {n}", phone=f"138000000{n:02d}")[0]
        for n in range(1, 8)
    ]
    patients = [
        world.register_patient(h1, card, gender="male" if n == 6 else "female")
        for n, card in enumerate(cards)
    ]
    for n, patient_id in enumerate(patients):
        world.create(h1, condition(patient_id, code="J45" if n >= 5 else "E11"))

    # --- the consultation workflow -------------------------------------------------------------
    def act(key: str, consultation_id: str, action: str, body: dict | None = None):
        return stack.call("POST", f"{CONSULTATIONS}/{consultation_id}/{action}", key, json=body)

    ask = {
        "patient_id": patients[0],
        "specialty": "cardiology",
        "urgency": "emergency",
        "question": "ST elevation on ECG, advise on thrombolysis",
    }
    requested = world.ok(stack.call("POST", CONSULTATIONS, h1, json=ask), 201)
    consultation_id = requested["consultation_id"]
    assert requested["state"] == "requested" and requested["overdue"] is False
    due = datetime.fromisoformat(requested["due_at"])
    assert due - datetime.fromisoformat(requested["requested_at"]) == timedelta(hours=1)

    illegal = act(h1, consultation_id, "close")
    assert illegal.status_code == 409, illegal.text
    assert "requested" in illegal.json()["message"] and illegal.json()["fields"]["state"] == [
        "requested"
    ]
    assert act(h1, consultation_id, "answer", {"answer": "nobody asked me"}).status_code == 403
    assign = {"organization_id": "hosp-2", "specialist": "Dr Wang (cardiology)"}
    assert world.ok(act(world.centre, consultation_id, "assign", assign))["state"] == "assigned"
    again = act(world.centre, consultation_id, "assign", assign)
    assert again.status_code == 409 and again.json()["fields"]["state"] == ["assigned"]

    later = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    overdue = world.ok(
        stack.call("GET", f"{CONSULTATIONS}/overdue", world.centre, params={"as_of": later})
    )
    assert [c["consultation_id"] for c in overdue["items"]] == [consultation_id]
    now = world.ok(stack.call("GET", f"{CONSULTATIONS}/overdue", world.centre))
    assert now["items"] == []
    assert stack.call("GET", f"{CONSULTATIONS}/overdue", h1).status_code == 403

    assert world.ok(stack.call("GET", f"{CONSULTATIONS}/{consultation_id}", h2))["specialist"]
    assert stack.call("GET", f"{CONSULTATIONS}/{consultation_id}", h3).status_code == 404
    answered = world.ok(
        act(h2, consultation_id, "answer", {"answer": "Thrombolyse now; transfer."})
    )
    assert answered["state"] == "answered" and answered["answered_at"]
    assert world.ok(act(h1, consultation_id, "close"))["state"] == "closed"
    cancelled_late = act(h1, consultation_id, "cancel")
    assert cancelled_late.status_code == 409 and cancelled_late.json()["fields"]["state"] == [
        "closed"
    ]

    # Another hospital asks about a patient it may not read: only by break-glass.
    ask_h2 = {**ask, "urgency": "routine", "question": "second opinion on asthma plan"}
    assert stack.call("POST", CONSULTATIONS, h2, json=ask_h2).status_code == 404
    urgent = stack.call(
        "POST", CONSULTATIONS, h2, json=ask_h2, headers={"X-Break-Glass": "ICU admission"}
    )
    second = world.ok(urgent, 201)
    assert world.ok(act(world.centre, second["consultation_id"], "cancel"))["state"] == "cancelled"
    bad = stack.call("POST", CONSULTATIONS, h1, json={**ask, "urgency": "whenever"})
    assert bad.status_code == 400 and "urgency" in bad.json()["fields"]

    # --- statistics: cells under 5 are suppressed, and the answer says so ----------------------
    def statistics(dimension: str, **params) -> dict:
        query = {"dimension": dimension, **params}
        return world.ok(
            stack.call("GET", "/api/v1/health/statistics", world.supervisor, params=query)
        )

    by_condition = statistics("condition")
    cells = {cell["value"]: cell for cell in by_condition["cells"]}
    assert cells["E11"] == {"value": "E11", "count": 5, "suppressed": False}
    assert cells["J45"] == {"value": "J45", "count": None, "suppressed": True}
    assert by_condition["suppressed_cells"] == 1 and by_condition["suppression_threshold"] == 5
    assert "suppressed" in by_condition["note"]
    by_sex = {cell["value"]: cell["count"] for cell in statistics("sex")["cells"]}
    assert by_sex == {"female": 6, "male": None}
    assert {c["value"]: c["count"] for c in statistics("district", code="E11")["cells"]} == {
        "Heping": 5
    }
    assert {c["value"]: c["count"] for c in statistics("month")["cells"]} == {"2026-02": 7}
    assert all(cell["suppressed"] for cell in statistics("age_band", code="J45")["cells"])
    institutions = {c["value"]: c["count"] for c in statistics("institution")["cells"]}
    assert institutions == {"hosp-1": 14}
    refused = stack.call("GET", "/api/v1/health/statistics", h1, params={"dimension": "sex"})
    assert refused.status_code == 403

    ratings = world.ok(stack.call("GET", "/api/v1/health/ratings", world.supervisor))["items"]
    by_org = {item["organization_id"]: item for item in ratings}
    assert by_org["hosp-1"]["records"] == 7 and by_org["hosp-1"]["completeness"] == 1.0
    assert by_org["hosp-2"]["consultations_answered"] == 1
    assert by_org["hosp-2"]["mean_response_minutes"] is not None
