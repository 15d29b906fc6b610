"""Webhooks: API clients subscribe to city events and receive them by signed HTTP POST.

The platform's ``#`` subscriber queues one delivery row per matching webhook
(``enqueue_deliveries``); a sender takes due rows (``due_deliveries``), POSTs them and records
the outcome (``record_attempt``), retrying with exponential backoff. Everything here is
database work on the worker's unit of work and pure logic; the HTTP call is the service's.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy import func, select

from services.platform import audit
from services.platform.handlers import card_exists
from services.platform.models import ApiClient, Webhook, WebhookDelivery
from shared.clock import utcnow
from shared.contracts.catalogue import spec_for
from shared.contracts.common import load
from shared.contracts.platform import (
    CreateWebhookRequest,
    CreateWebhookResponse,
    DeleteWebhookResponse,
    Page,
    WebhookDeliveryPage,
    WebhookIdRequest,
    WebhookPage,
)
from shared.db import fetch_page
from shared.errors import Conflict, Forbidden, NotFound, invalid
from shared.identity import is_valid_card_number, is_valid_resident_id
from shared.restricted_events import restricted_patterns

if TYPE_CHECKING:
    from shared.db import UnitOfWork
    from shared.messaging import Event

EVENT_CONSUMER = "platform.webhooks"
"""Idempotency key of the subscriber that queues deliveries."""

SUBSCRIBER_ROLES: tuple[str, ...] = ("integrator", "department")
DELIVERY_PURPOSE = "event subscription"
"""The purpose an audited webhook delivery is logged with."""
_RESIDENT_FIELDS = ("card_number", "subject_id", "subject")
"""Fields of an event's data that may name a resident (by card or ID number)."""

MAX_WEBHOOKS_PER_CLIENT = 20
MAX_ATTEMPTS = 8
"""After this many failed attempts a delivery is ``failed`` and no longer retried."""
DEFAULT_RETRY_BASE_S = 2.0
MAX_RETRY_DELAY_S = 300.0
SEND_LEASE = timedelta(seconds=60)
"""How long a taken delivery is hidden from other senders (longer than one POST can take)."""
ERROR_MAX_LENGTH = 500

SIGNATURE_HEADER = "X-Smartcity-Signature"
EVENT_HEADER = "X-Smartcity-Event"
DELIVERY_HEADER = "X-Smartcity-Delivery"


# --- pure logic -------------------------------------------------------------------------------


def topic_matches(pattern: str, routing_key: str) -> bool:
    """AMQP topic semantics over dot-separated words: ``*`` is one word, ``#`` zero or more."""
    return _words_match(pattern.split("."), routing_key.split("."))


def _words_match(pattern: Sequence[str], words: Sequence[str]) -> bool:
    if not pattern:
        return not words
    head, rest = pattern[0], pattern[1:]
    if head == "#":
        return any(_words_match(rest, words[skip:]) for skip in range(len(words) + 1))
    if not words:
        return False
    return head in ("*", words[0]) and _words_match(rest, words[1:])


def may_receive(role: str, department: str | None, event_type: str) -> bool:
    """Whether a client of ``role`` (and ``department``) may receive an event of this type.

    Public events reach every subscriber; a restricted one only a department that
    ``shared.restricted_events`` grants it to (integrators consume open data only).
    """
    if role not in SUBSCRIBER_ROLES:
        return False
    if spec_for(event_type).classification == "public":
        return True
    patterns = restricted_patterns(department) if role == "department" else ()
    return any(topic_matches(pattern, event_type) for pattern in patterns)


def named_identifiers(envelope: dict[str, Any]) -> set[str]:
    """The card and ID numbers an event names: its ``subject`` and the data fields that can
    name a resident. Pure: whether they belong to a registered resident is the caller's."""
    data = envelope.get("data") or {}
    values = [envelope.get("subject"), *(data.get(name) for name in _RESIDENT_FIELDS)]
    return {
        value
        for value in values
        if isinstance(value, str) and (is_valid_card_number(value) or is_valid_resident_id(value))
    }


def retry_delay(attempts: int, base_s: float = DEFAULT_RETRY_BASE_S) -> float:
    """Seconds to wait after ``attempts`` failures: base, twice that, 4 times … at most 5 min."""
    return min(base_s * 2 ** (attempts - 1), MAX_RETRY_DELAY_S)


def check_url(url: str) -> str:
    """An http(s) URL with a host and no credentials (they would sit in logs and in the table)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise invalid("url", "must be an http or https URL")
    if not parts.hostname:
        raise invalid("url", "has no host")
    if parts.username is not None or parts.password is not None:
        raise invalid("url", "must not contain credentials")
    try:
        parts.port  # noqa: B018 - raises for a malformed port
    except ValueError:
        raise invalid("url", "has an invalid port") from None
    return url


def sign(secret: str, body: bytes) -> str:
    """The ``X-Smartcity-Signature`` value: ``sha256=<hex HMAC-SHA256 of the body>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def envelope_of(event: Event) -> dict[str, Any]:
    """The JSON envelope of a received event, ``data`` dumped back through its catalogue schema."""
    return {
        "event_id": event.event_id,
        "type": event.type,
        "version": event.version,
        "occurred_at": event.occurred_at.isoformat(),
        "source": event.source,
        "subject": event.subject,
        "request_id": event.request_id,
        "data": spec_for(event.type).schema().dump(event.data),
    }


