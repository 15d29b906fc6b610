"""The traffic routes of the gateway over real HTTP, the traffic service behind it over RPC.

Every 200/201 body is held to its response schema of ``shared.contracts.traffic`` (no field
missing, none extra), and every error is the one error body.
"""

import datetime as dt

import pytest
import requests
from helpers import free_port
from traffic_service_support import (
    LOT_LAT,
    LOT_LON,
    TUESDAY_0755,
    lot_payload,
    realtime_message,
    utc_iso,
)

from gateway.service import GatewayService
from services.platform.service import PlatformService
from shared.contracts import traffic as contract
from shared.observability import REQUEST_ID_HEADER

JWT_SECRET = "traffic-http-tests-secret-0123456789abcdef"
PASSWORD = "correct horse battery"
# Resident ID numbers with their GB 11643 check characters (tests/integration/platform).
LI_LEI = "210102199003071233"
HAN_MEIMEI = "21010219900318123X"
STOPS = "/api/v1/traffic/stops"
LOTS = "/api/v1/traffic/parking/lots"
RESERVATIONS = "/api/v1/traffic/parking/reservations"


@pytest.fixture
def gateway(service_config, runner_factory):
    """The gateway on a free port; returns a function ``call(method, path, token=None, ...)``."""
    port = free_port()
    config = service_config("gateway", WEB_SERVER_ADDRESS=f"127.0.0.1:{port}", RPC_TIMEOUT=5)
    runner = runner_factory(config, GatewayService)
    runner.start()
    http = requests.Session()

    def call(method: str, path: str, token: str | None = None, **kwargs):
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return http.request(
            method, f"http://127.0.0.1:{port}{path}", headers=headers, timeout=15, **kwargs
        )

    yield call
    runner.kill()  # callers first: before the services behind it


def ok(response, schema, status: int = 200) -> dict:
    """The body of a successful response, checked against its response schema."""
    assert response.status_code == status, response.text
    body = response.json()
    assert schema().validate(body) == {}
    return body


def error(response, status: int, code: str) -> dict:
    """The one error body, with the request id the response carries."""
    assert response.status_code == status, response.text
    body = response.json()
    assert (body["error"], body["request_id"]) == (code, response.headers[REQUEST_ID_HEADER])
    assert {"message", "fields"} <= set(body)
    return body


def test_public_ride_easy_routes(sample_feed, traffic, gateway):
    # EMSI 516.2 m and NANAA 565.1 m from (36.91, -116.76): see tests/integration/traffic.
    stops = ok(
        gateway("GET", STOPS, params={"lat": "36.91", "lon": "-116.76", "radius": "600"}),
        contract.StopsPage,
    )
    assert [s["stop_id"] for s in stops["items"]] == ["EMSI", "NANAA"]
    assert stops["items"][0] == {
        "stop_id": "EMSI",
        "name": "E Main St / S Irving St (Demo)",
        "lat": 36.905697,
        "lon": -116.76218,
        "distance_m": stops["items"][0]["distance_m"],
    }
    assert stops["items"][0]["distance_m"] == pytest.approx(516.2, abs=0.2)

    detail = ok(gateway("GET", f"{STOPS}/EMSI"), contract.StopDetail)
    assert detail == {
        "stop_id": "EMSI",
        "name": "E Main St / S Irving St (Demo)",
        "lat": 36.905697,
        "lon": -116.76218,
        "description": "Stop 'E Main St / S Irving St (Demo)' at 36.90570, -116.76218; "
        "684 m south-east of 'Doing Ave / D Ave N (Demo)' stop; served by route 40 (City).",
        "routes": [{"route_id": "CITY", "short_name": "40", "long_name": "City"}],
    }

    # Saturday 10:30 at the airport: the 10:50 shuttle, then the weekend AAMV2 at 11:00.
    arrivals = ok(
        gateway(
            "GET",
            f"{STOPS}/BEATTY_AIRPORT/arrivals",
            params={"at": "2007-06-09T10:30:00", "limit": "2"},
        ),
        contract.ArrivalsPage,
    )
    assert arrivals["items"][1] == {
        "trip_id": "AAMV2",
        "route_id": "AAMV",
        "route_short_name": "50",
        "headsign": "to Airport",
        "scheduled": "2007-06-09T11:00:00",
        "expected": "2007-06-09T11:00:00",
        "delay_s": None,
    }
    assert arrivals["items"][0]["scheduled"] == "2007-06-09T10:50:00"

    routes = ok(gateway("GET", "/api/v1/traffic/routes"), contract.RoutesPage)
    assert routes["items"][0] == {
        "route_id": "AB",
        "short_name": "10",
        "long_name": "Airport - Bullfrog",
    }
    assert len(routes["items"]) == 5
    city = ok(gateway("GET", "/api/v1/traffic/routes/CITY/stops"), contract.RouteStopsPage)
    assert [(s["stop_id"], s["stop_sequence"]) for s in city["items"]][:2] == [
        ("STAGECOACH", 1),
        ("NANAA", 2),
    ]

    # 662.5 m to EMSI at 1.3 m/s: 9 minutes rounded up, bearing 343.0 (tests/integration/traffic).
    walk = ok(
        gateway(
            "GET",
            "/api/v1/traffic/walk",
            params={"lat": "36.9", "lon": "-116.76", "stop_id": "EMSI"},
        ),
        contract.Walk,
    )
    assert (walk["minutes"], walk["stop"]) == (9, detail)
    assert walk["bearing_deg"] == pytest.approx(343.0, abs=0.1)

    traffic.rpc.add_lot("traffic", lot_payload("P1", 20))
    traffic.rpc.record_occupancy("traffic", "P1", 5)
    lots = ok(
        gateway("GET", LOTS, params={"lat": str(LOT_LAT), "lon": str(LOT_LON)}), contract.LotsPage
    )
    assert [(lot["lot_id"], lot["free_spaces"], lot["distance_m"]) for lot in lots["items"]] == [
        ("P1", 15, 0.0)  # 20 - 5 occupied
    ]


