"""Whoever holds one process's broker URI can do only what that process's row grants.

The services run as the users that ``smartcity broker setup`` makes from the access-rights
table; the attacker is a bare AMQP client holding the tourism service's URI. Each attack has a
control: the same action by the user that is granted it works.
"""

from collections.abc import Iterator

import pytest
from amqp.exceptions import AccessRefused
from broker_client import call_rpc, publish_event
from helpers import wait_for
from nameko.standalone.rpc import ClusterRpcProxy

from shared.contracts.envelope import new_envelope
from shared.errors import NotFound
from smartcity.dead_letters import list_dead_letters
from smartcity.registry import load

RESIDENT = {
    "name": "Zhang Wei",
    "id_number": "21010219900307002X",
    "phone": "13800000000",
    "password": "correct horse battery",
}
ENTERPRISE = "91210100MA0XXXXX0W"


@pytest.fixture
def city(config_as, runner_factory, broker_users) -> Iterator[dict]:
    """Platform and credit running as their own users; one resident registered."""
    for service in ("platform", "credit"):
        runner_factory(config_as(service, RPC_TIMEOUT=5), load(service)).start()
    with ClusterRpcProxy({"AMQP_URI": broker_users["operator"]}, timeout=15) as operator:
        card = operator.platform.register_resident(RESIDENT)["card_number"]
        yield {"card": card, "operator": operator, "uris": broker_users}


def access_log(city) -> list[dict]:
    return city["operator"].platform.access_log(city["card"])["items"]


def test_a_department_cannot_create_an_api_client(city):
    with pytest.raises(AccessRefused, match=r"platform.create_client"):
        call_rpc(
            city["uris"]["tourism"],
            "tourism",
            "platform.create_client",
            "rogue",
            "operator",
            None,
            [],
        )
    names = [client["name"] for client in city["operator"].platform.list_clients()["items"]]
    assert "rogue" not in names

    created = city["operator"].platform.create_client("ops-2", "operator", None, [])
    assert created["api_key"]


def test_a_department_cannot_resolve_a_card_to_an_id_number(city):
    with pytest.raises(AccessRefused, match=r"platform.resolve_card"):
        call_rpc(city["uris"]["tourism"], "tourism", "platform.resolve_card", city["card"])

    # Credit is granted it (it names people in penalty events by card number).
    reply = call_rpc(city["uris"]["credit"], "credit", "platform.resolve_card", city["card"])
    assert reply["error"] is None
    assert reply["result"]["id_number"] == RESIDENT["id_number"]


def test_a_department_cannot_publish_another_departments_penalty(city):
    penalty = new_envelope(
        "health.administrative_penalty_issued",
        {
            "source_record_id": "HEALTH-1",
            "subject_type": "enterprise",
            "subject_id": ENTERPRISE,
            "category": "administrative_penalty",
            "severity": "serious",
            "basis": "health inspection 2026-31",
            "decided_on": "2026-11-01",
            "valid_until": "2029-11-01",
        },
        source="health",
        version=1,
        subject=ENTERPRISE,
    )
    with pytest.raises(AccessRefused, match=r"health.administrative_penalty_issued"):
        publish_event(city["uris"]["tourism"], penalty)

    publish_event(city["uris"]["health"], penalty)  # health's own user: accepted

    def records() -> list:
        try:
            return city["operator"].credit.subject_report("enterprise", ENTERPRISE)["records"]
        except NotFound:  # no file until the first record
            return []

    assert [r["source_record_id"] for r in wait_for(records, timeout=15)] == ["HEALTH-1"]


def test_a_department_cannot_add_a_line_to_a_residents_access_log(city):
    access = new_envelope(
        "health.personal_data_accessed",
        {
            "actor": "doctor-1",
            "actor_role": "department",
            "department": "health",
            "subject": city["card"],
            "action": "read",
            "resource": "health record",
            "purpose": "treatment",
        },
        source="health",
        version=1,
        subject=city["card"],
    )
    with pytest.raises(AccessRefused, match=r"health.personal_data_accessed"):
        publish_event(city["uris"]["tourism"], access)

    publish_event(city["uris"]["health"], access)
    # Matched by resource: each read of the log is itself a line of it.
    lines = wait_for(
        lambda: [line for line in access_log(city) if line["resource"] == "health record"],
        timeout=15,
    )
    assert len(lines) == 1


def forged_penalty(event_type: str, source: str) -> dict:
    return new_envelope(
        event_type,
        {
            "source_record_id": f"FORGED-{event_type}",
            "subject_type": "enterprise",
            "subject_id": ENTERPRISE,
            "category": "administrative_penalty",
            "severity": "serious",
            "basis": "forged",
            "decided_on": "2026-11-01",
            "valid_until": "2029-11-01",
        },
        source=source,
        version=1,
        subject=ENTERPRISE,
    )


def test_an_event_that_reached_a_queue_from_an_untrusted_sender_is_dead_lettered(
    city, rabbit_config
):
    # The broker's administrator is no user of the table: topic rights do not stop it, the
    # consumer's check of the broker-validated user_id does.
    publish_event(
        rabbit_config["AMQP_URI"], forged_penalty("health.administrative_penalty_issued", "health")
    )
    # Tourism's own prefix, but the envelope claims to come from health.
    publish_event(
        city["uris"]["tourism"], forged_penalty("tourism.administrative_penalty_issued", "health")
    )

    def letters() -> list:
        found = list_dead_letters(city["uris"]["operator"], "credit")
        return found if len(found) == 2 else []

    errors = sorted(letter.error for letter in wait_for(letters, timeout=15))
    assert errors == [
        "untrusted sender: event tourism.administrative_penalty_issued does not belong to its "
        "source health",
        "untrusted sender: published by guest, who may not speak for health",
    ]
    with pytest.raises(NotFound):
        city["operator"].credit.subject_report("enterprise", ENTERPRISE)
