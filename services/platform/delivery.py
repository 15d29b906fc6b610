"""Deliveries of subscriptions: queue them when an event arrives, take the due ones, record
each POST's outcome with Orion's counters.

Everything here is database work on a unit of work; the POST is ``egress``'s and the lanes
that run it are ``sender``'s.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, aliased

from services.platform import audit, event_log, public_feed
from services.platform.handlers import card_exists
from services.platform.models import ApiClient, Webhook, WebhookDelivery
from services.platform.webhooks import (
    DEFAULT_RETRY_BASE_S,
    DELIVERY_HEADER,
    EVENT_HEADER,
    MAX_ATTEMPTS,
    REPLAY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    body_of,
    envelope_of,
    matches_filter,
    may_receive,
    named_identifiers,
    order_key_of,
    retry_delay,
    signature_header,
    topic_matches,
)
from shared.clock import utcnow
from shared.contracts.catalogue import spec_for
from shared.identity import is_valid_card_number

if TYPE_CHECKING:
    from shared.db import UnitOfWork
    from shared.messaging import Event

EVENT_CONSUMER = "platform.webhooks"
"""Idempotency key of the subscriber that logs events and queues deliveries."""
DELIVERY_PURPOSE = "event subscription"
"""The purpose an audited webhook delivery is logged with."""
SEND_LEASE = timedelta(seconds=60)
"""How long a taken delivery is hidden from other senders (longer than one POST can take)."""
ERROR_MAX_LENGTH = 500
SENDING_STATUSES = ("active", "oneshot")
"""Subscriptions whose pending deliveries are sent; an inactive one's wait for reactivation."""


def effective_status(webhook: Webhook, now: datetime) -> str:
    """The status shown: ``expired`` once past ``expires_at``, else the stored one."""
    if (
        webhook.expires_at is not None
        and webhook.expires_at <= now
        and webhook.status != "inactive"
    ):
        return "expired"
    return webhook.status


def queue_event(uow: UnitOfWork, event: Event) -> list[WebhookDelivery]:
    """The ``#`` subscriber, once per event however often it arrives: keep it in the event log,
    put it (without personal fields) in the public feed's outbox when it is public, and queue
    it for the matching subscriptions, all in the worker's transaction."""
    if not uow.claim(event.event_id, EVENT_CONSUMER):
        return []
    envelope = envelope_of(event)
    now = utcnow()
    event_log.append(uow, envelope, now)
    public_feed.enqueue(uow, envelope)
    return enqueue_deliveries(uow, envelope, now)


def enqueue_deliveries(
    uow: UnitOfWork,
    envelope: dict[str, Any],
    now: datetime | None = None,
    only: uuid.UUID | None = None,
) -> list[WebhookDelivery]:
    """Queue the event for every live subscription that matches it and whose owner may see it.

    Integrators receive ``public`` events, departments also the ``restricted`` ones
    ``shared.restricted_events`` grants them (``may_receive``). Inactive and expired
    subscriptions get nothing (a replay fetches what they missed); a one-shot one gets one
    event at a time; within a throttled one's window the event is kept as ``throttled``,
    not sent. ``only`` restricts it to one subscription and makes it a replay (a new
    generation of each delivery).
    """
    now = now or utcnow()
    event_type = envelope["type"]
    event_id = uuid.UUID(str(envelope["event_id"]))
    query = (
        select(Webhook, ApiClient.role, ApiClient.department, ApiClient.unit)
        .join(ApiClient, ApiClient.client_id == Webhook.client_id)
        .where(ApiClient.revoked_at.is_(None))
    )
    if only is not None:
        query = query.where(Webhook.webhook_id == only)
    else:
        # Locked (in a fixed order): the throttling window is read and moved here.
        query = (
            query.where(Webhook.status.in_(SENDING_STATUSES))
            .order_by(Webhook.webhook_id)
            .with_for_update(of=Webhook)
        )
    queued: list[WebhookDelivery] = []
    for webhook, role, department, unit in uow.session.execute(query).all():
        if not _wants(
            uow.session, webhook, (role, department, unit), envelope, now, replay=only is not None
        ):
            continue
        previous = uow.session.scalars(
            select(WebhookDelivery.generation).where(
                WebhookDelivery.webhook_id == webhook.webhook_id,
                WebhookDelivery.event_id == event_id,
            )
        ).all()
        if previous and only is None:
            continue
        throttled = (
            only is None
            and webhook.throttling_s > 0
            and webhook.last_queued_at is not None
            and now < webhook.last_queued_at + timedelta(seconds=webhook.throttling_s)
        )
        if not throttled and only is None:
            webhook.last_queued_at = now
        delivery = WebhookDelivery(
            delivery_id=uuid.uuid4(),
            webhook_id=webhook.webhook_id,
            event_id=event_id,
            event_type=event_type,
            envelope=envelope,
            status="throttled" if throttled else "pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            order_key=order_key_of(envelope),
            generation=max(previous, default=0) + 1 if only is not None else 0,
        )
        uow.session.add(delivery)
        queued.append(delivery)
    uow.session.flush()
    return queued


