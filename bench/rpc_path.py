"""Serial RPC latency of ``credit.check`` against the ``health`` RPC, calls taken in turn.

    python -m bench.rpc_path AMQP_URI [--calls 300]   # prints JSON

Runs against a suite already up on ``AMQP_URI`` (``make bench`` passes its fresh vhost). It
files a few records on one enterprise and one person first (checks meet subjects with a
history), then calls ``health`` (one broker round trip and the outbox-backlog query), a check of
the enterprise, and a check of the person (audited: one outbox event more), one after the
other ``--calls`` times, so that a busy machine's load falls on all three alike.
"""

from __future__ import annotations

import warnings

warnings.filterwarnings("ignore")  # eventlet's deprecation notice, on import

import eventlet  # noqa: E402

eventlet.monkey_patch()

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from datetime import timedelta  # noqa: E402

from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402

from shared.clock import city_today  # noqa: E402

ENTERPRISE = "91110000600037341L"
PERSON = "210102199003071233"
WARMUP_CALLS = 20


def record(subject_type: str, subject_id: str, n: int) -> dict:
    today = city_today()
    return {
        "subject_type": subject_type,
        "subject_id": subject_id,
        "source_record_id": f"BENCH-{subject_type}-{n}",
        "category": "administrative_penalty",
        "polarity": "negative",
        "severity": "minor",
        "basis": "Bench rule 1",
        "decided_on": (today - timedelta(days=5)).isoformat(),
        "valid_until": (today + timedelta(days=365)).isoformat(),
    }


def measure(amqp_uri: str, calls: int) -> dict:
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=30) as cluster:
        for n in range(5):
            cluster.credit.add_record("traffic", record("enterprise", ENTERPRISE, n))
            cluster.credit.add_record("traffic", record("individual", PERSON, n))
        paths: dict[str, Callable[[], object]] = {
            "health": cluster.credit.health,
            "check_enterprise": lambda: cluster.credit.check(
                "enterprise", ENTERPRISE, "subsidy", "community"
            ),
            "check_individual": lambda: cluster.credit.check(
                "individual", PERSON, "subsidy", "community"
            ),
        }
        samples: dict[str, list[float]] = {name: [] for name in paths}
        for i in range(WARMUP_CALLS + calls):
            for name, call in paths.items():
                started = time.perf_counter()
                call()
                if i >= WARMUP_CALLS:
                    samples[name].append(time.perf_counter() - started)
    result = {"calls": calls}
    for name, taken in samples.items():
        ordered = sorted(taken)
        result[name] = {
            "p50_ms": statistics.median(ordered) * 1000,
            "p90_ms": ordered[int(len(ordered) * 0.9) - 1] * 1000,
            "p99_ms": ordered[int(len(ordered) * 0.99) - 1] * 1000,
        }
    health = result["health"]["p50_ms"]
    result["ratio_enterprise"] = result["check_enterprise"]["p50_ms"] / health
    result["ratio_individual"] = result["check_individual"]["p50_ms"] / health
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("amqp_uri")
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    print(json.dumps(measure(args.amqp_uri, args.calls)))


if __name__ == "__main__":
    main()
