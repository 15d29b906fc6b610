"""Orion's subscription model on a migrated PostgreSQL platform database, without a broker:
per-subject order, throttling, expiry, one-shot, the failure limit and reactivation, payload
filters, replay from the event log, and secret rotation."""

import json
from datetime import timedelta

import pytest
from test_platform_webhook_queue import envelope, public_dns, uow  # noqa: F401 - fixture

from services.platform import clients, delivery, event_log, subscriptions, webhooks
from services.platform.egress import EgressPolicy
from shared.clock import utcnow
from shared.errors import ValidationFailed

OCCUPANCY = {
    "lot_id": "P1",
    "capacity": 50,
    "occupied": 45,
    "free_spaces": 5,
    "observed_at": "2026-12-01T08:00:00+08:00",
}


def occupancy(lot: str, occupied: int = 45) -> dict:
    event = envelope(
        "traffic.parking_occupancy_changed", {**OCCUPANCY, "lot_id": lot, "occupied": occupied}
    )
    event["subject"] = lot
    return event


def subscribe(uow, **settings) -> tuple[str, dict]:  # noqa: F811 - the fixture's value
    client = clients.create_client(uow, "maps", "integrator", None, [])["client_id"]
    body = {"url": "https://maps.example/h", "patterns": ["traffic.#"], **settings}
    return client, subscriptions.create_subscription(uow, client, body, EgressPolicy(), public_dns)


def due(uow, now) -> list:  # noqa: F811
    return [item.body for item in delivery.due_deliveries(uow, now=now)]


def ids(outgoing) -> list[str]:
    return [item.delivery_id for item in outgoing]


def test_a_subjects_events_go_out_in_publish_order_and_a_failure_holds_back_only_them(uow):  # noqa: F811
    subscribe(uow)
    now = utcnow()
    first, second, other = occupancy("P1", 10), occupancy("P1", 11), occupancy("P2")
    for event in (first, second, other):
        delivery.enqueue_deliveries(uow, event, now=now)

    taken = delivery.due_deliveries(uow, now=now)
    # P1's second event waits for its first; P2 is independent
    assert [webhooks.body_of(e) for e in (first, other)] == [t.body for t in taken]
    delivery.record_attempt(uow, taken[0].delivery_id, 503, now=now, retry_base_s=0.001)
    delivery.record_attempt(uow, taken[1].delivery_id, 200, now=now)
    later = now + timedelta(seconds=1)
    [retried] = delivery.due_deliveries(uow, now=later)
    assert retried.body == webhooks.body_of(first)  # still first, second still held back
    delivery.record_attempt(uow, retried.delivery_id, 200, now=later)
    [then] = delivery.due_deliveries(uow, now=later)
    assert then.body == webhooks.body_of(second)


def test_throttling_keeps_events_of_the_window_as_throttled(uow):  # noqa: F811
    client, sub = subscribe(uow, throttling_s=60)
    now = utcnow()
    queued = [
        delivery.enqueue_deliveries(uow, occupancy(f"P{n}"), now=now + timedelta(seconds=s))[0]
        for n, s in enumerate((0, 30, 61))
    ]
    assert [row.status for row in queued] == ["pending", "throttled", "pending"]
    assert len(delivery.due_deliveries(uow, now=now + timedelta(seconds=62))) == 2
    page = subscriptions.list_deliveries(uow, client, sub["subscription_id"])
    assert sorted(item["status"] for item in page["items"]) == ["pending", "pending", "throttled"]


def test_an_expired_subscription_gets_nothing_new_and_says_expired(uow):  # noqa: F811
    now = utcnow()
    client, sub = subscribe(uow, expires_at=(now - timedelta(seconds=1)).isoformat())
    assert sub["status"] == "expired"
    assert delivery.enqueue_deliveries(uow, occupancy("P1"), now=now) == []
    # the owner extends it: events flow again
    later = (now + timedelta(days=1)).isoformat()
    assert (
        subscriptions.update_subscription(
            uow, client, sub["subscription_id"], {"expires_at": later}
        )["status"]
        == "active"
    )
    assert len(delivery.enqueue_deliveries(uow, occupancy("P1"), now=now)) == 1


def test_a_one_shot_subscription_delivers_one_event_then_turns_inactive(uow):  # noqa: F811
    client, sub = subscribe(uow, status="oneshot")
    now = utcnow()
    assert len(delivery.enqueue_deliveries(uow, occupancy("P1"), now=now)) == 1
    assert delivery.enqueue_deliveries(uow, occupancy("P2"), now=now) == []  # one at a time
    [item] = delivery.due_deliveries(uow, now=now)
    delivery.record_attempt(uow, item.delivery_id, 200, now=now)
    assert subscriptions.get_subscription(uow, client, sub["subscription_id"])["status"] == (
        "inactive"
    )
    assert delivery.enqueue_deliveries(uow, occupancy("P3"), now=now) == []
    subscriptions.update_subscription(uow, client, sub["subscription_id"], {"status": "oneshot"})
    assert len(delivery.enqueue_deliveries(uow, occupancy("P4"), now=now)) == 1


