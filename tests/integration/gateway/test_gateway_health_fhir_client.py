"""The FHIR face driven by a real FHIR client library (``fhirpy``), unchanged, over the
gateway's HTTP: capability statement, create, read, update with versions, search paging
across three pages, ``$everything`` by GET and by POST, and the OperationOutcome of every
kind of bad input (invalid resource, unknown type, wrong content type, too large, stale
If-Match)."""

from __future__ import annotations

import pytest
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import OperationOutcome, ResourceNotFound
from gateway_samples import LI_LEI
from health_world import FHIR, HealthWorld, observation, other_records, patient

from services.health.service import HealthService
from services.platform.service import PlatformService
from shared.contracts.health import MAX_RESOURCE_BYTES
from smartcity import demo_health

OBSERVATIONS = 25


@pytest.fixture
def world(stack_factory) -> HealthWorld:
    return HealthWorld(stack_factory((PlatformService, HealthService)))


def test_a_fhir_client_uses_the_face_unchanged(world: HealthWorld):
    card, _token = world.stack.resident(LI_LEI)
    key = world.institution("hosp-1")
    client = SyncFHIRClient(f"{world.stack.url}{FHIR}", authorization=f"Bearer {key}")

    capability = client.execute("metadata", method="get")
    assert capability["resourceType"] == "CapabilityStatement"
    assert capability["fhirVersion"] == "4.3.0"
    types = {r["type"]: r for r in capability["rest"][0]["resource"]}
    assert {"Patient", "Observation", "Consent", "DocumentReference"} <= set(types)
    assert types["Patient"]["operation"][0]["name"] == "everything"

    created = client.resource("Patient", **patient(card))
    created.save()
    assert created.id and created["meta"]["versionId"] == "1"
    read = client.reference("Patient", created.id).to_resource()
    assert read["identifier"][0]["value"] == card
    read["telecom"] = [{"system": "phone", "value": "13812345678"}]
    read.save()  # PUT: a new version
    assert client.reference("Patient", created.id).to_resource()["meta"]["versionId"] == "2"

    for record in other_records(created.id):
        assert client.resource(record["resourceType"], **record).save().id
    for day in range(1, OBSERVATIONS + 1):
        when = f"2026-01-{day:02d}T09:00:00+08:00"
        client.resource("Observation", **observation(created.id, when, 100 + day)).save()

    search = client.resources("Observation").search(patient=created.id).limit(10)
    first_page = search.fetch_raw()
    assert first_page["total"] == OBSERVATIONS
    assert [link["relation"] for link in first_page["link"]] == ["self", "next"]
    everything_paged = search.fetch_all()  # follows the next links: pages of 10, 10, 5
    assert len(everything_paged) == OBSERVATIONS
    assert len({o.id for o in everything_paged}) == OBSERVATIONS
    third = world.ok(
        world.fhir("GET", f"Observation?patient={created.id}&_count=10&_offset=20", key)
    )
    assert len(third["entry"]) == 5 and "next" not in {link["relation"] for link in third["link"]}

    january_10s = (
        client.resources("Observation")
        .search(patient=created.id, date=["ge2026-01-10", "le2026-01-19"])
        .sort("-date")
        .fetch_all()
    )
    days = [o["effectiveDateTime"][:10] for o in january_10s]
    assert days == [f"2026-01-{d}" for d in range(19, 9, -1)]
    assert client.resources("Observation").search(code="http://loinc.org|8480-6").count() == 25
    assert client.resources("Observation").search(code="nothing").count() == 0

    by_get = client.execute(f"Patient/{created.id}/$everything", method="get")
    by_post = client.execute(f"Patient/{created.id}/$everything", method="post", data={})
    assert by_get["type"] == by_post["type"] == "searchset"
    # The Patient, its observations and its four other records (a Practitioner is no record).
    assert by_get["total"] == by_post["total"] == OBSERVATIONS + 5
    kinds = {entry["resource"]["resourceType"] for entry in by_get["entry"]}
    assert kinds == {
        "Patient",
        "Observation",
        "Encounter",
        "MedicationStatement",
        "AllergyIntolerance",
        "DocumentReference",
    }

    invalid = observation(created.id)
    invalid["status"] = "finished"  # not in Observation.status's value set
    invalid["code"]["coding"][0]["system"] = 42  # not a uri
    with pytest.raises(OperationOutcome) as caught:
        client.resource("Observation", **invalid).save()
    expressions = {e for issue in caught.value.resource["issue"] for e in issue["expression"]}
    assert "Observation.code.coding[0].system" in expressions
    missing = observation(created.id)
    del missing["status"]
    with pytest.raises(OperationOutcome) as caught:
        client.resource("Observation", **missing).save()
    assert caught.value.resource["issue"][0]["expression"] == ["Observation.status"]
    with pytest.raises(ResourceNotFound):
        client.resources("Spaceship").fetch()
    with pytest.raises(ResourceNotFound):
        client.reference("Observation", "no-such-id").to_resource()
    assert client.resources("Observation").count() == OBSERVATIONS  # nothing half-written


