"""Demo data of the health service, loaded over the gateway's FHIR face as hospitals would:
two hospitals (their Organizations), each demo resident a patient of the first, with a
blood-pressure Observation and a Condition. Records are written by ``PUT`` at fixed ids, so
loading twice only makes a second version."""

from __future__ import annotations

import requests

from shared.contracts.health import CARD_NUMBER_SYSTEM, FHIR_JSON

CLIENTS = {
    "health-shengjing": ("department", "health", ["health.records"], "shengjing-hospital"),
    "health-medical-university": ("department", "health", ["health.records"], "cmu-first-hospital"),
    "health-consultation-centre": ("department", "health", ["health.consultations"], None),
    "health-supervision": ("department", "health", ["health.statistics"], None),
}
HOSPITALS = {
    "health-shengjing": ("shengjing-hospital", "Shengjing Hospital of China Medical University"),
    "health-medical-university": ("cmu-first-hospital", "The First Hospital of CMU"),
}
FHIR = "/api/v1/health/fhir"


def load(gateway: str, keys: dict[str, str], cards: list[str]) -> str:
    """Load the demo records; returns a one-line summary."""
    for client, (organization_id, name) in HOSPITALS.items():
        organization = {"resourceType": "Organization", "id": organization_id, "name": name}
        _put(gateway, keys[client], f"Organization/{organization_id}", organization)
    hospital = keys["health-shengjing"]
    written = 0
    for card in cards:
        patient = _post(gateway, hospital, "Patient", _patient(card))
        _put(gateway, hospital, f"Observation/demo-bp-{card}", _blood_pressure(patient["id"]))
        _put(gateway, hospital, f"Condition/demo-htn-{card}", _hypertension(patient["id"]))
        written += 3
    return (
        f"health: {len(HOSPITALS)} hospitals, {len(cards)} patients, {written} records "
        f"(FHIR base {gateway}{FHIR})"
    )


def _patient(card: str) -> dict:
    return {
        "resourceType": "Patient",
        "identifier": [{"system": CARD_NUMBER_SYSTEM, "value": card}],
        "address": [{"city": "Shenyang", "district": "Heping"}],
    }


def _blood_pressure(patient_id: str) -> dict:
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}], "text": "Systolic"},
        "subject": {"reference": f"Patient/{patient_id}"},
        "effectiveDateTime": "2026-11-20T09:30:00+08:00",
        "valueQuantity": {"value": 142, "unit": "mmHg"},
    }


def _hypertension(patient_id: str) -> dict:
    return {
        "resourceType": "Condition",
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "I10"}]},
        "subject": {"reference": f"Patient/{patient_id}"},
        "recordedDate": "2026-11-20",
    }


def _put(gateway: str, key: str, path: str, body: dict) -> dict:
    return _send("PUT", gateway, key, path, body)


def _post(gateway: str, key: str, path: str, body: dict) -> dict:
    return _send("POST", gateway, key, path, body)


def _send(method: str, gateway: str, key: str, path: str, body: dict) -> dict:
    response = requests.request(
        method,
        f"{gateway}{FHIR}/{path}",
        json=body,
        headers={"Authorization": f"Bearer {key}", "Accept": FHIR_JSON},
        timeout=15,
    )
    response.raise_for_status()
    return response.json()
