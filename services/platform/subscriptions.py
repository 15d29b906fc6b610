"""An API client's subscriptions (and the older ``/webhooks`` view of them): create, read,
change, delete, rotate the secret, replay. A client sees only its own: anyone else's is as
absent as an unknown one (404)."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select

from services.platform import delivery, event_log
from services.platform.egress import EgressPolicy, Resolver, resolve, validate_url
from services.platform.models import ApiClient, Webhook, WebhookDelivery
from services.platform.webhooks import SUBSCRIBER_ROLES, endpoint_of
from shared.clock import utcnow
from shared.contracts.common import Page, load
from shared.contracts.subscriptions import (
    CreateSubscriptionRequest,
    CreateSubscriptionResponse,
    DeleteSubscriptionResponse,
    ReplayRequest,
    ReplayResponse,
    RotateSecretRequest,
    RotateSecretResponse,
    SubscriptionDeliveryPage,
    SubscriptionIdRequest,
    SubscriptionPage,
    SubscriptionSchema,
    UpdateSubscriptionRequest,
)
from shared.contracts.webhooks import (
    CreateWebhookRequest,
    CreateWebhookResponse,
    DeleteWebhookResponse,
    WebhookDeliveryPage,
    WebhookPage,
)
from shared.db import fetch_page
from shared.errors import Conflict, Forbidden, NotFound

if TYPE_CHECKING:
    from shared.db import UnitOfWork

MAX_SUBSCRIPTIONS_PER_CLIENT = 20


def _client_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound("no such API client") from None


def _subscriber(uow: UnitOfWork, client: str) -> ApiClient:
    owner = uow.session.get(ApiClient, _client_id(client))
    if owner is None or owner.revoked_at is not None:
        raise NotFound("no such API client")
    if owner.role not in SUBSCRIBER_ROLES:
        raise Forbidden(f"{owner.role} clients cannot subscribe to events")
    return owner


def own(uow: UnitOfWork, client: str, subscription_id: str, lock: bool = False) -> Webhook:
    """The client's subscription; another client's is as absent as an unknown one."""
    request = load(SubscriptionIdRequest, {"subscription_id": subscription_id})
    webhook = uow.session.get(Webhook, request["subscription_id"], with_for_update=lock)
    if webhook is None or webhook.client_id != _client_id(client):
        raise NotFound("no such subscription")
    return webhook


def _dump(webhook: Webhook, schema: type = SubscriptionSchema) -> dict[str, Any]:
    body = schema().dump(webhook)
    body["status"] = delivery.effective_status(webhook, utcnow())
    return body


def _new(
    uow: UnitOfWork,
    client: str,
    request: dict[str, Any],
    policy: EgressPolicy,
    resolver: Resolver,
    now: datetime | None,
) -> Webhook:
    owner = _subscriber(uow, client)
    validate_url(request["url"], policy, owner.role, resolver)
    count = uow.session.scalar(
        select(func.count()).select_from(Webhook).where(Webhook.client_id == owner.client_id)
    )
    if count >= MAX_SUBSCRIPTIONS_PER_CLIENT:
        raise Conflict(f"a client may have at most {MAX_SUBSCRIPTIONS_PER_CLIENT} subscriptions")
    webhook = Webhook(
        webhook_id=uuid.uuid4(),
        client_id=owner.client_id,
        url=request["url"],
        endpoint=endpoint_of(request["url"]),
        patterns=request["patterns"],
        secret=secrets.token_urlsafe(32),
        created_at=now or utcnow(),
        status=request.get("status", "active"),
        expires_at=request.get("expires_at"),
        throttling_s=request.get("throttling_s", 0),
        filter=request.get("filter", []),
        max_fails=request.get("max_fails"),
        description=request.get("description"),
        times_sent=0,
        fails_counter=0,
    )
    uow.session.add(webhook)
    uow.session.flush()
    return webhook


def create_subscription(
    uow: UnitOfWork,
    client: str,
    payload: dict[str, Any],
    policy: EgressPolicy,
    resolver: Resolver = resolve,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Register a subscription of API client ``client``; the response holds the secret, once."""
    request = load(CreateSubscriptionRequest, payload)
    return _dump(_new(uow, client, request, policy, resolver, now), CreateSubscriptionResponse)