def test_bad_input_is_a_400_naming_the_parameter_and_unknown_is_a_404(
    sample_feed, traffic, gateway
):
    bad_lat = error(
        gateway("GET", STOPS, params={"lat": "200", "lon": "0"}), 400, "validation_failed"
    )
    assert list(bad_lat["fields"]) == ["lat"]
    for params, field in [
        ({"lat": "north", "lon": "0"}, "lat"),
        ({"lat": "0", "lon": "0", "radius": "0"}, "radius"),
        ({"lat": "0", "lon": "0", "radius": "5001"}, "radius"),
        ({"lat": "0"}, "lon"),
        ({"lat": "0", "lon": "0", "colour": "red"}, "colour"),
    ]:
        body = error(gateway("GET", STOPS, params=params), 400, "validation_failed")
        assert list(body["fields"]) == [field], params
    body = error(
        gateway("GET", f"{STOPS}/BEATTY_AIRPORT/arrivals", params={"at": "10:30"}),
        400,
        "validation_failed",
    )
    assert list(body["fields"]) == ["at"]

    unknown = error(gateway("GET", f"{STOPS}/NOWHERE"), 404, "not_found")
    assert unknown["message"] == "stop 'NOWHERE' not found"
    error(
        gateway(
            "GET",
            "/api/v1/traffic/walk",
            params={"lat": "36.9", "lon": "-116.76", "stop_id": "NOWHERE"},
        ),
        404,
        "not_found",
    )
    error(gateway("GET", "/api/v1/traffic/routes/NOPE/stops"), 404, "not_found")


def test_503_with_the_error_body_when_the_traffic_service_is_not_running(gateway):
    body = error(gateway("GET", "/api/v1/traffic/routes"), 503, "service_unavailable")
    assert body["details"]["service"] == "traffic"


@pytest.fixture
def platform(service_config, runner_factory, monkeypatch):
    """The platform service (API keys, residents' logins); the gateway verifies its tokens."""
    monkeypatch.setenv("JWT_SECRET", JWT_SECRET)
    config = service_config("platform")
    runner = runner_factory(config, PlatformService)
    runner.start()
    yield config
    runner.kill()


def _api_key(platform_config, department: str, scopes: list[str]) -> str:
    from nameko.standalone.rpc import ClusterRpcProxy

    with ClusterRpcProxy(platform_config, timeout=15) as cluster:
        client = cluster.platform.create_client(
            f"{department} ops", "department", department, scopes
        )
    return client["api_key"]


def _resident(gateway, id_number: str) -> tuple[str, str]:
    """Register through the gateway and log in: (card number, access token)."""
    registered = gateway(
        "POST",
        "/api/v1/residents",
        json={
            "name": "Li Lei",
            "id_number": id_number,
            "phone": "13812345678",
            "password": PASSWORD,
        },
    )
    assert registered.status_code == 202, registered.text
    # The answer names no card (it must not tell whether the ID was known): log in with the
    # ID number and read the card at /me.
    login = gateway(
        "POST", "/api/v1/auth/token", json={"username": id_number, "password": PASSWORD}
    )
    assert login.status_code == 200, login.text
    token = login.json()["access_token"]
    return gateway("GET", "/api/v1/me", token=token).json()["card_number"], token


