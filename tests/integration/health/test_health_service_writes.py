"""The health service over real RPC, RabbitMQ and PostgreSQL: a Patient registered twice at
once is one Patient with one card link, and a refused write leaves nothing behind (no
resource, no audit entry, no event)."""

from __future__ import annotations

import eventlet
import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import func, select, text

from services.health.models import FhirResource, PatientDemographics
from services.health.service import HealthService
from services.platform.service import PlatformService
from shared.contracts.health import CARD_NUMBER_SYSTEM
from shared.db import make_engine
from shared.errors import Unprocessable, ValidationFailed
from shared.identity import make_card_number

HOSPITAL = {
    "actor": "client-hosp-1",
    "actor_role": "department",
    "department": "health",
    "unit": "hosp-1",
    "scopes": ["health.records"],
}


@pytest.fixture
def running(service_config, runner_factory):
    platform_config = service_config("platform")
    runner_factory(platform_config, PlatformService).start()
    with ClusterRpcProxy(platform_config) as cluster:
        card = cluster.platform.register_resident(
            {
                "name": "Zhang Wei",
                "id_number": "210102199003071233",
                "phone": "13800000000",
                "password": "correct horse battery",
            }
        )["card_number"]
    config = service_config("health")
    runner_factory(config, HealthService).start()
    engine = make_engine(config["DATABASE_URLS"]["health"])
    yield config, engine, card
    engine.dispose()


def patient(card: str) -> dict:
    return {
        "resourceType": "Patient",
        "identifier": [{"system": CARD_NUMBER_SYSTEM, "value": card}],
    }


def counts(engine) -> tuple[int, int, int]:
    with engine.connect() as conn:
        resources = conn.scalar(select(func.count()).select_from(FhirResource))
        people = conn.scalar(select(func.count()).select_from(PatientDemographics))
        links = conn.scalar(text("SELECT count(*) FROM outbox WHERE type = 'health.card_linked'"))
    return resources, people, links


def test_a_patient_registered_twice_at_once_is_one_patient(running):
    config, engine, card = running

    def register() -> dict:
        with ClusterRpcProxy(config, context_data=HOSPITAL) as cluster:
            return cluster.health.fhir_write("Patient", patient(card))

    first, second = eventlet.spawn(register), eventlet.spawn(register)
    answers = [first.wait(), second.wait()]
    assert {a["resource"]["id"] for a in answers} == {answers[0]["resource"]["id"]}
    assert sorted(a["created"] for a in answers) == [False, True]
    assert counts(engine) == (1, 1, 1)


def test_a_refused_write_leaves_nothing_behind(running):
    config, engine, card = running
    with ClusterRpcProxy(config, context_data=HOSPITAL) as cluster:
        with pytest.raises(ValidationFailed) as caught:
            cluster.health.fhir_write("Patient", {**patient(card), "gender": "robot"})
        assert "Patient.gender" in caught.value.fields
        with pytest.raises(Unprocessable):  # a card no resident holds
            cluster.health.fhir_write("Patient", patient(make_card_number(7)))
        observation = {
            "resourceType": "Observation",
            "status": "final",
            "code": {"text": "pulse"},
            "subject": {"reference": "Patient/nobody"},
        }
        with pytest.raises(Unprocessable) as caught:
            cluster.health.fhir_write("Observation", observation)
        assert "Observation.subject" in caught.value.fields
    with engine.connect() as conn:
        outbox = conn.scalar(text("SELECT count(*) FROM outbox"))
    assert counts(engine) == (0, 0, 0) and outbox == 0
