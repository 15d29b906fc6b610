"""The health tests' shared world (no tests here): residents, institutions and FHIR bodies,
all over the gateway's real HTTP API."""

from __future__ import annotations

import itertools
from typing import Any

import requests
from stdnum.cn import ric

from shared.contracts.health import CARD_NUMBER_SYSTEM

FHIR = "/api/v1/health/fhir"
FHIR_JSON = "application/fhir+json"
_serial = itertools.count(1)


def id_number(serial: int) -> str:
    """A valid resident ID number (GB 11643) born in 1960 + serial % 50."""
    first17 = f"210102{1960 + serial % 50}0{1 + serial % 9}1{serial % 10}{serial % 1000:03d}"
    return first17 + ric.calc_check_digit(first17 + "0")


def patient(
    card: str, gender: str = "female", birth: str = "1985-04-12", district: str = "Heping"
) -> dict:
    return {
        "resourceType": "Patient",
        "identifier": [{"system": CARD_NUMBER_SYSTEM, "value": card}],
        "name": [{"family": "Li", "given": ["Lei"]}],
        "gender": gender,
        "birthDate": birth,
        "address": [{"city": "Shenyang", "district": district}],
    }


def observation(
    patient_id: str, when: str = "2026-03-04T08:00:00+08:00", value: float = 120
) -> dict:
    return {
        "resourceType": "Observation",
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "vital-signs",
                    }
                ]
            }
        ],
        "code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
        "subject": {"reference": f"Patient/{patient_id}"},
        "effectiveDateTime": when,
        "valueQuantity": {"value": value, "unit": "mmHg"},
    }


def condition(patient_id: str, code: str = "E11", recorded: str = "2026-02-10") -> dict:
    return {
        "resourceType": "Condition",
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": "active",
                }
            ]
        },
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": code}]},
        "subject": {"reference": f"Patient/{patient_id}"},
        "recordedDate": recorded,
    }


class HealthWorld:
    """Institutions (``health`` clients with a unit) and the calls the tests make."""

    def __init__(self, stack: Any):
        self.stack = stack
        self.centre = stack.client("department", "health", scopes=("health.consultations",))
        self.supervisor = stack.client("department", "health", scopes=("health.statistics",))
        self.keys: dict[str, str] = {}

    def institution(self, unit: str) -> str:
        key = self.stack.client("department", "health", scopes=("health.records",), unit=unit)
        organization = {"resourceType": "Organization", "id": unit, "name": f"Hospital {unit}"}
        self.ok(self.fhir("PUT", f"Organization/{unit}", key, organization), 201)
        self.keys[unit] = key
        return key

    def fhir(
        self, method: str, path: str, key: str | None, body: Any = None, **headers: str
    ) -> requests.Response:
        if body is not None:
            headers.setdefault("Content-Type", FHIR_JSON)
        data = None if body is None else requests.models.complexjson.dumps(body)
        url = f"{FHIR}/{path}" if path else FHIR
        return self.stack.call(method, url, key, data=data, headers=headers)

    def create(self, key: str, body: dict) -> dict:
        return self.ok(self.fhir("POST", body["resourceType"], key, body), 201)

    def register_patient(self, key: str, card: str, **demographics: str) -> str:
        return self.create(key, patient(card, **demographics))["id"]

    @staticmethod
    def ok(response: requests.Response, status: int = 200) -> dict:
        assert response.status_code == status, response.text
        return response.json()

    @staticmethod
    def outcome(response: requests.Response, status: int) -> dict:
        """The response is an OperationOutcome with ``status``."""
        assert response.status_code == status, response.text
        assert response.headers["Content-Type"].startswith(FHIR_JSON)
        body = response.json()
        assert body["resourceType"] == "OperationOutcome", body
        return body

    def access_log(self, token: str) -> list[dict]:
        log = self.stack.call("GET", "/api/v1/me/access-log", token, params={"limit": 200})
        return self.ok(log)["items"]


def other_records(patient_id: str) -> list[dict]:
    """One of each remaining record type about the patient, and a Practitioner."""
    subject = {"reference": f"Patient/{patient_id}"}
    return [
        {"resourceType": "Practitioner", "name": [{"family": "Wang", "given": ["Fang"]}]},
        {
            "resourceType": "Encounter",
            "status": "finished",
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
            "subject": subject,
            "period": {"start": "2026-01-05T09:00:00+08:00"},
        },
        {
            "resourceType": "MedicationStatement",
            "status": "active",
            "medicationCodeableConcept": {"text": "metformin 500 mg"},
            "subject": subject,
        },
        {
            "resourceType": "AllergyIntolerance",
            "category": ["food"],
            "code": {"text": "peanut"},
            "patient": subject,
        },
        {
            "resourceType": "DocumentReference",
            "status": "current",
            "subject": subject,
            "content": [
                {"attachment": {"contentType": "text/plain", "data": "b2sgKGRpc2NoYXJnZSk="}}
            ],
        },
    ]
