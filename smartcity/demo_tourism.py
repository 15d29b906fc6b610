"""Tourism demo data, loaded over the gateway's HTTP API: venues, a gate's count, a visitor.

Idempotent: a venue registered before answers 409 (kept), a gate's count is replaced, a
visitor registered before is renewed (200). The demo residents need nothing here: each got a
resident-tourist card when the platform issued their citizen card.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import requests

from shared.clock import city_today

CLIENTS = {
    "tourism": ("department", "tourism", ["tourism.venues"], None),
    "tourism_desk": ("department", "tourism", ["tourism.visitors"], None),
    "tourism_gate_palace": ("department", "tourism", ["tourism.gate"], "DEMO-PALACE"),
}
"""name → (role, department, scopes, unit): the venue office, the service centre's desk and
the gate of the Mukden Palace (its unit is the venue id)."""

OPERATOR = "91110000600037341L"
VENUES = (
    {
        "venue_id": "DEMO-PALACE",
        "name": "Mukden Palace (Shenyang Imperial Palace)",
        "category": "scenic_spot",
        "lat": 41.7968,
        "lon": 123.4510,
        "opens_at": "08:30",
        "closes_at": "17:00",
        "daily_capacity": 3000,
        "price": "50.00",
        "operator_credit_code": OPERATOR,
    },
    {
        "venue_id": "DEMO-ZHONGJIE",
        "name": "Zhongjie night market",
        "category": "shop",
        "lat": 41.8010,
        "lon": 123.4600,
        "opens_at": "18:00",
        "closes_at": "02:00",
        "daily_capacity": 5000,
        "price": "0.00",
        "operator_credit_code": OPERATOR,
    },
    {
        "venue_id": "DEMO-HOTEL",
        "name": "Fangyuan Hotel",
        "category": "hotel",
        "lat": 41.7850,
        "lon": 123.4390,
        "opens_at": "00:00",
        "closes_at": "23:59",
        "daily_capacity": 200,
        "price": "380.00",
        "operator_credit_code": OPERATOR,
    },
)


def load(gateway: str, keys: dict[str, str], cards: list[str]) -> str:
    """Load the tourism demo data; returns a one-line summary."""
    for venue in VENUES:
        _send(gateway, "POST", "/api/v1/tourism/venues", keys["tourism"], venue)
    _send(
        gateway,
        "PUT",
        "/api/v1/tourism/venues/DEMO-PALACE/occupancy",
        keys["tourism_gate_palace"],
        {"present": 420},
    )
    visitor = _send(
        gateway,
        "POST",
        "/api/v1/tourism/visitors",
        keys["tourism_desk"],
        {
            "name": "Anna Schmidt",
            "document_type": "passport",
            "document_number": "C01X00T47",
            "expires_on": (city_today() + timedelta(days=14)).isoformat(),
        },
    )
    return (
        f"tourism: {len(VENUES)} venues, visitor card {visitor['card_id']}; "
        f"{len(cards)} demo residents hold resident-tourist cards from their citizen cards"
    )


def _send(gateway: str, method: str, path: str, key: str, body: dict[str, Any]) -> dict:
    response = requests.request(
        method,
        f"{gateway}{path}",
        json=body,
        timeout=15,
        headers={"Authorization": f"Bearer {key}"},
    )
    if response.status_code not in (200, 201, 409):
        raise RuntimeError(f"demo: {path} answered {response.status_code}: {response.text}")
    return response.json()
