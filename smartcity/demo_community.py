"""Community demo data, loaded over the gateway: the handling offices' and grid workers' API
clients, three grid cells of Heping district with their base data, and one incident reported
by the grid worker. Residents' applications are theirs to file (they need a resident login).

Loading twice is harmless: cells are put (create or replace) and the incident is reported
only while the grid has none.
"""

from __future__ import annotations

from typing import Any

import requests

CLIENTS: dict[str, tuple[str, str | None, list[str], str | None]] = {
    "community-civil-affairs": ("department", "community", ["community.affairs"], "civil-affairs"),
    "community-disability": (
        "department",
        "community",
        ["community.affairs"],
        "disabled-persons-federation",
    ),
    "community-employment": ("department", "community", ["community.affairs"], "human-resources"),
    "community-grid-centre": ("department", "community", ["community.grid"], None),
    "community-grid-heping": ("department", "community", ["community.grid"], "grid-heping-01"),
}


def _square(lon: float, lat: float, size: float = 0.01) -> dict[str, Any]:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [[[round(x, 6), round(y, 6)] for x, y in ring]]}


CELLS = {
    "HP-001": ("Zhongshan Square", 123.40, 41.79, 420, 1180, 14),
    "HP-002": ("Taiyuan Street", 123.41, 41.79, 380, 1005, 9),
    "HP-003": ("Nanjing Street", 123.40, 41.80, 510, 1420, 21),
}


def load(gateway: str, keys: dict[str, str], cards: list[str]) -> str:
    """Put the cells, report one incident if there is none; return a one-line summary."""
    centre = {"Authorization": f"Bearer {keys['community-grid-centre']}"}
    worker = {"Authorization": f"Bearer {keys['community-grid-heping']}"}
    for cell_id, (name, lon, lat, households, population, special_care) in CELLS.items():
        body = {
            "name": name,
            "district": "Heping",
            "polygon": _square(lon, lat),
            "grid_worker": "grid-heping-01",
            "households": households,
            "population": population,
            "special_care": special_care,
        }
        url = f"{gateway}/api/v1/community/grid/cells/{cell_id}"
        requests.put(url, json=body, headers=centre, timeout=10).raise_for_status()
    incidents_url = f"{gateway}/api/v1/community/grid/incidents"
    existing = requests.get(incidents_url, headers=worker, timeout=10)
    existing.raise_for_status()
    if existing.json()["total"] == 0:
        report = {
            "category": "facilities_repair",
            "lon": 123.405,
            "lat": 41.795,
            "description": "street lamp out at the square's north gate",
            "photo_ref": "demo/lamp-north-gate.jpg",
        }
        requests.post(incidents_url, json=report, headers=worker, timeout=10).raise_for_status()
    return (
        f"community: {len(CELLS)} grid cells, {len(CLIENTS)} API clients "
        f"(affairs catalogue seeded by the service; {len(cards)} residents may apply)"
    )