def body_of(envelope: dict[str, Any]) -> bytes:
    """The bytes POSTed (and signed): compact JSON."""
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode()


# --- webhooks of a client ---------------------------------------------------------------------


def _client_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound("no such API client") from None


def _own_webhook(uow: UnitOfWork, client_id: str, webhook_id: str) -> Webhook:
    """The client's webhook; another client's is as absent as an unknown one."""
    request = load(WebhookIdRequest, {"webhook_id": webhook_id})
    webhook = uow.session.get(Webhook, request["webhook_id"])
    if webhook is None or webhook.client_id != _client_id(client_id):
        raise NotFound("no such webhook")
    return webhook


def create_webhook(
    uow: UnitOfWork, client: str, url: str, patterns: list[str], now: datetime | None = None
) -> dict[str, Any]:
    """Register a webhook of API client ``client``; the response holds the secret, once."""
    request = load(CreateWebhookRequest, {"url": url, "patterns": patterns})
    check_url(request["url"])
    owner = uow.session.get(ApiClient, _client_id(client))
    if owner is None or owner.revoked_at is not None:
        raise NotFound("no such API client")
    if owner.role not in SUBSCRIBER_ROLES:
        raise Forbidden(f"{owner.role} clients cannot register webhooks")
    count = uow.session.scalar(
        select(func.count()).select_from(Webhook).where(Webhook.client_id == owner.client_id)
    )
    if count >= MAX_WEBHOOKS_PER_CLIENT:
        raise Conflict(f"a client may have at most {MAX_WEBHOOKS_PER_CLIENT} webhooks")
    webhook = Webhook(
        webhook_id=uuid.uuid4(),
        client_id=owner.client_id,
        url=request["url"],
        patterns=request["patterns"],
        secret=secrets.token_urlsafe(32),
        created_at=now or utcnow(),
    )
    uow.session.add(webhook)
    uow.session.flush()
    return CreateWebhookResponse().dump(webhook)


def list_webhooks(uow: UnitOfWork, client: str, limit: int = 50, offset: int = 0) -> dict[str, Any]:
    """The client's own webhooks, oldest first (without their secrets)."""
    page = load(Page, {"limit": limit, "offset": offset})
    own = select(Webhook).where(Webhook.client_id == _client_id(client))
    order = (Webhook.created_at, Webhook.webhook_id)
    return WebhookPage().dump(fetch_page(uow.session, own, *order, **page))


def delete_webhook(uow: UnitOfWork, client: str, webhook_id: str) -> dict[str, Any]:
    """Delete the client's webhook with its delivery history; pending deliveries are dropped."""
    webhook = _own_webhook(uow, client, webhook_id)
    for delivery in uow.session.scalars(
        select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook.webhook_id)
    ):
        uow.session.delete(delivery)
    uow.session.flush()
    uow.session.delete(webhook)
    uow.session.flush()
    return DeleteWebhookResponse().dump({"webhook_id": webhook.webhook_id, "deleted": True})


def list_deliveries(
    uow: UnitOfWork, client: str, webhook_id: str, limit: int = 50, offset: int = 0
) -> dict[str, Any]:
    """Deliveries of the client's webhook, newest first: what arrived, what is retried."""
    webhook = _own_webhook(uow, client, webhook_id)
    page = load(Page, {"limit": limit, "offset": offset})
    deliveries = select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook.webhook_id)
    order = (WebhookDelivery.created_at.desc(), WebhookDelivery.delivery_id)
    return WebhookDeliveryPage().dump(fetch_page(uow.session, deliveries, *order, **page))


# --- queueing and sending ---------------------------------------------------------------------


