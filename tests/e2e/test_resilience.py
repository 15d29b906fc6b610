"""A killed service picks up where it stopped: events sent while it was down are not lost."""

import json
import os
import signal
import time

import pika
from nameko.standalone.rpc import ClusterRpcProxy

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


def test_killed_service_restarts_and_loses_no_event(suite):
    pid = int((suite.log_dir / "credit.pid").read_text())
    os.kill(pid, signal.SIGKILL)

    connection = pika.BlockingConnection(pika.URLParameters(suite.amqp_uri))
    channel = connection.channel()
    channel.confirm_delivery()
    for n in range(20):
        envelope = penalty(n)
        channel.basic_publish(
            EVENTS_EXCHANGE,
            envelope["type"],
            json.dumps(envelope),
            pika.BasicProperties(content_type="application/json", delivery_mode=2),
        )
    connection.close()

    # `smartcity up` notices and restarts credit, which drains its durable queue.
    deadline = time.monotonic() + 90
    records = []
    while time.monotonic() < deadline:
        try:
            with ClusterRpcProxy({"AMQP_URI": suite.amqp_uri}, timeout=5) as cluster:
                report = cluster.credit.subject_report("enterprise", ENTERPRISE)
            records = report["records"]
            if len(records) == 20:
                break
        except Exception:  # credit not back yet
            pass
        time.sleep(1)
    assert sorted(r["source_record_id"] for r in records) == sorted(f"E2E-{n}" for n in range(20))
    assert int((suite.log_dir / "credit.pid").read_text()) != pid
    assert any("credit exited" in line for line in suite.output)
