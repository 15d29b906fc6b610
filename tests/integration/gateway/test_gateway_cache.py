"""The gateway cache of public reads never outlives the change that makes an answer wrong.

For each change (a feed imported by the real importer, a GTFS-Realtime push, a black-list
record, a venue gate's count) the answer is first read twice (the second is a cache hit), the
change is made by a path that does not pass through the reading gateway, and the answer is
read again until it is the new one: only the change's event can have emptied the entry, since
no entry read here would expire by the clock within the wait. With two gateway instances, a
change made through one reaches the other by its own event queue.
"""

from __future__ import annotations

import base64
import io
import zipfile
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from gateway_samples import ENTERPRISE_CODE, PALACE
from helpers import free_port, wait_for
from nameko.runners import ServiceRunner

from gateway.service import GatewayService
from services.credit.service import CreditService
from services.platform.service import PlatformService
from services.tourism.service import TourismService
from services.traffic.service import TrafficService
from shared.clock import city_today
from smartcity.cli import main
from tests.integration.traffic_service.traffic_service_support import (
    SAMPLE_ZIP,
    TUESDAY_0755,
    realtime_message,
)

SERVICES = (PlatformService, CreditService, TrafficService, TourismService)
ROUTES = "/api/v1/traffic/routes"
ARRIVALS = "/api/v1/traffic/stops/BEATTY_AIRPORT/arrivals"
BLACK_LIST = "/api/v1/credit/lists/black"
VENUES = "/api/v1/tourism/venues"
WAIT_S = 30  # far below any entry's clock expiry here (MAX_TTL_S)
TODAY = city_today()


@pytest.fixture
def city(stack_factory, monkeypatch, tmp_path):
    monkeypatch.setenv("TOURISM_TICKET_SECRET", "gateway-cache-test-secret-0123456789abcdef")
    stack = stack_factory(SERVICES, RATE_LIMIT_PER_IP=100_000, RATE_LIMIT_PER_CLIENT=100_000)
    monkeypatch.setenv("TRAFFIC_DATABASE_URL", stack.configs["traffic"]["DATABASE_URLS"]["traffic"])
    monkeypatch.setenv("AMQP_URI", stack.configs["traffic"]["AMQP_URI"])
    stack.feeds = tmp_path
    import_feed(stack, SAMPLE_ZIP.read_bytes(), "sample")
    wait_for(lambda: stack.call("GET", ROUTES).status_code == 200, timeout=WAIT_S)
    return stack


def import_feed(stack, feed: bytes, name: str) -> None:
    """``smartcity traffic import-gtfs``: the operator's importer, its event by the outbox."""
    path = stack.feeds / f"{name}.zip"
    path.write_bytes(feed)
    result = CliRunner().invoke(main, ["traffic", "import-gtfs", str(path), "--name", name])
    assert result.exit_code == 0, result.output


