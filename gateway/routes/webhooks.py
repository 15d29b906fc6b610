"""Webhooks: integrators and departments receive city events by signed HTTP POST.

A client manages only its own webhooks (the platform answers 404 for anyone else's); which
events reach it is decided by its role when the event is queued (see the platform README).
"""

from __future__ import annotations

from typing import Any

from gateway.access import INTEGRATOR, Department
from gateway.http import Call, api
from shared.contracts import platform as contract

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
        query=contract.Page,
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
        query=contract.Page,
        response=contract.WebhookDeliveryPage,
        summary="Deliveries of my webhook, newest first: status, attempts, last error",
    )
    def webhook_deliveries(self, call: Call) -> dict[str, Any]:
        return self.services.platform.webhook_deliveries(
            call.principal.id, call.path["webhook_id"], call.query["limit"], call.query["offset"]
        )
