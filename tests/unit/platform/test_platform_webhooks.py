"""Webhooks without a broker: topic matching, backoff, URL rules, signatures, and the queue's
life cycle (queue → take → record) on a SQLite platform database."""

import hashlib
import hmac
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import sessionmaker

from services.platform import handlers, webhooks
from services.platform.models import Base
from services.platform.service import MIGRATIONS
from shared.db import UnitOfWork, make_engine, migrate
from shared.errors import Forbidden, NotFound, ValidationFailed

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


# --- the queue on a real (SQLite) database ---------------------------------------------------


@pytest.fixture
def uow(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'platform.db'}")
    migrate(engine, "platform", MIGRATIONS, Base.metadata)
    unit = UnitOfWork(sessionmaker(engine, expire_on_commit=False), "platform")
    yield unit
    unit.close()
    engine.dispose()


def envelope(event_type: str, data: dict) -> dict:
    return {
        "event_id": str(uuid.uuid4()),
        "type": event_type,
        "version": 1,
        "occurred_at": T0.isoformat(),
        "source": event_type.split(".")[0],
        "subject": None,
        "request_id": None,
        "data": data,
    }


FEED_DATA = {
    "feed_id": "city-bus",
    "agency": "City Bus",
    "timezone": "Asia/Shanghai",
    "counts": {"stops": 2, "routes": 1},
}
LIST_CHANGED_DATA = {
    "subject_type": "organisation",
    "subject_id": "91310000MA1FL4CT3X",
    "list": "red",
    "change": "added",
    "basis": "tax arrears",
}
FEED = envelope("traffic.feed_imported", FEED_DATA)
LIST_CHANGED = envelope("credit.list_changed", LIST_CHANGED_DATA)


def test_only_matching_visible_webhooks_get_a_delivery_and_only_once(uow):
    integrator = handlers.create_client(uow, "maps", "integrator", None, [])["client_id"]
    department = handlers.create_client(uow, "health", "department", "health", [])["client_id"]
    public_hook = webhooks.create_webhook(uow, integrator, "https://maps.example/h", ["#"])
    restricted_hook = webhooks.create_webhook(uow, department, "https://h.example/h", ["#"])
    webhooks.create_webhook(uow, department, "https://h.example/t", ["education.*"])

    # traffic.feed_imported is public: both '#' webhooks; the education.* one does not match.
    queued = webhooks.enqueue_deliveries(uow, FEED, now=T0)
    assert {str(d.webhook_id) for d in queued} == {
        public_hook["webhook_id"],
        restricted_hook["webhook_id"],
    }
    # credit.list_changed is restricted: the department only.
    queued = webhooks.enqueue_deliveries(uow, LIST_CHANGED, now=T0)
    assert [str(d.webhook_id) for d in queued] == [restricted_hook["webhook_id"]]
    # The same event again queues nothing.
    assert webhooks.enqueue_deliveries(uow, FEED, now=T0) == []


def test_a_failing_receiver_is_retried_with_backoff_then_given_up(uow):
    integrator = handlers.create_client(uow, "maps", "integrator", None, [])["client_id"]
    hook = webhooks.create_webhook(uow, integrator, "https://maps.example/h", ["traffic.#"])
    webhooks.enqueue_deliveries(uow, FEED, now=T0)

    [outgoing] = webhooks.due_deliveries(uow, now=T0)
    assert outgoing.url == "https://maps.example/h"
    assert outgoing.signature == webhooks.sign(hook["secret"], outgoing.body)
    assert outgoing.headers()["X-Smartcity-Event"] == "traffic.feed_imported"
    # Leased for 60 s: not due again meanwhile.
    assert webhooks.due_deliveries(uow, now=T0 + timedelta(seconds=59)) == []

    now = T0
    for attempt in range(1, webhooks.MAX_ATTEMPTS):
        delivery = webhooks.record_attempt(uow, outgoing.delivery_id, 500, "HTTP 500", now=now)
        # after attempt n the wait is 2 * 2**(n-1) s: 2, 4, 8 … 128 (all under the 300 s cap)
        assert delivery.status == "pending" and delivery.attempts == attempt
        assert delivery.next_attempt_at == now + timedelta(seconds=2 * 2 ** (attempt - 1))
        now = delivery.next_attempt_at
    delivery = webhooks.record_attempt(uow, outgoing.delivery_id, None, "ConnectTimeout", now=now)
    assert (delivery.status, delivery.attempts, delivery.last_error) == (
        "failed",
        8,
        "ConnectTimeout",
    )
    assert webhooks.due_deliveries(uow, now=now + timedelta(days=1)) == []


def test_a_2xx_delivers(uow):
    integrator = handlers.create_client(uow, "maps", "integrator", None, [])["client_id"]
    webhooks.create_webhook(uow, integrator, "https://maps.example/h", ["traffic.#"])
    webhooks.enqueue_deliveries(uow, FEED, now=T0)
    [outgoing] = webhooks.due_deliveries(uow, now=T0)
    delivery = webhooks.record_attempt(uow, outgoing.delivery_id, 204, now=T0)
    assert (delivery.status, delivery.attempts, delivery.delivered_at) == ("delivered", 1, T0)


def test_clients_manage_only_their_own_webhooks(uow):
    maps = handlers.create_client(uow, "maps", "integrator", None, [])["client_id"]
    other = handlers.create_client(uow, "other", "integrator", None, [])["client_id"]
    operator = handlers.create_client(uow, "ops", "operator", None, [])["client_id"]
    hook = webhooks.create_webhook(uow, maps, "https://maps.example/h", ["traffic.#", "traffic.#"])
    assert hook["patterns"] == ["traffic.#"]  # duplicates collapse
    assert len(hook["secret"]) == 43  # 32 random bytes, urlsafe base64 without padding

    listed = webhooks.list_webhooks(uow, maps)
    assert listed["total"] == 1 and "secret" not in listed["items"][0]
    assert webhooks.list_webhooks(uow, other)["total"] == 0
    with pytest.raises(NotFound):
        webhooks.delete_webhook(uow, other, hook["webhook_id"])
    with pytest.raises(NotFound):
        webhooks.list_deliveries(uow, other, hook["webhook_id"])
    with pytest.raises(Forbidden):
        webhooks.create_webhook(uow, operator, "https://ops.example/h", ["#"])
    with pytest.raises(ValidationFailed) as raised:
        webhooks.create_webhook(uow, maps, "https://maps.example/h", ["traffic..x"])
    assert "patterns" in raised.value.fields

    assert webhooks.delete_webhook(uow, maps, hook["webhook_id"])["deleted"] is True
    assert webhooks.list_webhooks(uow, maps)["total"] == 0
