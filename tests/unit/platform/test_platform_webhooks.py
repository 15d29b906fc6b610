"""Subscriptions without a broker or a database: topic matching, payload filters, backoff with
jitter, signatures and their check. URL rules are in test_platform_egress.py; the queue's life
cycle in tests/integration/platform/test_platform_webhook_queue.py."""

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from services.platform import webhooks

T0 = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("pattern", "routing_key", "expected"),
    [
        ("traffic.#", "traffic.feed_imported", True),
        ("traffic.#", "traffic", True),  # '#' matches zero words
        ("traffic.#", "credit.list_changed", False),
        ("#", "credit.list_changed", True),
        ("*.card_linked", "education.card_linked", True),
        ("*.card_linked", "card_linked", False),  # '*' is exactly one word
        ("*", "traffic.feed_imported", False),
        ("traffic.*", "traffic.feed_imported", True),
        ("traffic.feed_imported", "traffic.feed_imported", True),
        ("traffic.feed_imported", "traffic.feed", False),
        ("#.feed_imported", "traffic.feed_imported", True),
        ("#.*", "traffic.feed_imported", True),
        ("a.#.b", "a.b", True),
        ("a.#.b", "a.x.y.b", True),
        ("a.#.b", "a.x.y.c", False),
    ],
)
def test_topic_patterns_follow_amqp_semantics(pattern, routing_key, expected):
    assert webhooks.topic_matches(pattern, routing_key) is expected


OCCUPANCY = {"lot_id": "P1", "occupied": 40, "capacity": 50, "counts": {"bus": 3}, "open": True}


@pytest.mark.parametrize(
    ("conditions", "expected"),
    [
        ([], True),
        ([{"field": "lot_id", "op": "eq", "value": "P1"}], True),
        ([{"field": "lot_id", "op": "ne", "value": "P1"}], False),
        # a range is two conditions (AND)
        (
            [
                {"field": "occupied", "op": "gte", "value": 40},
                {"field": "occupied", "op": "lt", "value": 45},
            ],
            True,
        ),
        ([{"field": "occupied", "op": "gt", "value": 40}], False),
        ([{"field": "counts.bus", "op": "lte", "value": 3}], True),  # dotted path
        ([{"field": "missing", "op": "eq", "value": 1}], False),
        ([{"field": "lot_id", "op": "gt", "value": 3}], False),  # text vs number: no match
        ([{"field": "open", "op": "gt", "value": 0}], False),  # booleans are not numbers
        ([{"field": "lot_id", "op": "lt", "value": "P2"}], True),  # text orders as text
    ],
)
def test_payload_filters_compare_fields_by_equality_and_ranges(conditions, expected):
    assert webhooks.matches_filter(conditions, OCCUPANCY) is expected


def test_backoff_doubles_from_the_base_with_jitter_and_is_capped_at_five_minutes():
    # without jitter the steps are 2, 4, 8 … 256, then 300; jitter picks a point in the
    # upper half of each step.
    steps = [2, 4, 8, 16, 32, 64, 128, 256, 300]
    low = [webhooks.retry_delay(n, jitter=lambda: 0.0) for n in range(1, 10)]
    high = [webhooks.retry_delay(n, jitter=lambda: 1.0) for n in range(1, 10)]
    assert low == [step / 2 for step in steps]
    assert high == steps
    delays = {webhooks.retry_delay(5) for _ in range(20)}
    assert len(delays) > 1 and all(16 <= d <= 32 for d in delays)
    assert webhooks.retry_delay(3, base_s=0.1, jitter=lambda: 1.0) == pytest.approx(0.4)


def test_the_signature_covers_timestamp_and_body_and_the_receiver_check_refuses_stale_ones():
    body = b'{"type":"traffic.feed_imported"}'
    ts = int(T0.timestamp())
    expected = hmac.new(b"s3cret", f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    assert webhooks.sign("s3cret", ts, body) == f"sha256={expected}"
    # during a rotation's overlap both secrets sign; the receiver accepts either
    header = webhooks.signature_header(["new", "s3cret"], ts, body)
    assert header == f"{webhooks.sign('new', ts, body)}, sha256={expected}"
    for secret in ("new", "s3cret"):
        assert webhooks.verify_signature(secret, body, str(ts), header, T0)
    assert not webhooks.verify_signature("other", body, str(ts), header, T0)
    assert not webhooks.verify_signature("new", body + b" ", str(ts), header, T0)
    # five minutes either way is fresh; older (a replayed capture) or far ahead is not
    assert webhooks.verify_signature("new", body, str(ts), header, T0 + timedelta(seconds=300))
    assert not webhooks.verify_signature("new", body, str(ts), header, T0 + timedelta(seconds=301))
    assert not webhooks.verify_signature("new", body, str(ts), header, T0 - timedelta(seconds=301))
    assert not webhooks.verify_signature("new", body, "soon", header, T0)


def test_deliveries_keep_order_per_subject_or_per_type_without_one():
    assert (
        webhooks.order_key_of({"type": "traffic.parking_occupancy_changed", "subject": "P1"})
        == "P1"
    )
    assert webhooks.order_key_of({"type": "traffic.feed_imported", "subject": None}) == (
        "traffic.feed_imported"
    )
    assert webhooks.endpoint_of("https://Maps.example/h?x=1") == "https://maps.example:443"
    assert webhooks.endpoint_of("http://127.0.0.1:8080/a") == "http://127.0.0.1:8080"
