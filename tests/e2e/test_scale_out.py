"""``smartcity up --scale credit=3``: three competing credit instances share its queues; every
event's effect happens exactly once, the work is spread, and each instance is supervised on its
own."""

import os
import re
import signal

import pytest
import requests
from conftest import SUITE_PATHS, running_suite
from nameko.standalone.rpc import ClusterRpcProxy
from test_resilience import credit_records, publish_penalties, wait_until

from shared.queue_stats import read_queues, rpc_queue_name

INSTANCES = ("credit", "credit-2", "credit-3")
EVENTS = 300
HANDLED = re.compile(
    r'^smartcity_events_handled_total\{consumer="credit.on_penalty_issued",'
    r'service="credit"\} (\S+)$',
    re.MULTILINE,
)


@pytest.fixture(scope="module", params=SUITE_PATHS)
def scaled(request, backing_services):
    with running_suite(
        request.config, request.param == "postgresql", "--scale", "credit=3"
    ) as running:
        yield running


def metrics_port(suite, instance: str) -> int:
    """The port ``smartcity up`` printed for an instance's metrics."""
    printed = re.compile(rf"^metrics\s+{re.escape(instance)}\s+http://localhost:(\d+)/metrics")
    ports = [int(m.group(1)) for line in suite.output if (m := printed.match(line))]
    assert ports, f"no metrics port printed for {instance}"
    return ports[0]


def penalties_handled(suite, instance: str) -> int:
    text = requests.get(f"http://127.0.0.1:{metrics_port(suite, instance)}/metrics", timeout=5).text
    found = HANDLED.search(text)
    return int(float(found.group(1))) if found else 0


def credit_queues(suite) -> list[str]:
    with ClusterRpcProxy({"AMQP_URI": suite.operator_uri}, timeout=10) as cluster:
        return [rpc_queue_name("credit"), *cluster.credit.health()["event_queues"]]


@pytest.mark.timeout(600)  # includes starting the suite (module fixture)
def test_three_instances_consume_every_queue_of_credit(scaled):
    assert "  credit: 3 instances" in "".join(scaled.output)
    queues = credit_queues(scaled)
    assert "credit.on_penalty_issued" in queues
    stats = read_queues(scaled.operator_uri, queues)
    assert {name: stats[name].consumers for name in queues} == {name: 3 for name in queues}
    # Each instance serves its own metrics on its own port.
    assert len({metrics_port(scaled, instance) for instance in INSTANCES}) == 3


@pytest.mark.timeout(900)  # a loaded 2-core machine applies a few events a second
def test_competing_instances_apply_each_event_exactly_once_and_share_the_work(scaled):
    publish_penalties(scaled, range(EVENTS))

    records = wait_until(
        lambda: (found := credit_records(scaled)) and len(found) >= EVENTS and found, timeout=800
    )
    ids = sorted(record["source_record_id"] for record in records)
    assert ids == sorted(f"E2E-{n}" for n in range(EVENTS))  # none lost, none twice
    handled = {instance: penalties_handled(scaled, instance) for instance in INSTANCES}
    assert sum(handled.values()) == EVENTS, handled  # each event handled by one instance
    assert sum(1 for count in handled.values() if count > 0) >= 2, handled


@pytest.mark.timeout(600)
def test_each_instance_is_restarted_on_its_own(scaled):
    pids = {i: int((scaled.log_dir / f"{i}.pid").read_text()) for i in INSTANCES}
    os.kill(pids["credit-2"], signal.SIGKILL)

    wait_until(lambda: any("credit-2 exited with" in line for line in scaled.output), timeout=60)
    restarted = wait_until(
        lambda: (
            (pid := int((scaled.log_dir / "credit-2.pid").read_text())) != pids["credit-2"] and pid
        )
    )
    assert restarted != pids["credit-2"]
    assert not any(re.match(r"credit(-3)? exited with", line) for line in scaled.output), (
        "only the killed instance is restarted"
    )
    for instance in ("credit", "credit-3"):
        assert int((scaled.log_dir / f"{instance}.pid").read_text()) == pids[instance]
    # The new credit-2 joins the others on the RPC queue.
    wait_until(
        lambda: read_queues(scaled.operator_uri, ["rpc-credit"])["rpc-credit"].consumers == 3,
        timeout=120,
    )
