"""Subscriptions end to end: real services and gateway over HTTP, events published on
RabbitMQ, real local HTTP receivers. A hanging receiver does not hold back another; throttled
and expired subscriptions behave as documented; a receiver that fails twice gets the event
with its id, in publish order per subject, signed; restricted events never reach an
integrator; a replay re-delivers the same events; SSRF targets are refused."""

import uuid
from datetime import UTC, datetime, timedelta

from helpers import publish_raw, wait_for
from receiver import verified

from shared.contracts.catalogue import CATALOGUE

CARD = "2101000000000012"


def envelope(event_type: str, data: dict, subject: str | None = None) -> dict:
    return {
        "event_id": str(uuid.uuid4()),
        "type": event_type,
        "version": 1,
        "occurred_at": datetime.now(UTC).isoformat(),
        "source": event_type.split(".")[0],
        "subject": subject,
        "request_id": None,
        "data": data,
    }


def occupancy(lot: str, occupied: int = 10) -> dict:
    data = {
        "lot_id": lot,
        "capacity": 50,
        "occupied": occupied,
        "free_spaces": 50 - occupied,
        "observed_at": datetime.now(UTC).isoformat(),
    }
    return envelope("traffic.parking_occupancy_changed", data, subject=lot)


def reservation() -> dict:
    now = datetime.now(UTC)
    data = {
        "reservation_id": str(uuid.uuid4()),
        "lot_id": "P1",
        "card_number": CARD,
        "starts_at": now.isoformat(),
        "ends_at": (now + timedelta(hours=1)).isoformat(),
    }
    return envelope("traffic.parking_reserved", data, subject=CARD)


