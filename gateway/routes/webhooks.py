"""Webhooks: integrators and departments receive city events by signed HTTP POST.

A client manages only its own webhooks (the platform answers 404 for anyone else's); which
events reach it is decided by its role when the event is queued (see the platform README).
"""

from __future__ import annotations

from typing import Any

from gateway.access import INTEGRATOR, Department
from gateway.http import Call, api
from shared.contracts import subscriptions as subs
from shared.contracts import webhooks as contract
from shared.contracts.common import Page

SUBSCRIBERS = INTEGRATOR | Department("events.subscribe")


class WebhookRoutes:
    @api(
        "POST",
        "/api/v1/webhooks",
        access=SUBSCRIBERS,
        status=201,
        tags=("webhooks",),
        summary="Subscribe a URL to event types (topic patterns); the signing secret is shown once",
        body=contract.CreateWebhookRequest,
        response=contract.CreateWebhookResponse,
    )
    def create_webhook(self, call: Call) -> dict[str, Any]:
        return self.services.platform.create_webhook(
            call.principal.id, call.json["url"], call.json["patterns"]
        )

    @api(
        "GET",
        "/api/v1/webhooks",
        access=SUBSCRIBERS,
        tags=("webhooks",),
        query=Page,
        response=contract.WebhookPage,
        summary="My webhooks",
    )
    def list_webhooks(self, call: Call) -> dict[str, Any]:
        return self.services.platform.list_webhooks(
            call.principal.id, call.query["limit"], call.query["offset"]
        )

    @api(
        "DELETE",
        "/api/v1/webhooks/<webhook_id>",
        access=SUBSCRIBERS,
        tags=("webhooks",),
        response=contract.DeleteWebhookResponse,
        summary="Delete my webhook and its delivery history",
    )
    def delete_webhook(self, call: Call) -> dict[str, Any]:
        return self.services.platform.delete_webhook(call.principal.id, call.path["webhook_id"])

    @api(
        "GET",
        "/api/v1/webhooks/<webhook_id>/deliveries",
        access=SUBSCRIBERS,
        tags=("webhooks",),
        query=Page,
        response=contract.WebhookDeliveryPage,
        summary="Deliveries of my webhook, newest first: status, attempts, last error",
    )
    def webhook_deliveries(self, call: Call) -> dict[str, Any]:
        return self.services.platform.webhook_deliveries(
            call.principal.id, call.path["webhook_id"], call.query["limit"], call.query["offset"]
        )


SUBSCRIPTION = "/api/v1/subscriptions/<subscription_id>"


class SubscriptionRoutes:
    """``/api/v1/subscriptions``: the webhooks above with Orion's model (filters, expiry,
    throttling, one-shot, counters, failure limit), replay and secret rotation. A webhook
    created under ``/webhooks`` is a subscription too (same id)."""

    @api(
        "POST",
        "/api/v1/subscriptions",
        access=SUBSCRIBERS,
        status=201,
        tags=("subscriptions",),
        summary="Subscribe a URL to event types, optionally filtered; the secret is shown once",
        body=subs.CreateSubscriptionRequest,
        response=subs.CreateSubscriptionResponse,
    )
    def create_subscription(self, call: Call) -> dict[str, Any]:
        return self.services.platform.create_subscription(call.principal.id, call.json)

    @api(
        "GET",
        "/api/v1/subscriptions",
        access=SUBSCRIBERS,
        tags=("subscriptions",),
        query=Page,
        response=subs.SubscriptionPage,
        summary="My subscriptions with their status and counters",
    )
    def list_subscriptions(self, call: Call) -> dict[str, Any]:
        return self.services.platform.list_subscriptions(
            call.principal.id, call.query["limit"], call.query["offset"]
        )

    @api(
        "GET",
        SUBSCRIPTION,
        access=SUBSCRIBERS,
        tags=("subscriptions",),
        response=subs.SubscriptionSchema,
        summary="One of my subscriptions: status, timesSent, lastSuccess, lastFailure …",
    )
    def get_subscription(self, call: Call) -> dict[str, Any]:
        return self.services.platform.get_subscription(
            call.principal.id, call.path["subscription_id"]
        )

    @api(
        "PATCH",
        SUBSCRIPTION,
        access=SUBSCRIBERS,
        tags=("subscriptions",),
        body=subs.UpdateSubscriptionRequest,
        response=subs.SubscriptionSchema,
        summary="Change my subscription; status=active reactivates it",
    )
    def update_subscription(self, call: Call) -> dict[str, Any]:
        return self.services.platform.update_subscription(
            call.principal.id, call.path["subscription_id"], call.json
        )

    @api(
        "DELETE",
        SUBSCRIPTION,
        access=SUBSCRIBERS,
        tags=("subscriptions",),
        response=subs.DeleteSubscriptionResponse,
        summary="Delete my subscription and its delivery history",
    )
    def delete_subscription(self, call: Call) -> dict[str, Any]:
        return self.services.platform.delete_subscription(
            call.principal.id, call.path["subscription_id"]
        )

    @api(
        "GET",
        SUBSCRIPTION + "/deliveries",
        access=SUBSCRIBERS,
        tags=("subscriptions",),
        query=Page,
        response=subs.SubscriptionDeliveryPage,
        summary="Deliveries of my subscription, newest first",
    )
    def subscription_deliveries(self, call: Call) -> dict[str, Any]:
        return self.services.platform.subscription_deliveries(
            call.principal.id,
            call.path["subscription_id"],
            call.query["limit"],
            call.query["offset"],
        )

    @api(
        "POST",
        SUBSCRIPTION + "/replay",
        access=SUBSCRIBERS,
        status=202,
        tags=("subscriptions",),
        body=subs.ReplayRequest,
        response=subs.ReplayResponse,
        summary="Deliver again the matching events published in [from, to), same event ids",
    )
    def replay_subscription(self, call: Call) -> dict[str, Any]:
        return self.services.platform.replay_subscription(
            call.principal.id, call.path["subscription_id"], call.json
        )

    @api(
        "POST",
        SUBSCRIPTION + "/secret",
        access=SUBSCRIBERS,
        tags=("subscriptions",),
        body=subs.RotateSecretRequest,
        response=subs.RotateSecretResponse,
        summary="Rotate my signing secret; the old one signs too during the overlap",
    )
    def rotate_subscription_secret(self, call: Call) -> dict[str, Any]:
        return self.services.platform.rotate_subscription_secret(
            call.principal.id, call.path["subscription_id"], call.json or {}
        )
