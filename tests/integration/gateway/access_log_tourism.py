"""Access-log exercises of the tourism routes: A's tourist card and tickets."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import requests
from access_log_world import TODAY, World

from services.tourism.service import TourismService

SERVICES = (TourismService,)

TOURIST_VENUE = {
    "venue_id": "AUDIT-PALACE",
    "name": "Mukden Palace",
    "category": "scenic_spot",
    "lat": 41.7968,
    "lon": 123.4510,
    "opens_at": "08:30",
    "closes_at": "17:00",
    "daily_capacity": 100,
    "price": "50.00",
    "operator_credit_code": "91110000600037341L",
}


def _tourist_ticket(world: World) -> requests.Response:
    """A ticket of A's for tomorrow (the venue registered once, A's card requested)."""
    if not getattr(world, "tourist_venue", None):
        office = world.stack.client("department", "tourism", scopes=("tourism.venues",))
        world.ok(world.call("POST", "/api/v1/tourism/venues", office, json=TOURIST_VENUE), 201)
        world.ok(world.as_resident("POST", "/api/v1/tourism/me"))
        world.tourist_venue = TOURIST_VENUE["venue_id"]
    body = {
        "venue_id": world.tourist_venue,
        "visit_date": (TODAY + timedelta(days=1)).isoformat(),
        "visitors": 1,
    }
    return world.as_resident("POST", "/api/v1/tourism/me/tickets", json=body)


def _my_tourist_card(world: World) -> requests.Response:
    world.ok(world.as_resident("POST", "/api/v1/tourism/me"))
    return world.as_resident("GET", "/api/v1/tourism/me")


def _tourist_ticket_id(world: World) -> str:
    return world.ok(_tourist_ticket(world), 201)["ticket_id"]


EXERCISES: dict[str, Callable[[World], requests.Response]] = {
    "tourism_request_card": lambda w: w.as_resident("POST", "/api/v1/tourism/me"),
    "tourism_my_card": _my_tourist_card,
    "tourism_book": _tourist_ticket,
    "tourism_my_tickets": lambda w: w.as_resident("GET", "/api/v1/tourism/me/tickets"),
    "tourism_ticket_qr": lambda w: w.as_resident(
        "GET", f"/api/v1/tourism/me/tickets/{_tourist_ticket_id(w)}/qr"
    ),
    "tourism_cancel_ticket": lambda w: w.as_resident(
        "POST", f"/api/v1/tourism/me/tickets/{_tourist_ticket_id(w)}/cancel"
    ),
}