def renamed_route(old: bytes, new: bytes) -> bytes:
    """The sample feed with a route's long name changed in routes.txt."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(SAMPLE_ZIP) as source, zipfile.ZipFile(buffer, "w") as target:
        for item in source.namelist():
            data = source.read(item)
            if item == "routes.txt":
                assert old in data
                data = data.replace(old, new, 1)
            target.writestr(item, data)
    return buffer.getvalue()


def read_cached(stack, path: str, **params) -> dict:
    """Read twice: the second answer must come from the cache, and be the same."""
    first = stack.call("GET", path, params=params)
    assert first.status_code == 200, first.text
    second = stack.call("GET", path, params=params)
    assert second.headers.get("X-Cache") == "hit", second.headers
    assert second.json() == first.json()
    return second.json()


def read_until(stack, path: str, changed, **params) -> dict:
    """Read until the answer is the changed one (the positive signal that the event came)."""

    def fresh():
        response = stack.call("GET", path, params=params)
        assert response.status_code == 200, response.text
        return response.json() if changed(response.json()) else None

    return wait_for(fresh, timeout=WAIT_S, interval=0.1)


def black_record(source_id: str) -> dict:
    return {
        "subject_type": "enterprise",
        "subject_id": ENTERPRISE_CODE,
        "source_record_id": source_id,
        "category": "administrative_penalty",
        "polarity": "negative",
        "severity": "severe",
        "basis": "Decision 2026-17",
        "decided_on": (TODAY - timedelta(days=10)).isoformat(),
        "valid_until": (TODAY + timedelta(days=700)).isoformat(),
    }


def names(page: dict) -> set[str]:
    return {route["long_name"] for route in page["items"]}


def test_a_new_feed_empties_the_timetable_answers(city):
    before = read_cached(city, ROUTES)
    assert "Airport - Bullfrog" in names(before)

    import_feed(city, renamed_route(b"Airport - Bullfrog", b"Airport - Frogtown"), "renamed")

    after = read_until(city, ROUTES, lambda page: "Airport - Frogtown" in names(page))
    assert "Airport - Bullfrog" not in names(after)


def test_a_realtime_push_empties_the_arrivals(city):
    params = {"at": TUESDAY_0755, "limit": "1"}
    before = read_cached(city, ARRIVALS, **params)
    assert [(a["trip_id"], a["delay_s"]) for a in before["items"]] == [("AB1", None)]

    with city.rpc("traffic") as cluster:  # the traffic department's push, not via this gateway
        message = base64.b64encode(realtime_message({"AB1": 120})).decode()
        assert cluster.traffic.push_realtime(message)["delays"] == 1

    after = read_until(city, ARRIVALS, lambda page: page["items"][0]["delay_s"] == 120, **params)
    assert after["items"][0]["expected"] == "2007-06-05T08:02:00"


def test_a_black_list_record_empties_the_published_list(city):
    before = read_cached(city, BLACK_LIST)
    assert before["total"] == 0

    with city.rpc("credit") as cluster:
        cluster.credit.add_record("traffic", black_record("CACHE-1"))

    after = read_until(city, BLACK_LIST, lambda page: page["total"] == 1)
    assert [item["credit_code"] for item in after["items"]] == [ENTERPRISE_CODE]


def test_a_gates_count_empties_the_venue_answers(city):
    office = city.client("department", "tourism", scopes=("tourism.venues",))
    added = city.call("POST", VENUES, office, json=PALACE)
    assert added.status_code == 201, added.text
    near = {"lat": "41.797", "lon": "123.451", "radius": "2000"}
    before = read_cached(city, VENUES, **near)
    assert [(v["venue_id"], v["present"]) for v in before["items"]] == [("PALACE", None)]

    with city.rpc("tourism") as cluster:  # the gate's count, not via this gateway
        cluster.tourism.record_presence("PALACE", "PALACE", 42)

    read_until(city, VENUES, lambda page: page["items"][0]["present"] == 42, **near)


def test_every_gateway_instance_hears_every_invalidation(city):
    port = free_port()
    second = ServiceRunner({**city.configs["gateway"], "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}"})
    second.add_service(GatewayService)
    second.start()
    try:
        other = type(city)(f"http://127.0.0.1:{port}", city.configs, city.runners, city.http)
        wait_for(lambda: other.call("GET", ROUTES).status_code == 200, timeout=WAIT_S)
        for gateway in (city, other):
            assert read_cached(gateway, BLACK_LIST)["total"] == 0

        traffic = city.client("department", "traffic", scopes=("credit.records",))
        added = city.call("POST", "/api/v1/credit/records", traffic, json=black_record("C-2"))
        assert added.status_code == 201, added.text

        for gateway in (other, city):
            read_until(gateway, BLACK_LIST, lambda page: page["total"] == 1)
    finally:
        second.kill()


def test_a_lost_broker_connection_flushes_the_cache(city, rabbit_config, rabbit_manager):
    """Closing the listener's connection (as a broker restart would) empties the cache: what
    was cached may have missed an event. It is served again once the queue is bound anew."""
    read_cached(city, ROUTES)

    def listeners() -> list[str]:  # the management API lists a connection after a while
        return [
            connection["name"]
            for connection in rabbit_manager.get_connections()
            if connection["vhost"] == rabbit_config["vhost"]
            and connection["client_properties"]
            .get("connection_name", "")
            .startswith("gateway.cache.")
        ]

    (listener,) = wait_for(listeners, timeout=WAIT_S, interval=0.5)
    rabbit_manager.delete_connection(listener)

    # Not a hit until it is flushed (bypassed, then a miss); then cached again.
    wait_for(lambda: city.call("GET", ROUTES).headers.get("X-Cache") != "hit", timeout=WAIT_S)
    wait_for(lambda: city.call("GET", ROUTES).headers.get("X-Cache") == "hit", timeout=WAIT_S)


def test_arrivals_from_now_say_until_when_they_hold(city):
    """``valid_until``: no later than the first vehicle's expected arrival and the feed's next
    midnight (the sample feed's zone), and still ahead of now."""
    page = city.call("GET", ARRIVALS).json()
    valid_until = datetime.fromisoformat(page["valid_until"])
    zone = ZoneInfo("America/Los_Angeles")
    now = datetime.now(UTC)
    midnight = datetime.combine(now.astimezone(zone).date() + timedelta(days=1), time(), zone)
    assert now < valid_until <= midnight
    for arrival in page["items"][:1]:
        assert valid_until <= datetime.fromisoformat(arrival["expected"]).replace(tzinfo=zone)
