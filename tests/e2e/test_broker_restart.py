"""A full broker restart loses nothing and doubles nothing, and the suite comes back by itself.

The test stops and starts the local RabbitMQ (``rabbitmqctl stop_app`` / ``start_app``), so it
runs last (tests/conftest.py orders it): every other test would see the broker vanish.
"""

import shutil
import subprocess
import time

import pytest
import requests
from test_resilience import credit_records, publish_penalties, wait_until

# One restart is enough, on the default path (the embedded PostgreSQL).
pytestmark = [
    pytest.mark.broker_restart,
    pytest.mark.parametrize("suite", ["embedded-default"], indirect=True),
]


def rabbitmqctl(*args: str) -> None:
    assert shutil.which("rabbitmqctl"), "the broker-restart test needs the local RabbitMQ's CLI"
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=120)


def gateway_answers(suite) -> bool:
    """The gateway answers a request that needs the broker (an RPC to the platform), on a suite
    in any state: this test may run alone, with no feed imported."""
    try:
        return requests.get(f"{suite.gateway_url}/readyz", timeout=5).ok
    except requests.RequestException:
        return False


def test_events_published_before_a_broker_restart_are_applied_once_after_it(suite):
    before = len(credit_records(suite))
    numbers = range(1000, 1100)
    publish_penalties(suite, numbers)  # durable, persistent: they outlive the restart

    rabbitmqctl("stop_app")
    try:
        time.sleep(3)  # the outage itself, not a wait for a result
    finally:
        rabbitmqctl("start_app")
    rabbitmqctl("await_startup")

    # The consumers and the gateway's RPC reconnect on their own; no process is restarted.
    wait_until(lambda: gateway_answers(suite), timeout=90)
    records = wait_until(
        lambda: (found := credit_records(suite)) and len(found) >= before + len(numbers) and found,
        timeout=120,
    )
    expected = {f"E2E-{n}" for n in numbers}
    ids = [r["source_record_id"] for r in records if r["source_record_id"] in expected]
    assert sorted(ids) == sorted(expected)  # none lost, none twice
