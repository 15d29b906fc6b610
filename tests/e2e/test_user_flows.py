"""Each service's main path as its users take it, through the real gateway process.

Residents register, log in and read what the city holds about them; a department gets its key
from the operator's CLI and posts a credit record; the operator imports a timetable with the
CLI; a resident asks for arrivals and reserves a parking space.
"""

import json
import subprocess
import sys
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import requests
from helpers import wait_for

from shared.identity import credit_code_check_char

DEMO_FEED = Path(__file__).resolve().parents[2] / "smartcity" / "demo_data" / "sample_gtfs.zip"
PASSWORD = "a long enough Shenyang passphrase"


def cli(suite, *args: str) -> subprocess.CompletedProcess:
    """``smartcity …`` as the operator runs it, against the running suite."""
    result = subprocess.run(
        [sys.executable, "-m", "smartcity", *args],
        env=suite.env,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def department_key(suite, department: str, *scopes: str) -> str:
    created = cli(
        suite,
        "clients",
        "create",
        "--role",
        "department",
        "--department",
        department,
        "--scopes",
        ",".join(scopes),
        "--json",
    )
    return json.loads(created.stdout)["api_key"]


def operator_key(suite) -> str:
    created = cli(suite, "clients", "create", "--role", "operator", "--json")
    return json.loads(created.stdout)["api_key"]


def call(suite, method: str, path: str, token: str | None = None, **kwargs) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.request(
        method, f"{suite.gateway_url}{path}", headers=headers, timeout=15, **kwargs
    )


def new_resident(suite) -> tuple[str, str]:
    """Register someone new (a fresh, valid ID number each run); returns card and token."""
    serial = uuid.uuid4().int
    born = date(1960, 1, 1) + timedelta(days=serial % 15000)
    body17 = f"210102{born:%Y%m%d}{serial % 1000:03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body17, weights, strict=True)) % 11]
    registered = call(
        suite,
        "POST",
        "/api/v1/residents",
        json={
            "name": "Wang Xiaoming",
            "id_number": body17 + check,
            "phone": "13712345678",
            "password": PASSWORD,
        },
    )
    # The same answer whether the ID number was new or known: the card is shown at /me.
    assert registered.status_code == 202, registered.text
    token = call(
        suite,
        "POST",
        "/api/v1/auth/token",
        json={"username": body17 + check, "password": PASSWORD},
    )
    assert token.status_code == 200, token.text
    access_token = token.json()["access_token"]
    card = call(suite, "GET", "/api/v1/me", access_token).json()["card_number"]
    return card, access_token


def test_resident_registers_logs_in_and_sees_who_read_their_data(suite):
    card, token = new_resident(suite)

    me = call(suite, "GET", "/api/v1/me", token)
    assert me.status_code == 200
    assert me.json()["card_number"] == card
    assert "*" in me.json()["id_number_masked"]

    def logged() -> list:
        return call(suite, "GET", "/api/v1/me/access-log", token).json()["items"]

    entries = wait_for(logged, timeout=20)
    assert {"action", "resource", "purpose", "occurred_at"} <= set(entries[0])


def test_department_record_reaches_the_public_credit_summary(suite):
    serial = f"{uuid.uuid4().int % 10**9:09d}"
    code17 = f"91210102{serial}"
    credit_code = code17 + credit_code_check_char(code17)
    registered = call(
        suite,
        "POST",
        "/api/v1/registry/legal-entities",
        operator_key(suite),
        json={
            "credit_code": credit_code,
            "name": "Tiexi E2E Machine Works Co., Ltd.",
            "legal_representative": "Sun Li",
            "registered_address": "3 Weigong Street, Tiexi",
            "established_on": "2011-04-01",
        },
    )
    assert registered.status_code == 201, registered.text

    today = datetime.now(UTC).date()
    posted = call(
        suite,
        "POST",
        "/api/v1/credit/records",
        department_key(suite, "traffic", "credit.records"),
        json={
            "subject_type": "enterprise",
            "subject_id": credit_code,
            "source_record_id": f"E2E-{serial}",
            "category": "administrative_penalty",
            "polarity": "negative",
            "severity": "severe",
            "basis": "Shenyang Transport Bureau decision E2E (overloaded lorries)",
            "decided_on": (today - timedelta(days=3)).isoformat(),
            "valid_until": (today + timedelta(days=365)).isoformat(),
        },
    )
    assert posted.status_code == 201, posted.text

    public = call(suite, "GET", f"/api/v1/credit/subjects/{credit_code}/public")
    assert public.status_code == 200, public.text
    summary = public.json()
    assert summary["name"] == "Tiexi E2E Machine Works Co., Ltd."
    assert summary["level"] != "A"


def test_resident_without_records_gets_an_empty_credit_report(suite):
    _card, token = new_resident(suite)
    report = call(suite, "GET", "/api/v1/credit/me/report", token)
    assert report.status_code == 200, report.text
    assert report.json()["records"] == []


def test_operator_imports_a_timetable_and_residents_ask_for_arrivals(suite):
    imported = cli(suite, "traffic", "import-gtfs", str(DEMO_FEED))
    assert "stops" in imported.stdout + imported.stderr

    near = call(
        suite, "GET", "/api/v1/traffic/stops", params={"lat": 36.868, "lon": -116.784}
    ).json()
    assert "BEATTY_AIRPORT" in [stop["stop_id"] for stop in near["items"]]

    arrivals = call(
        suite,
        "GET",
        "/api/v1/traffic/stops/BEATTY_AIRPORT/arrivals",
        params={"at": "2007-06-09T10:30:00", "limit": "2"},
    )
    assert arrivals.status_code == 200, arrivals.text
    assert [a["scheduled"] for a in arrivals.json()["items"]] == [
        "2007-06-09T10:50:00",
        "2007-06-09T11:00:00",
    ]


def test_resident_reserves_a_parking_space_the_department_registered(suite):
    lot_id = f"E2E-{uuid.uuid4().hex[:8]}"
    code17 = "9121010200000001"[:17].ljust(17, "0")
    registered = call(
        suite,
        "POST",
        "/api/v1/traffic/parking/lots",
        department_key(suite, "traffic", "traffic.parking"),
        json={
            "lot_id": lot_id,
            "name": "Zhongshan Square car park",
            "lat": 41.7922,
            "lon": 123.4187,
            "capacity": 10,
            "price_per_hour": "4.00",
            "operator_credit_code": code17 + credit_code_check_char(code17),
        },
    )
    assert registered.status_code == 201, registered.text

    _card, token = new_resident(suite)
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    reserved = call(
        suite,
        "POST",
        "/api/v1/traffic/parking/reservations",
        token,
        json={
            "lot_id": lot_id,
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=2)).isoformat(),
        },
    )
    assert reserved.status_code == 201, reserved.text
    mine = call(suite, "GET", "/api/v1/traffic/parking/reservations", token).json()["items"]
    assert [(r["lot_id"], r["status"]) for r in mine] == [(lot_id, "reserved")]
