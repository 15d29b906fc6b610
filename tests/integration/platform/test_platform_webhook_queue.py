"""The webhook queue's life cycle (queue → take → record) on a PostgreSQL platform database,
migrated, without a broker."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from platform_samples import LI_LEI, registration
from sqlalchemy.orm import sessionmaker

from services.platform import audit, clients, delivery, handlers, subscriptions, webhooks
from services.platform.egress import EgressPolicy
from services.platform.models import Base
from services.platform.service import MIGRATIONS
from shared.db import UnitOfWork, make_engine, migrate
from shared.errors import Forbidden, NotFound, ValidationFailed

T0 = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)


@pytest.fixture
def uow(database_url):
    engine = make_engine(database_url("platform"))
    migrate(engine, "platform", MIGRATIONS, Base.metadata)
    unit = UnitOfWork(sessionmaker(engine, expire_on_commit=False), "platform")
    yield unit
    unit.close()
    engine.dispose()


def public_dns(host: str, port: int) -> list[str]:
    """Every name of these tests resolves to a public address (no network needed)."""
    return ["93.184.216.34"]


def create_webhook(uow, client: str, url: str, patterns: list[str]) -> dict:
    return subscriptions.create_webhook(uow, client, url, patterns, EgressPolicy(), public_dns)


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
    integrator = clients.create_client(uow, "maps", "integrator", None, [])["client_id"]
    department = clients.create_client(uow, "health", "department", "health", [])["client_id"]
    public_hook = create_webhook(uow, integrator, "https://maps.example/h", ["#"])
    restricted_hook = create_webhook(uow, department, "https://h.example/h", ["#"])
    create_webhook(uow, department, "https://h.example/t", ["education.*"])

    # traffic.feed_imported is public: both '#' webhooks; the education.* one does not match.
    queued = delivery.enqueue_deliveries(uow, FEED, now=T0)
    assert {str(d.webhook_id) for d in queued} == {
        public_hook["webhook_id"],
        restricted_hook["webhook_id"],
    }
    # credit.list_changed is restricted: the department only.
    queued = delivery.enqueue_deliveries(uow, LIST_CHANGED, now=T0)
    assert [str(d.webhook_id) for d in queued] == [restricted_hook["webhook_id"]]
    # The same event again queues nothing.
    assert delivery.enqueue_deliveries(uow, FEED, now=T0) == []


def test_restricted_events_reach_only_the_departments_the_table_grants(uow):
    # credit.list_changed is granted to health and tourism, traffic's reservations to traffic
    # alone, and the access events of the audit log to no department at all.
    health = clients.create_client(uow, "health", "department", "health", [])["client_id"]
    tourism = clients.create_client(uow, "tourism", "department", "tourism", [])["client_id"]
    traffic = clients.create_client(uow, "traffic", "department", "traffic", [])["client_id"]
    hooks = {
        client: create_webhook(uow, client, f"https://{n}.example/h", ["#"])["webhook_id"]
        for n, client in enumerate((health, tourism, traffic))
    }
    reserved = envelope(
        "traffic.parking_reserved",
        {
            "reservation_id": str(uuid.uuid4()),
            "lot_id": "P1",
            "card_number": "2101000000000012",
            "starts_at": T0.isoformat(),
            "ends_at": (T0 + timedelta(hours=1)).isoformat(),
        },
    )
    accessed = envelope(
        "health.personal_data_accessed",
        {
            "actor": "x",
            "actor_role": "department",
            "department": "health",
            "subject": "2101000000000012",
            "action": "read",
            "resource": "health.archive",
            "purpose": "care",
        },
    )

    def receivers(event: dict) -> set[str]:
        return {str(d.webhook_id) for d in delivery.enqueue_deliveries(uow, event, now=T0)}

    assert receivers(LIST_CHANGED) == set(hooks.values())
    assert receivers(reserved) == {hooks[traffic]}
    assert receivers(accessed) == set()
    assert receivers(FEED) == set(hooks.values())  # public: everyone


def test_a_delivered_restricted_event_naming_a_resident_is_in_their_access_log(uow):
    card = handlers.register_resident(uow, registration())["card_number"]
    health = clients.create_client(uow, "health", "department", "health", [])
    create_webhook(uow, health["client_id"], "https://h.example/h", ["credit.#"])
    about_a_person = envelope(
        "credit.list_changed", {**LIST_CHANGED_DATA, "subject_type": "individual"}
    )
    about_a_person["data"]["subject_id"] = LI_LEI  # credit names people by ID number
    about_a_person["subject"] = LI_LEI
    delivery.enqueue_deliveries(uow, about_a_person, now=T0)
    delivery.enqueue_deliveries(uow, LIST_CHANGED, now=T0)  # about an organisation
    outgoing = delivery.due_deliveries(uow, now=T0)
    assert len(outgoing) == 2
    before = audit.access_log(uow, card, 50, 0)["total"]

    for item in outgoing:
        delivery.record_attempt(uow, item.delivery_id, 200, now=T0)

    log = audit.access_log(uow, card, 50, 0)
    assert log["total"] == before + 2  # the delivery, and the access_log read before it
    [disclosed] = [item for item in log["items"] if item["resource"].startswith("webhook.")]
    assert disclosed == {
        "occurred_at": T0.isoformat(),
        "department": "health",
        "actor_role": "department",
        "action": "read",
        "resource": "webhook.credit.list_changed",
        "purpose": "event subscription",
        "request_id": None,
    }


def test_a_failing_receiver_is_retried_with_backoff_then_given_up(uow):
    integrator = clients.create_client(uow, "maps", "integrator", None, [])["client_id"]
    hook = create_webhook(uow, integrator, "https://maps.example/h", ["traffic.#"])
    delivery.enqueue_deliveries(uow, FEED, now=T0)

    [outgoing] = delivery.due_deliveries(uow, now=T0)
    assert outgoing.url == "https://maps.example/h"
    assert outgoing.timestamp == int(T0.timestamp())
    assert outgoing.signature == webhooks.sign(hook["secret"], outgoing.timestamp, outgoing.body)
    headers = outgoing.headers()
    assert headers["X-Smartcity-Event"] == "traffic.feed_imported"
    assert headers["X-Smartcity-Timestamp"] == str(outgoing.timestamp)
    # Leased for 60 s: not due again meanwhile. A sender that died (a restart) with it in
    # flight leaves it to whoever looks after the lease: the same delivery, taken again.
    assert delivery.due_deliveries(uow, now=T0 + timedelta(seconds=59)) == []
    [again] = delivery.due_deliveries(uow, now=T0 + timedelta(seconds=60))
    assert (again.delivery_id, again.body) == (outgoing.delivery_id, outgoing.body)

    now = T0 + timedelta(seconds=60)
    for attempt in range(1, webhooks.MAX_ATTEMPTS):
        row = delivery.record_attempt(uow, outgoing.delivery_id, 500, "HTTP 500", now=now)
        # after attempt n the step is 2 * 2**(n-1) s (2, 4 … 128, under the 300 s cap); the
        # jitter waits between half of it and all of it
        step = 2 * 2 ** (attempt - 1)
        assert row.status == "pending" and row.attempts == attempt
        assert now + timedelta(seconds=step / 2) <= row.next_attempt_at
        assert row.next_attempt_at <= now + timedelta(seconds=step)
        now = row.next_attempt_at
    row = delivery.record_attempt(uow, outgoing.delivery_id, None, "ConnectTimeout", now=now)
    assert (row.status, row.attempts, row.last_error) == ("failed", 8, "ConnectTimeout")
    assert delivery.due_deliveries(uow, now=now + timedelta(days=1)) == []
    counters = subscriptions.get_subscription(uow, integrator, hook["webhook_id"])
    assert (counters["times_sent"], counters["fails_counter"]) == (8, 8)
    assert counters["last_failure_reason"] == "ConnectTimeout"
    assert counters["status"] == "active"  # no max_fails set: it stays active


def test_a_2xx_delivers(uow):
    integrator = clients.create_client(uow, "maps", "integrator", None, [])["client_id"]
    create_webhook(uow, integrator, "https://maps.example/h", ["traffic.#"])
    delivery.enqueue_deliveries(uow, FEED, now=T0)
    [outgoing] = delivery.due_deliveries(uow, now=T0)
    row = delivery.record_attempt(uow, outgoing.delivery_id, 204, now=T0)
    assert (row.status, row.attempts, row.delivered_at) == ("delivered", 1, T0)


def test_clients_manage_only_their_own_webhooks(uow):
    maps = clients.create_client(uow, "maps", "integrator", None, [])["client_id"]
    other = clients.create_client(uow, "other", "integrator", None, [])["client_id"]
    operator = clients.create_client(uow, "ops", "operator", None, [])["client_id"]
    hook = create_webhook(uow, maps, "https://maps.example/h", ["traffic.#", "traffic.#"])
    assert hook["patterns"] == ["traffic.#"]  # duplicates collapse
    assert len(hook["secret"]) == 43  # 32 random bytes, urlsafe base64 without padding

    listed = subscriptions.list_webhooks(uow, maps)
    assert listed["total"] == 1 and "secret" not in listed["items"][0]
    assert subscriptions.list_webhooks(uow, other)["total"] == 0
    with pytest.raises(NotFound):
        subscriptions.delete_webhook(uow, other, hook["webhook_id"])
    with pytest.raises(NotFound):
        subscriptions.list_webhook_deliveries(uow, other, hook["webhook_id"])
    with pytest.raises(Forbidden):
        create_webhook(uow, operator, "https://ops.example/h", ["#"])
    with pytest.raises(ValidationFailed) as raised:
        create_webhook(uow, maps, "https://maps.example/h", ["traffic..x"])
    assert "patterns" in raised.value.fields

    assert subscriptions.delete_webhook(uow, maps, hook["webhook_id"])["deleted"] is True
    assert subscriptions.list_webhooks(uow, maps)["total"] == 0


def test_a_hospital_receives_the_events_of_its_own_patients_only(uow):
    # Hospitals are health clients of their unit; the consultation centre speaks for the
    # whole department. A record written by Shengjing for a patient who consented to CMU
    # reaches those two hospitals and the centre, never a third hospital.
    def hospital(unit: str | None) -> str:
        client = clients.create_client(uow, f"health {unit}", "department", "health", [], unit)
        return create_webhook(uow, client["client_id"], f"https://{unit}.example/h", ["health.#"])[
            "webhook_id"
        ]

    hooks = {unit: hospital(unit) for unit in ("shengjing", "cmu", "other", None)}
    record = envelope(
        "health.record_added",
        {
            "resource_type": "Observation",
            "resource_id": "obs-1",
            "patient_id": "pat-1",
            "author_organization_id": "shengjing",
            "notified_organization_ids": ["cmu"],
            "recorded_at": T0.isoformat(),
        },
    )
    queued = {str(d.webhook_id) for d in delivery.enqueue_deliveries(uow, record, now=T0)}
    assert queued == {hooks["shengjing"], hooks["cmu"], hooks[None]}
    # A consent changed for CMU reaches CMU (and the department-wide client) alone.
    consent = envelope(
        "health.consent_changed",
        {
            "consent_id": "c-1",
            "patient_id": "pat-1",
            "organization_id": "cmu",
            "status": "inactive",
            "provision": "deny",
            "changed_at": T0.isoformat(),
        },
    )
    queued = {str(d.webhook_id) for d in delivery.enqueue_deliveries(uow, consent, now=T0)}
    assert queued == {hooks["cmu"], hooks[None]}
