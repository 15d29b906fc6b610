"""Webhooks without a broker or a database: topic matching, backoff, URL rules, signatures.
The queue's life cycle is in tests/integration/platform/test_platform_webhook_queue.py."""

import hashlib
import hmac
from datetime import UTC, datetime

import pytest

from services.platform import webhooks
from shared.errors import ValidationFailed

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


def test_backoff_doubles_from_the_base_and_is_capped_at_five_minutes():
    # base 2 s: 2, 4, 8, 16, 32, 64, 128, then 256; attempt 9 would be 512 → capped to 300.
    assert [webhooks.retry_delay(n) for n in range(1, 10)] == [
        2,
        4,
        8,
        16,
        32,
        64,
        128,
        256,
        300,
    ]
    assert webhooks.retry_delay(3, base_s=0.1) == pytest.approx(0.4)  # 0.1 * 2**2


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ftp://example.org/hook", "must be an http or https URL"),
        ("https://user:pw@example.org/hook", "must not contain credentials"),
        ("https://token@example.org/hook", "must not contain credentials"),
        ("https:///hook", "has no host"),
        ("http://example.org:99999/hook", "has an invalid port"),
    ],
)
def test_webhook_urls_are_http_without_credentials(url, problem):
    with pytest.raises(ValidationFailed) as raised:
        webhooks.check_url(url)
    assert raised.value.fields == {"url": [problem]}


def test_the_signature_is_the_hex_hmac_sha256_of_the_body():
    body = b'{"type":"traffic.feed_imported"}'
    expected = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert webhooks.sign("s3cret", body) == f"sha256={expected}"
