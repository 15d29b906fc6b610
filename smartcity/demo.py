"""Demo data for ``smartcity up --demo``, loaded the way users would: over the gateway, the
operator RPC and the traffic CLI. Loading twice is harmless (existing things are kept)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import requests
from nameko.standalone.rpc import ClusterRpcProxy

from shared import config as settings
from shared.clock import city_today
from smartcity import demo_community, demo_education, demo_health, demo_tourism
from smartcity.broker import operator_uri

DEMO_GTFS = Path(__file__).parent / "demo_data" / "sample_gtfs.zip"
DEMO_PASSWORD = "demo-password-1"  # noqa: S105 - demo accounts, printed to the operator
RESIDENTS = (
    {"name": "Li Lei", "id_number": "210102199003071233", "phone": "13812345678"},
    {"name": "Han Meimei", "id_number": "21010219900318123X", "phone": "13987654321"},
)
ENTERPRISES = (
    {
        "credit_code": "91110000600037341L",
        "name": "Shenyang Demo Logistics Co., Ltd.",
        "legal_representative": "Zhao Qiang",
        "registered_address": "1 Shifu Road, Shenhe",
        "established_on": "2009-05-01",
    },
    {
        "credit_code": "91110000802100433B",
        "name": "Hunnan Demo Bakery Co., Ltd.",
        "legal_representative": "Wang Fang",
        "registered_address": "8 Hunnan Road, Hunnan",
        "established_on": "2015-09-18",
    },
)
SECTOR_DEMOS = (demo_health, demo_education, demo_community, demo_tourism)
"""Each sector's demo (``smartcity/demo_<service>.py``: its ``CLIENTS`` and ``load``), in the
order they load: tourism last, since its benefits follow education's and community's events."""
CLIENTS: dict[str, tuple[str, str | None, list[str], str | None]] = {
    "operator": ("operator", None, [], None),
    "traffic": (
        "department",
        "traffic",
        ["traffic.realtime", "traffic.parking", "credit.records"],
        None,
    ),
    "health": ("department", "health", ["registry.population", "audit.read", "credit.check"], None),
    "credit": ("department", "credit", ["credit.objections", "credit.records", "audit.read"], None),
    **{name: client for demo in SECTOR_DEMOS for name, client in demo.CLIENTS.items()},
}
"""Demo API clients: name → (role, department, scopes, unit)."""


def load_demo(gateway: str) -> str:
    """Load everything; return a summary for the operator."""
    keys = _api_clients()
    cards = [_resident(gateway, resident) for resident in RESIDENTS]
    for enterprise in ENTERPRISES:
        _post(gateway, "/api/v1/registry/legal-entities", keys["operator"], enterprise)
    feed = subprocess.run(
        [sys.executable, "-m", "smartcity", "traffic", "import-gtfs", str(DEMO_GTFS)],
        capture_output=True,
        text=True,
    )
    for lot in _parking_lots():
        _post(gateway, "/api/v1/traffic/parking/lots", keys["traffic"], lot)
    today = city_today()
    _post(
        gateway,
        "/api/v1/credit/records",
        keys["traffic"],
        {
            "subject_type": "enterprise",
            "subject_id": ENTERPRISES[0]["credit_code"],
            "subject_name": ENTERPRISES[0]["name"],
            "source_record_id": "DEMO-TRAFFIC-1",
            "category": "administrative_penalty",
            "polarity": "negative",
            "severity": "severe",
            "basis": "Shenyang Transport Bureau decision 2026-117 (overloaded lorries)",
            "decided_on": (today - timedelta(days=30)).isoformat(),
            "valid_until": (today + timedelta(days=3 * 365)).isoformat(),
        },
    )
    credentials = {
        "residents": [{"card_number": card, "password": DEMO_PASSWORD} for card in cards],
        "api_keys": keys,
    }
    path = settings.var_dir() / "demo-credentials.json"
    path.write_text(json.dumps(credentials, indent=2))
    path.chmod(0o600)
    sectors = [demo.load(gateway, keys, cards) for demo in SECTOR_DEMOS]
    feed_note = "imported" if feed.returncode == 0 else f"not imported: {feed.stderr[-300:]}"
    return (
        f"demo data loaded: residents {', '.join(cards)} (password {DEMO_PASSWORD}); "
        f"GTFS sample feed {feed_note}; {'; '.join(sectors)}; API keys in {path}"
    )


def _api_clients() -> dict[str, str]:
    """One client per demo role; keys are shown once, so reuse the ones saved last time (and
    create only those a newer demo added)."""
    saved = settings.var_dir() / "demo-credentials.json"
    keys = json.loads(saved.read_text())["api_keys"] if saved.exists() else {}
    missing = {name: client for name, client in CLIENTS.items() if name not in keys}
    if missing:
        with ClusterRpcProxy({"AMQP_URI": operator_uri()}, timeout=15) as cluster:
            for name, (role, department, scopes, unit) in missing.items():
                created = cluster.platform.create_client(
                    f"demo {name}", role, department, scopes, unit
                )
                keys[name] = created["api_key"]
    return keys


def _resident(gateway: str, resident: dict[str, str]) -> str:
    """Register (the answer is the same for a new and a known ID number, so loading twice is
    harmless), then log in with the ID number to learn the card number at /me."""
    response = requests.post(
        f"{gateway}/api/v1/residents", json={**resident, "password": DEMO_PASSWORD}, timeout=15
    )
    response.raise_for_status()
    response = requests.post(
        f"{gateway}/api/v1/auth/token",
        timeout=15,
        json={"username": resident["id_number"], "password": DEMO_PASSWORD},
    )
    response.raise_for_status()
    token = response.json()["access_token"]
    me = requests.get(
        f"{gateway}/api/v1/me", timeout=15, headers={"Authorization": f"Bearer {token}"}
    )
    me.raise_for_status()
    return me.json()["card_number"]


def _post(gateway: str, path: str, key: str, body: dict[str, Any]) -> None:
    response = requests.post(
        f"{gateway}{path}", json=body, timeout=15, headers={"Authorization": f"Bearer {key}"}
    )
    if response.status_code not in (200, 201, 409):
        raise RuntimeError(f"demo: {path} answered {response.status_code}: {response.text}")


def _parking_lots() -> list[dict[str, Any]]:
    # Beside the sample feed's stops, so "stops near" and "lots near" meet.
    return [
        {
            "lot_id": "DEMO-P1",
            "name": "Furnace Creek Resort car park",
            "lat": 36.4255,
            "lon": -117.1335,
            "capacity": 40,
            "price_per_hour": "5.00",
            "operator_credit_code": ENTERPRISES[1]["credit_code"],
            "district": "Heping",
        },
        {
            "lot_id": "DEMO-P2",
            "name": "Beatty Airport car park",
            "lat": 36.8685,
            "lon": -116.7835,
            "capacity": 2,
            "price_per_hour": "3.00",
            "operator_credit_code": ENTERPRISES[1]["credit_code"],
            "district": "Shenhe",
        },
    ]