def enqueue_deliveries(
    uow: UnitOfWork, envelope: dict[str, Any], now: datetime | None = None
) -> list[WebhookDelivery]:
    """Queue the event for every webhook that subscribed to its type and whose owner may see it.

    Owners are live API clients; integrators receive ``public`` events, departments ``public``
    ones and the ``restricted`` ones ``shared.restricted_events`` grants them (``may_receive``).
    A webhook that already has this event is skipped.
    """
    now = now or utcnow()
    event_type = envelope["type"]
    event_id = uuid.UUID(str(envelope["event_id"]))
    candidates = uow.session.execute(
        select(Webhook, ApiClient.role, ApiClient.department)
        .join(ApiClient, ApiClient.client_id == Webhook.client_id)
        .where(ApiClient.revoked_at.is_(None))
    ).all()
    queued: list[WebhookDelivery] = []
    for webhook, role, department in candidates:
        if not may_receive(role, department, event_type):
            continue
        if not any(topic_matches(pattern, event_type) for pattern in webhook.patterns):
            continue
        already = uow.session.scalar(
            select(WebhookDelivery.delivery_id).where(
                WebhookDelivery.webhook_id == webhook.webhook_id,
                WebhookDelivery.event_id == event_id,
            )
        )
        if already is not None:
            continue
        delivery = WebhookDelivery(
            delivery_id=uuid.uuid4(),
            webhook_id=webhook.webhook_id,
            event_id=event_id,
            event_type=event_type,
            envelope=envelope,
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        uow.session.add(delivery)
        queued.append(delivery)
    uow.session.flush()
    return queued


def queue_event(uow: UnitOfWork, event: Event) -> list[WebhookDelivery]:
    """The ``#`` subscriber: queue a received event once, however often it is delivered."""
    if not uow.claim(event.event_id, EVENT_CONSUMER):
        return []
    return enqueue_deliveries(uow, envelope_of(event))


@dataclass(frozen=True)
class Outgoing:
    """One POST to make: everything the sender needs, detached from the session."""

    delivery_id: str
    url: str
    event_type: str
    body: bytes
    signature: str

    def headers(self) -> dict[str, str]:
        return {
            "Content-Type": "application/json",
            EVENT_HEADER: self.event_type,
            DELIVERY_HEADER: self.delivery_id,
            SIGNATURE_HEADER: self.signature,
        }


def due_deliveries(
    uow: UnitOfWork, now: datetime | None = None, limit: int = 20, lease: timedelta = SEND_LEASE
) -> list[Outgoing]:
    """Take up to ``limit`` pending deliveries that are due, oldest first, and lease them.

    The rows are locked with ``FOR UPDATE SKIP LOCKED``, so concurrent senders take different rows;
    the lease (``next_attempt_at`` pushed by ``lease``) keeps them taken once the caller commits,
    until ``record_attempt``.
    """
    now = now or utcnow()
    rows = uow.session.execute(
        select(WebhookDelivery, Webhook)
        .join(Webhook, Webhook.webhook_id == WebhookDelivery.webhook_id)
        .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
        .order_by(WebhookDelivery.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True, of=WebhookDelivery)
    ).all()
    outgoing = []
    for delivery, webhook in rows:
        delivery.next_attempt_at = now + lease
        body = body_of(delivery.envelope)
        outgoing.append(
            Outgoing(
                str(delivery.delivery_id),
                webhook.url,
                delivery.event_type,
                body,
                sign(webhook.secret, body),
            )
        )
    uow.session.flush()
    return outgoing


def record_attempt(
    uow: UnitOfWork,
    delivery_id: str,
    status_code: int | None,
    error: str | None = None,
    now: datetime | None = None,
    retry_base_s: float = DEFAULT_RETRY_BASE_S,
) -> WebhookDelivery | None:
    """Record one POST's outcome: a 2xx delivers; anything else is retried after
    ``retry_delay`` until ``MAX_ATTEMPTS``, then ``failed`` with the last error kept.

    ``None`` when the delivery is gone (its webhook was deleted meanwhile).
    """
    now = now or utcnow()
    delivery = uow.session.get(WebhookDelivery, uuid.UUID(str(delivery_id)), with_for_update=True)
    if delivery is None or delivery.status != "pending":
        return delivery
    delivery.attempts += 1
    delivery.last_status_code = status_code
    if status_code is not None and 200 <= status_code < 300:
        delivery.status = "delivered"
        delivery.delivered_at = now
        delivery.last_error = None
        audit_disclosure(uow, delivery, now)
    else:
        delivery.last_error = (error or f"HTTP {status_code}")[:ERROR_MAX_LENGTH]
        if delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = "failed"
        else:
            delivery.next_attempt_at = now + timedelta(
                seconds=retry_delay(delivery.attempts, retry_base_s)
            )
    uow.session.flush()
    return delivery


def audit_disclosure(uow: UnitOfWork, delivery: WebhookDelivery, now: datetime) -> None:
    """A delivered restricted event disclosed the data of each resident it names: one entry in
    each one's access log, by the receiving client, in the transaction that marks it delivered.
    """
    if spec_for(delivery.event_type).classification != "restricted":
        return
    client = uow.session.scalars(
        select(ApiClient)
        .join(Webhook, Webhook.client_id == ApiClient.client_id)
        .where(Webhook.webhook_id == delivery.webhook_id)
    ).one()
    accessor = {
        "actor": str(client.client_id),
        "actor_role": client.role,
        "department": client.department,
        "purpose": DELIVERY_PURPOSE,
        "request_id": delivery.envelope.get("request_id"),
    }
    residents = set()
    for identifier in named_identifiers(delivery.envelope):
        card = audit.subject_card(uow, identifier)
        if is_valid_card_number(card) and card_exists(uow, card):
            residents.add(card)
    for card in sorted(residents):
        audit.record_access_by(uow, accessor, card, "read", f"webhook.{delivery.event_type}", now)