def test_bad_input_gets_an_operation_outcome_never_a_500(world: HealthWorld):
    card, _token = world.stack.resident(LI_LEI)
    key = world.institution("hosp-1")
    patient_id = world.register_patient(key, card)
    path = f"{FHIR}/Observation"

    as_text = world.stack.call("POST", path, key, data="{}", headers={"Content-Type": "text/plain"})
    assert world.outcome(as_text, 415)["issue"][0]["expression"] == ["Content-Type"]
    huge = observation(patient_id)
    huge["note"] = [{"text": "x" * MAX_RESOURCE_BYTES}]
    world.outcome(world.fhir("POST", "Observation", key, huge), 413)
    broken = world.stack.call(
        "POST", path, key, data="{not json", headers={"Content-Type": "application/fhir+json"}
    )
    world.outcome(broken, 400)
    world.outcome(world.fhir("POST", "Observation", key, {"resourceType": "Patient"}), 400)
    nul = observation(patient_id)
    nul["code"]["text"] = "a\u0000b"
    world.outcome(world.fhir("POST", "Observation", key, nul), 400)
    world.outcome(world.fhir("GET", "Observation?date=yesterday", key), 400)
    world.outcome(world.fhir("GET", "Observation?flavour=sweet", key), 400)
    world.outcome(world.fhir("GET", "Observation?_count=100000", key), 400)
    world.outcome(world.fhir("GET", "Observation/1/2/3", key), 404)
    world.outcome(world.fhir("DELETE", "Observation/1", key), 405)
    world.outcome(world.fhir("GET", "Observation", None), 401)

    stored = world.create(key, observation(patient_id))
    update = {**stored, "status": "amended"}
    stale = world.fhir("PUT", f"Observation/{stored['id']}", key, update, **{"If-Match": 'W/"7"'})
    world.outcome(stale, 412)
    fresh = world.fhir("PUT", f"Observation/{stored['id']}", key, update, **{"If-Match": 'W/"1"'})
    assert world.ok(fresh)["meta"]["versionId"] == "2"
    other = world.institution("hosp-2")
    taken = world.fhir("PUT", f"Observation/{stored['id']}", other, update)
    world.outcome(taken, 409)
    world.outcome(
        world.fhir(
            "PUT", "Organization/hosp-1", other, {"resourceType": "Organization", "id": "hosp-1"}
        ),
        403,
    )
    assert world.ok(world.fhir("GET", "Observation", key))["total"] == 1


def test_a_transaction_bundle_is_written_whole_or_not_at_all(world: HealthWorld):
    card, _token = world.stack.resident(LI_LEI)
    key = world.institution("hosp-1")
    client = SyncFHIRClient(f"{world.stack.url}{FHIR}", authorization=f"Bearer {key}")

    def entry(resource: dict, full_url: str | None = None) -> dict:
        found = {
            "resource": resource,
            "request": {"method": "POST", "url": resource["resourceType"]},
        }
        return {**found, "fullUrl": full_url} if full_url else found

    local = "urn:uuid:4b7c0f5e-1f0a-4c39-9a53-0c0d2f6f1a11"
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            entry(patient(card), local),
            entry(observation("placeholder")),
            entry(observation("placeholder", value=130)),
        ],
    }
    for item in bundle["entry"][1:]:
        item["resource"]["subject"] = {"reference": local}
    answer = client.execute(client.url, method="post", data=bundle)
    assert answer["type"] == "transaction-response"
    assert [e["response"]["status"] for e in answer["entry"]] == ["201 Created"] * 3
    patient_id = answer["entry"][0]["resource"]["id"]
    assert answer["entry"][1]["resource"]["subject"] == {"reference": f"Patient/{patient_id}"}

    broken = {
        **bundle,
        "entry": [
            entry(observation(patient_id)),
            entry({**observation(patient_id), "status": "x"}),
        ],
    }
    with pytest.raises(OperationOutcome) as caught:
        client.execute(client.url, method="post", data=broken)
    assert caught.value.resource["issue"][0]["expression"] == ["Bundle.entry[1].resource.status"]
    assert client.resources("Observation").count() == 2  # the valid first entry is not kept
    huge = {**bundle, "entry": [entry(observation(patient_id))] * 101}
    world.outcome(world.fhir("POST", "", key, huge), 413)
    world.outcome(world.fhir("POST", "", key, {**bundle, "type": "batch"}), 400)


def test_the_demo_loads_twice_harmlessly(world: HealthWorld):
    card, token = world.stack.resident(LI_LEI)
    keys = {
        name: world.stack.client(role, department, scopes, unit)
        for name, (role, department, scopes, unit) in demo_health.CLIENTS.items()
    }
    first = demo_health.load(world.stack.url, keys, [card])
    assert demo_health.load(world.stack.url, keys, [card]) == first
    mine = world.ok(world.stack.call("GET", "/api/v1/health/me/records", token))
    kinds = sorted(entry["resource"]["resourceType"] for entry in mine["entry"])
    assert kinds == ["Condition", "Observation", "Patient"]
