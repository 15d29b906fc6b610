"""Access-log exercises of the health routes: A's hospital, FHIR face, consents, consultations."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import requests
from access_log_world import World

from services.health.service import HealthService

SERVICES = (HealthService,)


class _Health:
    """A's hospital (``audit-hosp``), the consultation centre, A's Patient and a consultation."""

    FHIR = "/api/v1/health/fhir"

    def __init__(self, world: World):
        self.world = world
        self.hospital = world.stack.client(
            "department", "health", scopes=("health.records",), unit="audit-hosp"
        )
        self.centre = world.stack.client("department", "health", scopes=("health.consultations",))
        patient = {
            "resourceType": "Patient",
            "identifier": [
                {"system": "https://id.shenyang.gov.cn/citizen-card", "value": world.card}
            ],
            "gender": "male",
        }
        self.patient_id = world.ok(self.fhir("POST", "Patient", json=patient), 201)["id"]

    def fhir(self, method: str, path: str, **kwargs) -> requests.Response:
        return self.world.call(method, f"{self.FHIR}/{path}", self.hospital, **kwargs)

    def observation(self) -> dict:
        body = {
            "resourceType": "Observation",
            "status": "final",
            "code": {"text": "blood pressure"},
            "subject": {"reference": f"Patient/{self.patient_id}"},
        }
        return self.world.ok(self.fhir("POST", "Observation", json=body), 201)

    def request_consultation(self) -> requests.Response:
        body = {
            "patient_id": self.patient_id,
            "specialty": "cardiology",
            "urgency": "urgent",
            "question": "chest pain at rest",
        }
        return self.world.call("POST", "/api/v1/health/consultations", self.hospital, json=body)

    def consultation(self, state: str = "requested") -> str:
        consultation_id = self.world.ok(self.request_consultation(), 201)["consultation_id"]
        steps = {"assigned": ("assign",), "answered": ("assign", "answer")}.get(state, ())
        for step in steps:
            key = self.centre if step == "assign" else self.hospital
            self.world.ok(self.act(consultation_id, step, key))
        return consultation_id

    def act(self, consultation_id: str, action: str, key: str | None = None) -> requests.Response:
        body = {
            "assign": {"organization_id": "audit-hosp", "specialist": "Dr Wang"},
            "answer": {"answer": "rule out infarction first"},
        }.get(action)
        path = f"/api/v1/health/consultations/{consultation_id}/{action}"
        return self.world.call("POST", path, key or self.hospital, json=body)


def _health(world: World) -> _Health:
    if "_health" not in world.__dict__:
        world.__dict__["_health"] = _Health(world)
    return world.__dict__["_health"]


def _fhir_transaction(world: World) -> requests.Response:
    health = _health(world)
    observation = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"text": "pulse"},
        "subject": {"reference": f"Patient/{health.patient_id}"},
    }
    entry = {"resource": observation, "request": {"method": "POST", "url": "Observation"}}
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [entry]}
    return world.call("POST", health.FHIR, health.hospital, json=bundle)


def _fhir_search(world: World) -> requests.Response:
    health = _health(world)
    health.observation()
    return health.fhir("GET", f"Observation?patient={health.patient_id}")


def _as_patient(world: World, method: str, path: str, **kwargs) -> requests.Response:
    """A, once a hospital has registered A as its patient."""
    _health(world)
    return world.as_resident(method, path, **kwargs)


def _fhir_update(world: World) -> requests.Response:
    health = _health(world)
    stored = health.observation()
    return health.fhir("PUT", f"Observation/{stored['id']}", json={**stored, "status": "amended"})


def _withdraw_consent(world: World) -> requests.Response:
    _health(world)
    grant = {"organization_id": "other-hosp"}
    consent = world.ok(world.as_resident("POST", "/api/v1/health/me/consents", json=grant), 201)
    return world.as_resident("POST", f"/api/v1/health/me/consents/{consent['id']}/withdraw")


def _overdue(world: World) -> requests.Response:
    health = _health(world)
    health.consultation()
    as_of = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    return world.call(
        "GET", "/api/v1/health/consultations/overdue", health.centre, params={"as_of": as_of}
    )


def _consultation_step(action: str, state: str, by_centre: bool = False):
    def exercise(world: World) -> requests.Response:
        health = _health(world)
        consultation_id = health.consultation(state)
        return health.act(consultation_id, action, health.centre if by_centre else None)

    return exercise


EXERCISES: dict[str, Callable[[World], requests.Response]] = {
    "fhir_create": lambda w: _health(w).fhir(
        "POST",
        "Condition",
        json={
            "resourceType": "Condition",
            "code": {"text": "hypertension"},
            "subject": {"reference": f"Patient/{_health(w).patient_id}"},
        },
    ),
    "fhir_read": lambda w: _health(w).fhir("GET", f"Patient/{_health(w).patient_id}"),
    "fhir_search": _fhir_search,
    "fhir_update": _fhir_update,
    "fhir_transaction": _fhir_transaction,
    "fhir_everything": lambda w: _health(w).fhir(
        "GET", f"Patient/{_health(w).patient_id}/$everything"
    ),
    "fhir_everything_post": lambda w: _health(w).fhir(
        "POST", f"Patient/{_health(w).patient_id}/$everything"
    ),
    "my_health_records": lambda w: _as_patient(w, "GET", "/api/v1/health/me/records"),
    "grant_health_consent": lambda w: _as_patient(
        w, "POST", "/api/v1/health/me/consents", json={"organization_id": "other-hosp"}
    ),
    "withdraw_health_consent": _withdraw_consent,
    "request_consultation": lambda w: _health(w).request_consultation(),
    "get_consultation": lambda w: w.call(
        "GET", f"/api/v1/health/consultations/{_health(w).consultation()}", _health(w).hospital
    ),
    "overdue_consultations": _overdue,
    "assign_consultation": _consultation_step("assign", "requested", by_centre=True),
    "answer_consultation": _consultation_step("answer", "assigned"),
    "close_consultation": _consultation_step("close", "answered"),
    "cancel_consultation": _consultation_step("cancel", "requested"),
}