def _wants(
    session: Session,
    webhook: Webhook,
    owner: tuple[str, str | None, str | None],
    envelope: dict[str, Any],
    now: datetime,
    replay: bool,
) -> bool:
    """``owner``: the subscribing client's role, department and unit."""
    event_type = envelope["type"]
    role, department, unit = owner
    if not may_receive(role, department, event_type, unit, envelope.get("data")):
        return False
    if not any(topic_matches(pattern, event_type) for pattern in webhook.patterns):
        return False
    if not matches_filter(webhook.filter or [], envelope.get("data") or {}):
        return False
    if replay:
        return True
    if effective_status(webhook, now) == "expired":
        return False
    if webhook.status == "oneshot":
        return not _has_pending(session, webhook)
    return True


def _has_pending(session: Session, webhook: Webhook) -> bool:
    return (
        session.scalar(
            select(WebhookDelivery.delivery_id)
            .where(
                WebhookDelivery.webhook_id == webhook.webhook_id,
                WebhookDelivery.status == "pending",
            )
            .limit(1)
        )
        is not None
    )


@dataclass(frozen=True)
class Outgoing:
    """One POST to make: everything the sender needs, detached from the session."""

    delivery_id: str
    url: str
    endpoint: str
    role: str
    event_type: str
    body: bytes
    timestamp: int
    signature: str
    replay: bool = False

    def headers(self) -> dict[str, str]:
        headers = {
            "Content-Type": "application/json",
            EVENT_HEADER: self.event_type,
            DELIVERY_HEADER: self.delivery_id,
            TIMESTAMP_HEADER: str(self.timestamp),
            SIGNATURE_HEADER: self.signature,
        }
        if self.replay:
            headers[REPLAY_HEADER] = "true"
        return headers