def test_max_fails_turns_a_subscription_inactive_until_the_owner_reactivates_it(uow):  # noqa: F811
    client, sub = subscribe(uow, max_fails=2)
    now = utcnow()
    delivery.enqueue_deliveries(uow, occupancy("P1"), now=now)
    for _ in range(2):
        [item] = delivery.due_deliveries(uow, now=now)
        delivery.record_attempt(
            uow, item.delivery_id, None, "ConnectTimeout", now=now, retry_base_s=0.001
        )
        now += timedelta(seconds=1)
    state = subscriptions.get_subscription(uow, client, sub["subscription_id"])
    assert (state["status"], state["fails_counter"], state["times_sent"]) == ("inactive", 2, 2)
    assert (state["last_failure_reason"], state["last_success"]) == ("ConnectTimeout", None)
    assert delivery.due_deliveries(uow, now=now + timedelta(hours=1)) == []  # held, not lost
    assert delivery.enqueue_deliveries(uow, occupancy("P2"), now=now) == []  # Orion: no news

    state = subscriptions.update_subscription(
        uow, client, sub["subscription_id"], {"status": "active"}
    )
    assert (state["status"], state["fails_counter"]) == ("active", 0)
    [item] = delivery.due_deliveries(uow, now=utcnow())
    delivery.record_attempt(uow, item.delivery_id, 202, now=now)
    state = subscriptions.get_subscription(uow, client, sub["subscription_id"])
    assert (state["times_sent"], state["last_success_code"]) == (3, 202)


def test_a_payload_filter_selects_events_by_field_ranges(uow):  # noqa: F811
    subscribe(uow, filter=[{"field": "occupied", "op": "gte", "value": 40}])
    now = utcnow()
    assert delivery.enqueue_deliveries(uow, occupancy("P1", occupied=39), now=now) == []
    assert len(delivery.enqueue_deliveries(uow, occupancy("P1", occupied=40), now=now)) == 1


def test_replay_queues_the_logged_events_of_a_range_again_with_their_ids(uow):  # noqa: F811
    client, sub = subscribe(uow)
    now = utcnow()
    events = [occupancy("P1"), occupancy("P2"), envelope("credit.list_changed", {})]
    for event, age in zip(
        events, (timedelta(minutes=10), timedelta(days=2), timedelta(0)), strict=True
    ):
        event["occurred_at"] = (now - age).isoformat()
        event_log.append(uow, event, now)
        event_log.append(uow, event, now)  # a redelivery is logged once
    body = {"from": (now - timedelta(hours=1)).isoformat(), "to": utcnow().isoformat()}

    result = subscriptions.replay(uow, client, sub["subscription_id"], body)
    # only P1: P2 is outside the range, credit.list_changed restricted (and unmatched)
    assert result["queued"] == 1
    [item] = delivery.due_deliveries(uow, now=utcnow())
    assert item.replay and item.headers()["X-Smartcity-Replay"] == "true"
    assert json.loads(item.body) == events[0]  # the same envelope, the same event id
    # a second replay is a new generation of the same event
    assert subscriptions.replay(uow, client, sub["subscription_id"], body)["queued"] == 1
    with pytest.raises(ValidationFailed) as refused:
        subscriptions.replay(uow, client, sub["subscription_id"], {**body, "to": body["from"]})
    assert refused.value.fields == {"to": ["must be after from"]}
    assert event_log.prune(uow, now + timedelta(days=6)) == 0
    assert event_log.prune(uow, now + timedelta(days=8)) == 3  # 7 days of retention


def test_a_rotated_secret_signs_alongside_the_new_one_during_the_overlap(uow):  # noqa: F811
    client, sub = subscribe(uow)
    rotated = subscriptions.rotate_secret(uow, client, sub["subscription_id"], {"overlap_s": 600})
    assert rotated["secret"] != sub["secret"]
    now = utcnow()
    delivery.enqueue_deliveries(uow, occupancy("P1"), now=now)
    [item] = delivery.due_deliveries(uow, now=now)
    ts = str(item.timestamp)
    for secret in (rotated["secret"], sub["secret"]):
        assert webhooks.verify_signature(secret, item.body, ts, item.signature, now)
    delivery.record_attempt(uow, item.delivery_id, 200, now=now)
    delivery.enqueue_deliveries(uow, occupancy("P2"), now=now)
    [after] = delivery.due_deliveries(uow, now=now + timedelta(seconds=601))
    assert not webhooks.verify_signature(
        sub["secret"],
        after.body,
        str(after.timestamp),
        after.signature,
        now + timedelta(seconds=601),
    )
    assert webhooks.verify_signature(
        rotated["secret"],
        after.body,
        str(after.timestamp),
        after.signature,
        now + timedelta(seconds=601),
    )
