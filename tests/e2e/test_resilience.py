"""A killed service picks up where it stopped: events sent while it was down, or that it was
handling when it died, are applied exactly once."""

import json
import os
import signal
import time

import pika
from nameko.standalone.rpc import ClusterRpcProxy

from shared.broker_rights import identity_of
from shared.contracts.envelope import EVENTS_EXCHANGE, new_envelope

ENTERPRISE = "91110000600037341L"


def penalty(n: int) -> dict:
    return new_envelope(
        "traffic.administrative_penalty_issued",
        {
            "source_record_id": f"E2E-{n}",
            "subject_type": "enterprise",
            "subject_id": ENTERPRISE,
            "category": "administrative_penalty",
            "severity": "minor",
            "basis": "Rule 7",
            "decided_on": "2026-11-01",
            "valid_until": "2027-11-01",
        },
        source="traffic",
        version=1,
        subject=ENTERPRISE,
    )


def credit_records(suite) -> list[dict]:
    try:
        with ClusterRpcProxy({"AMQP_URI": suite.operator_uri}, timeout=5) as cluster:
            return cluster.credit.subject_report("enterprise", ENTERPRISE)["records"]
    except Exception:  # credit not back yet, or no file yet
        return []


def kill_credit(suite) -> int:
    pid = int((suite.log_dir / "credit.pid").read_text())
    os.kill(pid, signal.SIGKILL)
    return pid


def test_a_service_killed_three_times_mid_stream_loses_and_doubles_nothing(suite):
    total = 300
    killed = first = kill_credit(suite)  # the events wait in credit's durable queue
    publish_penalties(suite, range(total))

    # `smartcity up` restarts credit, which drains its queue; kill it twice more as soon as
    # the new process has stored something.
    for _ in range(2):
        stored = len(credit_records(suite))
        wait_until(lambda k=killed, n=stored: working_since(suite, k, n, total), timeout=90)
        killed = kill_credit(suite)

    records = wait_until(lambda: (found := credit_records(suite)) and len(found) >= total and found)
    ids = sorted(r["source_record_id"] for r in records)
    assert ids == sorted(f"E2E-{n}" for n in range(total))  # none lost, none twice
    assert current_pid(suite) not in (first, killed)
    assert sum("credit exited" in line for line in suite.output) >= 3


def current_pid(suite) -> int:
    return int((suite.log_dir / "credit.pid").read_text())


def working_since(suite, killed_pid: int, stored: int, total: int) -> bool:
    """A new credit process runs and has stored more records (or all of them)."""
    if current_pid(suite) == killed_pid:
        return False
    now = len(credit_records(suite))
    return now > stored or now == total


def wait_until(check, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.5)
    raise AssertionError(f"not within {timeout} s: {check}")


def publish_penalties(suite, numbers) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(suite.traffic_uri))
    channel = connection.channel()
    channel.confirm_delivery()
    for n in numbers:
        envelope = penalty(n)
        channel.basic_publish(
            EVENTS_EXCHANGE,
            envelope["type"],
            json.dumps(envelope),
            pika.BasicProperties(
                content_type="application/json",
                delivery_mode=2,
                user_id=identity_of(suite.traffic_uri)[0],  # as traffic's own relay does
            ),
        )
    connection.close()