def test_departments_manage_lots_and_live_data_and_residents_their_reservations(
    sample_feed, traffic, platform, gateway
):
    traffic_dept = _api_key(platform, "traffic", ["traffic.parking", "traffic.realtime"])
    health_dept = _api_key(platform, "health", ["traffic.parking", "traffic.realtime"])

    # --- the traffic department: lots, sensor counts, live data
    error(gateway("POST", LOTS, json=lot_payload("P1", 1)), 401, "unauthorized")
    error(gateway("POST", LOTS, health_dept, json=lot_payload("P1", 1)), 403, "forbidden")
    lot = ok(gateway("POST", LOTS, traffic_dept, json=lot_payload("P1", 1)), contract.Lot, 201)
    assert lot == {**lot_payload("P1", 1), "department": "traffic", "district": None}
    bad = error(
        gateway("POST", LOTS, traffic_dept, json=lot_payload("P2", 1, operator_credit_code="123")),
        400,
        "validation_failed",
    )
    assert list(bad["fields"]) == ["operator_credit_code"]
    status = ok(
        gateway("PUT", f"{LOTS}/P1/occupancy", traffic_dept, json={"occupied": 1}),
        contract.LotStatus,
    )
    assert (status["occupied"], status["free_spaces"]) == (1, 0)
    error(
        gateway("PUT", f"{LOTS}/P1/occupancy", traffic_dept, json={"occupied": 2}),
        400,
        "validation_failed",
    )  # more than the capacity of 1
    gateway("PUT", f"{LOTS}/P1/occupancy", traffic_dept, json={"occupied": 0})
    # The lot is traffic's: health, though it holds traffic.parking, gets the 404 of an
    # unknown lot (not a 403 that would confirm the lot exists), and the count is unchanged.
    not_theirs = error(
        gateway("PUT", f"{LOTS}/P1/occupancy", health_dept, json={"occupied": 1}),
        404,
        "not_found",
    )
    unknown = error(
        gateway("PUT", f"{LOTS}/NO-SUCH-LOT/occupancy", health_dept, json={"occupied": 1}),
        404,
        "not_found",
    )
    assert not_theirs["message"] == unknown["message"].replace("NO-SUCH-LOT", "P1")
    lots = gateway("GET", LOTS, params={"lat": LOT_LAT, "lon": LOT_LON, "radius": 100})
    assert [(lot["lot_id"], lot["occupied"]) for lot in lots.json()["items"]] == [("P1", 0)]

    message = realtime_message(delays={"AB1": 120})
    protobuf = {"Content-Type": "application/x-protobuf"}
    error(
        gateway(
            "POST", "/api/v1/traffic/realtime", health_dept, data=message, headers=dict(protobuf)
        ),
        403,
        "forbidden",
    )
    error(
        gateway("POST", "/api/v1/traffic/realtime", traffic_dept, json={}),
        415,
        "unsupported_media_type",
    )
    counts = ok(
        gateway(
            "POST", "/api/v1/traffic/realtime", traffic_dept, data=message, headers=dict(protobuf)
        ),
        contract.RealtimeCounts,
    )
    assert counts == {"delays": 1, "ignored": 0, "alerts": 0}
    arrivals = ok(
        gateway(
            "GET", f"{STOPS}/BEATTY_AIRPORT/arrivals", params={"at": TUESDAY_0755, "limit": "1"}
        ),
        contract.ArrivalsPage,
    )
    # AB1 leaves the airport at 8:00; 120 s late it leaves at 8:02.
    assert [(a["trip_id"], a["expected"], a["delay_s"]) for a in arrivals["items"]] == [
        ("AB1", "2007-06-05T08:02:00", 120)
    ]

    # --- residents: their own reservations of the one space
    li_card, li = _resident(gateway, LI_LEI)
    _han_card, han = _resident(gateway, HAN_MEIMEI)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    window = {
        "starts_at": utc_iso(now + dt.timedelta(hours=1)),
        "ends_at": utc_iso(now + dt.timedelta(hours=2)),
    }
    error(
        gateway("POST", RESERVATIONS, traffic_dept, json={"lot_id": "P1", **window}),
        403,
        "forbidden",
    )
    booked = ok(
        gateway("POST", RESERVATIONS, li, json={"lot_id": "P1", **window}),
        contract.Reservation,
        201,
    )
    assert {k: booked[k] for k in ("lot_id", "card_number", "status", "starts_at", "ends_at")} == {
        "lot_id": "P1",
        "card_number": li_card,
        "status": "reserved",
        **window,
    }
    full = error(
        gateway("POST", RESERVATIONS, han, json={"lot_id": "P1", **window}), 409, "conflict"
    )
    assert (full["message"], full["details"]["lot_id"]) == ("no_free_space", "P1")

    assert ok(gateway("GET", RESERVATIONS, li), contract.ReservationsPage) == {"items": [booked]}
    assert ok(gateway("GET", RESERVATIONS, han), contract.ReservationsPage) == {"items": []}
    mine = f"{RESERVATIONS}/{booked['reservation_id']}"
    error(gateway("POST", f"{mine}/cancel", han, json={}), 403, "forbidden")
    error(gateway("POST", f"{mine}/check-in", han, json={}), 403, "forbidden")
    error(gateway("POST", f"{mine}/check-in", li, json={}), 409, "conflict")  # an hour early
    cancelled = ok(gateway("POST", f"{mine}/cancel", li, json={}), contract.Reservation)
    assert cancelled == {**booked, "status": "cancelled"}
    # The space is free again for the other resident.
    ok(
        gateway("POST", RESERVATIONS, han, json={"lot_id": "P1", **window}),
        contract.Reservation,
        201,
    )
