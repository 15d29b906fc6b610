"""Consent and exchange between institutions over real HTTP, with the platform and health
services behind the gateway: the consent matrix (author / unconsented / break-glass /
consented / withdrawn / expired), each read audited in the resident's access log, both
directions between two hospitals, and the resident seeing only their own records."""

from __future__ import annotations

from datetime import timedelta

import pytest
from gateway_samples import HAN_MEIMEI, LI_LEI
from health_world import HealthWorld, condition, observation
from helpers import EventTap, wait_for

from services.health.service import HealthService
from services.platform.service import PlatformService
from shared.clock import city_today
from shared.contracts.health import CARD_NUMBER_SYSTEM

YESTERDAY = (city_today() - timedelta(days=1)).isoformat()
LAST_MONTH = (city_today() - timedelta(days=30)).isoformat()


@pytest.fixture
def world(stack_factory) -> HealthWorld:
    return HealthWorld(stack_factory((PlatformService, HealthService)))


def logged(world: HealthWorld, token: str, response) -> dict:
    """The access-log entry of that very request (waits for the audit to arrive)."""
    request_id = response.headers["X-Request-Id"]

    def entry() -> dict | None:
        return next((e for e in world.access_log(token) if e["request_id"] == request_id), None)

    return wait_for(entry, timeout=10, interval=0.2)


