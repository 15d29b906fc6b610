"""``smartcity up`` starts eight processes that report healthy and expose their metrics."""

import json
import subprocess
import sys

import requests
from helpers import wait_for
from nameko.standalone.rpc import ClusterRpcProxy

from shared.config import PLATFORM, SERVICES


def test_every_service_reports_healthy(suite):
    with ClusterRpcProxy({"AMQP_URI": suite.operator_uri}, timeout=10) as cluster:
        for service in (*SERVICES, PLATFORM):
            health = getattr(cluster, service).health()
            assert health["service"] == service
            assert health["status"] == "ok"
            assert health["database"] == "ok"


def test_gateway_is_alive_and_ready(suite):
    assert requests.get(f"{suite.gateway_url}/healthz", timeout=5).json() == {"status": "ok"}
    ready = requests.get(f"{suite.gateway_url}/readyz", timeout=5)
    assert ready.status_code == 200
    assert ready.json()["database"] == "ok"


def test_each_metrics_port_shows_per_entrypoint_series(suite):
    with ClusterRpcProxy({"AMQP_URI": suite.operator_uri}, timeout=10) as cluster:
        for service in SERVICES:
            getattr(cluster, service).health()  # make sure each has served one call
    requests.get(f"{suite.gateway_url}/healthz", timeout=5)

    for service in (*SERVICES, "gateway"):
        text = requests.get(
            f"http://127.0.0.1:{suite.metrics_ports[service]}/metrics", timeout=5
        ).text
        entrypoint = "healthz" if service == "gateway" else "health"
        assert (
            f'smartcity_entrypoint_calls_total{{entrypoint="{entrypoint}",outcome="ok",'
            f'service="{service}"}}'
        ) in text, service
        assert "smartcity_entrypoint_duration_seconds_bucket" in text
        if service != "gateway":
            assert f'smartcity_outbox_backlog{{service="{service}"}}' in text


def status_rows(suite) -> dict[str, dict]:
    result = subprocess.run(
        [sys.executable, "-m", "smartcity", "status", "--json"],
        env=suite.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return {row["service"]: row for row in json.loads(result.stdout)["services"]}


def test_status_command_reports_every_service(suite):
    rows = status_rows(suite)
    assert set(rows) == {PLATFORM, *SERVICES}
    for row in rows.values():
        assert row["status"] == "ok" and row["instances"] == 1
    # Every service that subscribes to events has declared its dead-letter queue; none waits.
    assert rows["credit"]["dead_letters"] == 0
    # A process killed by an earlier test may have left a leased batch, which its successor
    # publishes once the lease ends: the backlog drains, it is not stuck.
    drained = wait_for(
        lambda: all(row["outbox_backlog"] == 0 for row in status_rows(suite).values()),
        timeout=60,
        interval=1,
    )
    assert drained