def due_deliveries(
    uow: UnitOfWork,
    now: datetime | None = None,
    limit: int = 20,
    lease: timedelta = SEND_LEASE,
    in_flight: Mapping[str, int] | None = None,
    lane_width: int = 4,
) -> list[Outgoing]:
    """Take up to ``limit`` due deliveries and lease them, at most ``lane_width`` per endpoint
    counting the ``in_flight`` POSTs of the caller: one slow receiver fills only its own lane.

    A delivery is due when it is pending, its time has come, its subscription is sending, and
    no earlier delivery (``seq``) of the same subscription and subject is still pending: a
    subscription's events of one subject go out in publish order, one at a time, and a
    failing one holds back only the later ones of its subject. Rows are locked ``FOR UPDATE
    SKIP LOCKED`` so concurrent senders take different ones; the lease (``next_attempt_at``
    pushed by ``lease``) keeps them taken after commit, until ``record_attempt``.
    """
    now = now or utcnow()
    earlier = aliased(WebhookDelivery)
    blocked = exists().where(
        earlier.webhook_id == WebhookDelivery.webhook_id,
        earlier.order_key == WebhookDelivery.order_key,
        earlier.seq < WebhookDelivery.seq,
        earlier.status == "pending",
    )
    query = (
        select(WebhookDelivery, Webhook, ApiClient.role)
        .join(Webhook, Webhook.webhook_id == WebhookDelivery.webhook_id)
        .join(ApiClient, ApiClient.client_id == Webhook.client_id)
        .where(
            WebhookDelivery.status == "pending",
            WebhookDelivery.next_attempt_at <= now,
            Webhook.status.in_(SENDING_STATUSES),
            ~blocked,
        )
        .order_by(WebhookDelivery.seq)
        .limit(limit)
        .with_for_update(skip_locked=True, of=WebhookDelivery)
    )
    lanes = Counter(in_flight or {})
    busy = sorted(endpoint for endpoint, count in lanes.items() if count >= lane_width)
    if busy:
        query = query.where(Webhook.endpoint.not_in(busy))
    outgoing = []
    for delivery, webhook, role in uow.session.execute(query).all():
        if lanes[webhook.endpoint] >= lane_width:
            continue  # not leased: its lock ends with the transaction, another tick takes it
        lanes[webhook.endpoint] += 1
        delivery.next_attempt_at = now + lease
        body = body_of(delivery.envelope)
        timestamp = int(now.timestamp())
        secrets = [webhook.secret]
        if (
            webhook.previous_secret
            and webhook.previous_secret_until
            and now < webhook.previous_secret_until
        ):
            secrets.append(webhook.previous_secret)
        outgoing.append(
            Outgoing(
                str(delivery.delivery_id),
                webhook.url,
                webhook.endpoint,
                role,
                delivery.event_type,
                body,
                timestamp,
                signature_header(secrets, timestamp, body),
                delivery.generation > 0,
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
    """Record one POST's outcome on the delivery and the subscription's counters.

    A 2xx delivers (a one-shot subscription turns inactive). Anything else is retried after
    ``retry_delay`` until ``MAX_ATTEMPTS``, then ``failed``; ``failsCounter`` counts failed
    POSTs in a row, and reaching the subscription's ``max_fails`` turns it inactive.
    ``None`` when the delivery is gone (its subscription was deleted meanwhile).
    """
    now = now or utcnow()
    key = uuid.UUID(str(delivery_id))
    found = uow.session.get(WebhookDelivery, key)
    # Locks in the order every writer takes them: the subscription, then its deliveries.
    webhook = found and uow.session.get(Webhook, found.webhook_id, with_for_update=True)
    delivery = (
        webhook
        and uow.session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.delivery_id == key)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).first()
    )
    if delivery is None or delivery.status != "pending":
        return delivery
    delivery.attempts += 1
    delivery.last_status_code = status_code
    webhook.times_sent += 1
    webhook.last_notification = now
    if status_code is not None and 200 <= status_code < 300:
        delivery.status = "delivered"
        delivery.delivered_at = now
        delivery.last_error = None
        webhook.last_success, webhook.last_success_code = now, status_code
        webhook.fails_counter = 0
        if webhook.status == "oneshot":
            webhook.status = "inactive"
        audit_disclosure(uow, delivery, now)
    else:
        reason = (error or f"HTTP {status_code}")[:ERROR_MAX_LENGTH]
        delivery.last_error = reason
        webhook.last_failure, webhook.last_failure_reason = now, reason
        webhook.fails_counter += 1
        if webhook.max_fails is not None and webhook.fails_counter >= webhook.max_fails:
            webhook.status = "inactive"
        if delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = "failed"
        else:
            delay = retry_delay(delivery.attempts, retry_base_s)
            delivery.next_attempt_at = now + timedelta(seconds=delay)
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