def test_consent_matrix_through_the_gateway(world: HealthWorld):
    stack = world.stack
    card_a, token_a = stack.resident(LI_LEI)
    card_b, token_b = stack.resident(HAN_MEIMEI, name="Han Meimei", phone="13812345679")
    h1, h2 = world.institution("hosp-1"), world.institution("hosp-2")

    patient_a = world.register_patient(h1, card_a)
    again = world.fhir(
        "POST", "Patient", h1, world.ok(world.fhir("GET", f"Patient/{patient_a}", h1))
    )
    assert world.ok(again)["id"] == patient_a  # one Patient per institution and card
    obs = world.create(h1, observation(patient_a))
    assert obs["meta"]["versionId"] == "1"
    patient_b = world.register_patient(h2, card_b, gender="male")
    condition_b = world.create(h2, condition(patient_b))

    read = f"Observation/{obs['id']}"
    # Author: the writing institution reads it; the read is audited.
    author_read = world.fhir("GET", read, h1)
    assert world.ok(author_read)["id"] == obs["id"]
    assert author_read.headers["ETag"] == 'W/"1"'
    assert logged(world, token_a, author_read)["resource"] == "health.Observation"

    # Unconsented: another institution finds nothing, by id or by search.
    world.outcome(world.fhir("GET", read, h2), 404)
    assert world.ok(world.fhir("GET", f"Observation?patient={patient_a}", h2))["total"] == 0
    everything = world.fhir("GET", f"Patient/{patient_a}/$everything", h2)
    world.outcome(everything, 404)
    # ... and may not write for a patient that is not its own.
    refused = world.outcome(world.fhir("POST", "Observation", h2, observation(patient_a)), 422)
    assert refused["issue"][0]["expression"] == ["Observation.subject"]

    # Break-glass: allowed, and the resident sees the stated reason in their access log.
    emergency = world.fhir("GET", read, h2, **{"X-Break-Glass": "unconscious in A&E"})
    assert world.ok(emergency)["id"] == obs["id"]
    entry = logged(world, token_a, emergency)
    assert entry["purpose"] == "break-glass: unconscious in A&E"
    assert entry["department"] == "health"
    # An emergency department finds the patient by citizen card only by break-glass.
    by_card = f"Patient?identifier={CARD_NUMBER_SYSTEM}|{card_a}"
    assert world.ok(world.fhir("GET", by_card, h2))["total"] == 0
    found = world.ok(world.fhir("GET", by_card, h2, **{"X-Break-Glass": "road accident"}))
    assert [e["resource"]["id"] for e in found["entry"]] == [patient_a]
    world.outcome(world.fhir("GET", "Observation", h2, **{"X-Break-Glass": "everyone"}), 400)

    # Consented: A permits hosp-2; now it reads, searches and gets the whole archive.
    consent = world.ok(
        stack.call(
            "POST", "/api/v1/health/me/consents", token_a, json={"organization_id": "hosp-2"}
        ),
        201,
    )
    assert consent["resourceType"] == "Consent" and consent["status"] == "active"
    consented = world.fhir("GET", read, h2)
    assert world.ok(consented)["id"] == obs["id"]
    assert logged(world, token_a, consented)["purpose"] == "treatment"
    search = world.ok(world.fhir("GET", f"Observation?patient={patient_a}", h2))
    assert [e["resource"]["id"] for e in search["entry"]] == [obs["id"]]
    archive = world.ok(world.fhir("GET", f"Patient/{patient_a}/$everything", h2))
    assert {e["resource"]["id"] for e in archive["entry"]} >= {patient_a, obs["id"]}

    # Real-time exchange: a new record by hosp-1 tells hosp-2 (ids only).
    tap = EventTap(stack.configs["health"]["AMQP_URI"], "health.record_added")
    try:
        second = world.create(h1, observation(patient_a, value=135))
        event = tap.next()
    finally:
        tap.close()
    assert event["data"]["resource_id"] == second["id"]
    assert event["data"]["notified_organization_ids"] == ["hosp-2"]
    assert "valueQuantity" not in str(event["data"])

    # Withdrawn: access stops in the very next request.
    withdraw = f"/api/v1/health/me/consents/{consent['id']}/withdraw"
    assert world.ok(stack.call("POST", withdraw, token_a))["status"] == "inactive"
    world.outcome(world.fhir("GET", read, h2), 404)

    # Expired: a consent whose period ended yesterday opens nothing.
    expired = {"organization_id": "hosp-2", "starts_on": LAST_MONTH, "ends_on": YESTERDAY}
    world.ok(stack.call("POST", "/api/v1/health/me/consents", token_a, json=expired), 201)
    world.outcome(world.fhir("GET", read, h2), 404)

    # A FHIR client of the resident's own may write the Consent resource itself.
    fhir_consent = {**consent, "id": None, "meta": None}
    fhir_consent = {k: v for k, v in fhir_consent.items() if v is not None}
    world.create(token_a, fhir_consent)
    assert world.ok(world.fhir("GET", read, h2))["id"] == obs["id"]
    foreign = {**fhir_consent, "patient": {"reference": f"Patient/{patient_b}"}}
    world.outcome(world.fhir("POST", "Consent", token_a, foreign), 422)
    world.outcome(world.fhir("POST", "Consent", h1, fhir_consent), 403)
    withdraw_again = f"/api/v1/health/me/consents/{consent['id']}/withdraw"
    assert world.ok(stack.call("POST", withdraw_again, token_a))["status"] == "inactive"

    # The other direction: hosp-1 never sees hosp-2's patient B without B's consent.
    world.outcome(world.fhir("GET", f"Condition/{condition_b['id']}", h1), 404)
    world.outcome(world.fhir("GET", f"Patient/{patient_b}", h1), 404)
    assert world.ok(world.fhir("GET", "Condition", h1))["total"] == 0
    assert world.ok(world.fhir("GET", "Patient", h1))["total"] == 1

    # The resident sees only their own records, through every route.
    mine = world.ok(stack.call("GET", "/api/v1/health/me/records", token_a))
    assert mine["resourceType"] == "Bundle"
    ids = {e["resource"]["id"] for e in mine["entry"]}
    assert {patient_a, obs["id"], second["id"], consent["id"]} <= ids
    assert patient_b not in ids and condition_b["id"] not in ids
    world.outcome(world.fhir("GET", f"Condition/{condition_b['id']}", token_a), 404)
    world.outcome(world.fhir("GET", f"Patient/{patient_b}/$everything", token_a), 404)
    assert world.ok(world.fhir("GET", "Condition", token_a))["total"] == 0
    assert world.ok(world.fhir("GET", "Condition", token_b))["total"] == 1
    observations = world.ok(world.fhir("GET", "Observation", token_a))
    assert observations["total"] == 2
    # A resident writes no clinical record.
    world.outcome(world.fhir("POST", "Observation", token_a, observation(patient_a)), 403)

    # The Patient's card is linked to the citizen card: /me lists the health archive.
    def linked() -> list:
        me = world.ok(stack.call("GET", "/api/v1/me", token_a))
        return [c for c in me["linked_cards"] if c["kind"] == "health_archive"]

    assert wait_for(linked, timeout=10, interval=0.2)[0]["number"] == patient_a
