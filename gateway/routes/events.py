"""The event catalogue for integrators: public, computed from the shared contracts (the same
code writes ``docs/events.md``), no service call."""

from __future__ import annotations

from typing import Any

from gateway.access import PUBLIC
from gateway.http import Call, api
from shared.broker_rights import PUBLIC_EXCHANGE
from shared.contracts.catalogue import catalogue_entries
from shared.contracts.subscriptions import Catalogue


class EventRoutes:
    @api(
        "GET",
        "/api/v1/events/catalogue",
        access=PUBLIC,
        tags=("events", "open data"),
        response=Catalogue,
        summary="Every event type: version, classification, JSON Schema, example, personal fields",
    )
    def event_catalogue(self, call: Call) -> dict[str, Any]:
        return {"public_exchange": PUBLIC_EXCHANGE, "events": catalogue_entries()}