def create_webhook(
    uow: UnitOfWork,
    client: str,
    url: str,
    patterns: list[str],
    policy: EgressPolicy,
    resolver: Resolver = resolve,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The ``/webhooks`` form: a plain active subscription of a URL to patterns."""
    request = load(CreateWebhookRequest, {"url": url, "patterns": patterns})
    return CreateWebhookResponse().dump(_new(uow, client, request, policy, resolver, now))


def _own_list(client: str) -> Any:
    return select(Webhook).where(Webhook.client_id == _client_id(client))


def list_subscriptions(uow: UnitOfWork, client: str, limit: int = 50, offset: int = 0) -> dict:
    """The client's own subscriptions, oldest first, with their counters (no secrets)."""
    page = load(Page, {"limit": limit, "offset": offset})
    found = fetch_page(
        uow.session, _own_list(client), Webhook.created_at, Webhook.webhook_id, **page
    )
    body = SubscriptionPage().dump(found)
    for item, webhook in zip(body["items"], found["items"], strict=True):
        item["status"] = delivery.effective_status(webhook, utcnow())
    return body


def list_webhooks(uow: UnitOfWork, client: str, limit: int = 50, offset: int = 0) -> dict:
    page = load(Page, {"limit": limit, "offset": offset})
    found = fetch_page(
        uow.session, _own_list(client), Webhook.created_at, Webhook.webhook_id, **page
    )
    return WebhookPage().dump(found)


def get_subscription(uow: UnitOfWork, client: str, subscription_id: str) -> dict[str, Any]:
    return _dump(own(uow, client, subscription_id))


def update_subscription(
    uow: UnitOfWork, client: str, subscription_id: str, payload: dict[str, Any]
) -> dict[str, Any]:
    """Change the given settings. Setting ``status`` to ``active`` (or ``oneshot``) reactivates
    it: the failure counter restarts and waiting deliveries are due at once."""
    request = load(UpdateSubscriptionRequest, payload)
    webhook = own(uow, client, subscription_id, lock=True)
    for name, value in request.items():
        setattr(webhook, name, value)
    if request.get("status") in delivery.SENDING_STATUSES:
        webhook.fails_counter = 0
        now = utcnow()
        for waiting in uow.session.scalars(
            select(WebhookDelivery).where(
                WebhookDelivery.webhook_id == webhook.webhook_id,
                WebhookDelivery.status == "pending",
                WebhookDelivery.next_attempt_at > now,
            )
        ):
            waiting.next_attempt_at = now
    uow.session.flush()
    return _dump(webhook)


def delete_subscription(uow: UnitOfWork, client: str, subscription_id: str) -> dict[str, Any]:
    """Delete the subscription with its delivery history; pending deliveries are dropped."""
    webhook = own(uow, client, subscription_id)
    uow.session.execute(
        delete(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook.webhook_id)
    )
    uow.session.delete(webhook)
    uow.session.flush()
    return DeleteSubscriptionResponse().dump(
        {"subscription_id": webhook.webhook_id, "deleted": True}
    )


def delete_webhook(uow: UnitOfWork, client: str, webhook_id: str) -> dict[str, Any]:
    deleted = delete_subscription(uow, client, webhook_id)
    return DeleteWebhookResponse().dump({"webhook_id": deleted["subscription_id"], "deleted": True})


def _deliveries(
    uow: UnitOfWork, client: str, subscription_id: str, limit: int, offset: int
) -> dict[str, Any]:
    webhook = own(uow, client, subscription_id)
    page = load(Page, {"limit": limit, "offset": offset})
    rows = select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook.webhook_id)
    return fetch_page(uow.session, rows, WebhookDelivery.seq.desc(), **page)


def list_deliveries(
    uow: UnitOfWork, client: str, subscription_id: str, limit: int = 50, offset: int = 0
) -> dict[str, Any]:
    """Deliveries of the client's subscription, newest first: what arrived, what is retried."""
    return SubscriptionDeliveryPage().dump(_deliveries(uow, client, subscription_id, limit, offset))


def list_webhook_deliveries(
    uow: UnitOfWork, client: str, webhook_id: str, limit: int = 50, offset: int = 0
) -> dict[str, Any]:
    return WebhookDeliveryPage().dump(_deliveries(uow, client, webhook_id, limit, offset))


def rotate_secret(
    uow: UnitOfWork, client: str, subscription_id: str, payload: dict[str, Any]
) -> dict[str, Any]:
    """A new secret, shown once; the old one still signs deliveries for ``overlap_s`` (each
    delivery then carries two signatures), so the receiver can switch without losing any."""
    request = load(RotateSecretRequest, payload)
    webhook = own(uow, client, subscription_id, lock=True)
    now = utcnow()
    webhook.previous_secret = webhook.secret
    webhook.previous_secret_until = now + timedelta(seconds=request["overlap_s"])
    webhook.secret = secrets.token_urlsafe(32)
    uow.session.flush()
    return RotateSecretResponse().dump(
        {
            "subscription_id": webhook.webhook_id,
            "secret": webhook.secret,
            "previous_valid_until": webhook.previous_secret_until,
        }
    )


def replay(
    uow: UnitOfWork, client: str, subscription_id: str, payload: dict[str, Any]
) -> dict[str, Any]:
    """Queue again, for this subscription, the logged events that occurred in ``[from, to)``
    and that it matches (patterns, filter, the owner's clearance), with their event ids."""
    request = load(ReplayRequest, payload)
    webhook = own(uow, client, subscription_id)
    queued = 0
    for envelope in event_log.occurred_between(uow, request["from_"], request["to"]):
        queued += len(delivery.enqueue_deliveries(uow, envelope, only=webhook.webhook_id))
    return ReplayResponse().dump({"subscription_id": webhook.webhook_id, "queued": queued})