def subscribe(stack, key: str, url: str, **settings) -> dict:
    body = {"url": url, "patterns": ["traffic.#"], **settings}
    response = stack.call("POST", "/api/v1/subscriptions", key, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def get(stack, key: str, path: str) -> dict:
    response = stack.call("GET", path, key)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_hanging_receiver_does_not_delay_another_and_throttling_and_expiry_hold(stack, receiver):
    key = stack.client("integrator")
    receiver.hanging.add("/slow")  # answers nothing until the test ends (30 s timeout)
    subscribe(stack, key, receiver.url + "/slow")
    subscribe(stack, key, receiver.url + "/fast")
    throttled = subscribe(stack, key, receiver.url + "/throttled", throttling_s=3600)
    past = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    expired = subscribe(stack, key, receiver.url + "/expired", expires_at=past)
    assert expired["status"] == "expired"
    events = [occupancy(lot) for lot in ("P1", "P2", "P3")]
    for event in events:
        publish_raw(stack.configs["platform"]["AMQP_URI"], event)

    wait_for(lambda: len(receiver.accepted("/fast")) == 3, timeout=20)
    # the fast receiver has all three while the slow one still holds its requests unanswered
    assert receiver.waiting.get("/slow", 0) >= 1
    assert receiver.received("/slow") == []
    assert sorted(receiver.event_ids("/fast")) == sorted(e["event_id"] for e in events)

    # All three were queued (the fast deliveries exist): the throttled subscription sends the
    # first and keeps the other two as throttled; the expired one got none.
    path = f"/api/v1/subscriptions/{throttled['subscription_id']}/deliveries"
    statuses = sorted(item["status"] for item in get(stack, key, path)["items"])
    assert statuses in (
        ["pending", "throttled", "throttled"],
        ["delivered", "throttled", "throttled"],
    )
    wait_for(lambda: len(receiver.accepted("/throttled")) == 1)
    path = f"/api/v1/subscriptions/{expired['subscription_id']}"
    assert get(stack, key, path + "/deliveries")["total"] == 0
    assert get(stack, key, path)["status"] == "expired"


def test_order_retries_signatures_replay_and_no_restricted_event_for_an_integrator(stack, receiver):
    key = stack.client("integrator")
    department = stack.client("department", "traffic", scopes=("events.subscribe",))
    started = datetime.now(UTC) - timedelta(seconds=1)
    sub = subscribe(stack, key, receiver.url + "/flaky", patterns=["traffic.#", "credit.*"])
    subscribe(stack, department, receiver.url + "/dept", patterns=["traffic.parking_reserved"])
    receiver.scripts["/flaky"] = [500, 503]  # fails twice, then 200
    amqp = stack.configs["platform"]["AMQP_URI"]
    events = [occupancy("P1", occupied) for occupied in (1, 2, 3)]  # one subject
    for event in events:
        publish_raw(amqp, event)
    restricted = reservation()
    publish_raw(amqp, restricted, times=2)

    wait_for(lambda: len(receiver.accepted("/flaky")) == 3, timeout=20)
    ids = [e["event_id"] for e in events]
    # the first event failed twice and held back the later ones of its subject
    attempts = receiver.received("/flaky")
    assert [r["envelope"]["event_id"] for r in attempts] == [ids[0], ids[0], *ids]
    assert [r["status"] for r in attempts] == [500, 503, 200, 200, 200]
    assert len({r["delivery"] for r in attempts[:3]}) == 1  # the same delivery, retried
    assert receiver.event_ids("/flaky") == ids  # dropping repeats by event id leaves each once
    assert all(verified(r, sub["secret"]) for r in attempts)
    assert not verified({**attempts[-1], "body": attempts[-1]["body"] + b" "}, sub["secret"])

    # The department cleared for reservations got it (once, though published twice) ...
    [granted] = wait_for(lambda: receiver.accepted("/dept"))
    assert granted["envelope"]["event_id"] == restricted["event_id"]
    # ... and in the same transaction the integrator got nothing: no delivery, no request.
    path = f"/api/v1/subscriptions/{sub['subscription_id']}"
    deliveries = get(stack, key, path + "/deliveries")["items"]
    assert {d["event_type"] for d in deliveries} == {"traffic.parking_occupancy_changed"}
    assert all(
        r["event"] != "traffic.parking_reserved" for r in receiver.requests if r["path"] == "/flaky"
    )
    state = get(stack, key, path)
    assert (state["times_sent"], state["fails_counter"], state["last_success_code"]) == (5, 0, 200)
    assert state["last_failure_reason"].startswith("HTTP 503")

    replay = {"from": started.isoformat(), "to": datetime.now(UTC).isoformat()}
    response = stack.call("POST", path + "/replay", key, json=replay)
    assert response.status_code == 202, response.text
    assert response.json()["queued"] == 3  # the reservation is not the integrator's to replay
    replayed = wait_for(
        lambda: len(again := [r for r in receiver.accepted("/flaky") if r["replay"]]) == 3 and again
    )
    assert [r["envelope"] for r in replayed] == [r["envelope"] for r in attempts[2:]]


def test_ssrf_targets_are_refused_and_the_catalogue_is_public(stack, receiver):
    key = stack.client("integrator")
    refused = {
        f"http://localhost:{receiver.port}/h": "resolves to a loopback address",
        "https://10.0.0.1/h": "private address",
        "https://169.254.169.254/latest/meta-data": "link-local address",
        "https://[::1]/h": "loopback address",
        f"http://user:pw@127.0.0.1:{receiver.port}/h": "must not contain credentials",
        "ftp://example.org/h": "must be an https URL",
    }
    for url, problem in refused.items():
        response = stack.call(
            "POST", "/api/v1/subscriptions", key, json={"url": url, "patterns": ["#"]}
        )
        assert response.status_code == 400, (url, response.text)
        [message] = response.json()["fields"]["url"]
        assert problem in message, (url, message)
    bad_filter = {
        "url": receiver.url,
        "patterns": ["#"],
        "filter": [{"field": "x", "op": "~", "value": [1]}],
    }
    response = stack.call("POST", "/api/v1/subscriptions", key, json=bad_filter)
    assert response.status_code == 400 and set(response.json()["fields"]) == {"filter"}

    mine = subscribe(stack, key, receiver.url + "/h")
    stranger = stack.client("integrator")
    path = f"/api/v1/subscriptions/{mine['subscription_id']}"
    for method, url, body in (
        ("GET", path, None),
        ("PATCH", path, {"status": "inactive"}),
        ("POST", path + "/replay", {"from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z"}),
        ("POST", path + "/secret", {}),
        ("DELETE", path, None),
    ):
        assert stack.call(method, url, stranger, json=body).status_code == 404, (method, url)
    assert stack.call("PATCH", path, key, json={"status": "expired"}).status_code == 400

    catalogue = stack.call("GET", "/api/v1/events/catalogue")  # no credentials
    assert catalogue.status_code == 200
    entries = {entry["type"]: entry for entry in catalogue.json()["events"]}
    assert set(entries) == set(CATALOGUE)
    reserved = entries["traffic.parking_reserved"]
    assert reserved["classification"] == "restricted"
    assert reserved["personal_fields"] == ["card_number"]
    assert reserved["schema"]["properties"]["card_number"]["x-personal"] is True
    assert catalogue.json()["public_exchange"] == "smartcity.public"
