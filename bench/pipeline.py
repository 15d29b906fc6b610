"""``python -m bench.pipeline``: the event pipeline against raw pika, as ratios of one run.

- **baseline**: raw pika consumes N messages from a durable queue of the same broker, with one
  ``INSERT`` and ``COMMIT`` per message into PostgreSQL (psycopg2), acknowledging each after
  its commit. Timed from the first message taken to the last commit; the messages are
  published (confirmed, persistent) before the clock starts.
- **pipeline**: the real path. N ``traffic.administrative_penalty_issued`` events are written
  to a publishing service's outbox (one transaction); that service's ``OutboxRelay`` (a child
  process) publishes them; ``instances`` credit processes (children, the real service) consume
  them with their idempotent handler, each event becoming a credit record (its own subject)
  committed with its processed-event mark and the ``credit.record_added`` event in credit's
  outbox. Timed from the outbox insert to the N-th record visible in credit's database. Also
  reported: the CPU time the relay and credit processes spent per event (``/proc``), which a
  loaded machine's scheduling does not change as it changes the rates.

Everything runs on a fresh vhost and fresh databases, removed afterwards. Rounds alternate
baseline and pipeline, so that a busy machine's load falls on both alike; figures are medians.
``--before DIR`` runs the children with another checkout's code (e.g. main's) for "before"
figures. Nothing here asserts a time.

    python -m bench.pipeline [--events 2000] [--instances 1 2] [--rounds 3] [--before DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pika
import psycopg2
import sqlalchemy as sa
from nameko.testing.rabbit import Client as RabbitManager

from shared.clock import city_today
from shared.contracts.envelope import new_envelope
from shared.identity import credit_code_check_char
from shared.outbox import messaging_metadata, outbox_table

POSTGRES = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg2://postgres:postgres@127.0.0.1:5432/postgres"
)
RABBIT_API = os.environ.get("TEST_RABBIT_API_URI", "http://guest:guest@localhost:15672")
AMQP = os.environ.get("TEST_AMQP_URI", "amqp://guest:guest@localhost:5672/").rstrip("/")
REPOSITORY = Path(__file__).resolve().parent.parent
CHILD = Path(__file__).resolve().parent / "pipeline_child.py"
EVENT_TYPE = "traffic.administrative_penalty_issued"
BASELINE_PREFETCH = 100
WARMUP_EVENTS = 50


def enterprise_code(n: int) -> str:
    """A valid credit code per event: every record has a subject of its own."""
    first17 = f"91210100{n:09d}"
    return first17 + credit_code_check_char(first17)


def penalty(round_no: int, n: int) -> dict[str, Any]:
    today = city_today()
    data = {
        "subject_type": "enterprise",
        "subject_id": enterprise_code(round_no * 1_000_000 + n),
        "source_record_id": f"R{round_no}-{n}",
        "category": "administrative_penalty",
        "severity": "minor",
        "basis": "Bench rule 1",
        "decided_on": (today - timedelta(days=5)).isoformat(),
        "valid_until": (today + timedelta(days=365)).isoformat(),
    }
    return new_envelope(EVENT_TYPE, data, source="traffic", version=1, subject=data["subject_id"])


class Environment:
    """A vhost, databases and child processes of our own, all removed afterwards."""

    def __init__(self, code_root: Path) -> None:
        self.vhost = f"bench_pipeline_{uuid.uuid4().hex[:8]}"
        self.rabbit = RabbitManager(RABBIT_API)
        self.admin = sa.create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
        self.code_root = code_root
        self.databases: list[str] = []
        self.children: list[subprocess.Popen] = []
        self.pipeline_pids: list[int] = []

    def __enter__(self) -> Environment:
        self.rabbit.create_vhost(self.vhost)
        self.rabbit.set_vhost_permissions(self.vhost, "guest", ".*", ".*", ".*")
        self.amqp_uri = f"{AMQP}/{self.vhost}"
        return self

    def database(self, label: str) -> str:
        name = f"bench_{label}_{uuid.uuid4().hex[:8]}"
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        self.databases.append(name)
        return sa.engine.make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)

    def child(self, role: str, database_url: str) -> None:
        env = {**os.environ, "PYTHONPATH": str(self.code_root), "LOG_LEVEL": "WARNING"}
        process = subprocess.Popen(
            [sys.executable, str(CHILD), role, self.amqp_uri, database_url],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=self.code_root,
        )
        self.children.append(process)
        self.pipeline_pids.append(process.pid)
        line = process.stdout.readline()
        if line.strip() != "ready":
            raise RuntimeError(f"bench child {role} did not start (exit {process.poll()})")

    def __exit__(self, *exc: object) -> None:
        for process in self.children:
            process.terminate()
        for process in self.children:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        with self.admin.connect() as conn:
            for name in self.databases:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()
        self.rabbit.delete_vhost(self.vhost)


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes used so far (Linux ``/proc``)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


@contextmanager
def _channel(amqp_uri: str) -> Iterator[Any]:
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        yield connection.channel()
    finally:
        connection.close()


def baseline_round(amqp_uri: str, database_url: str, round_no: int, events: int) -> float:
    """Messages per second: raw pika, one insert and commit per message, ack after commit."""
    queue = f"bench.baseline.{round_no}"
    with _channel(amqp_uri) as channel:
        channel.queue_declare(queue, durable=True)
        channel.confirm_delivery()
        persistent = pika.BasicProperties(content_type="application/json", delivery_mode=2)
        for n in range(events):
            channel.basic_publish("", queue, json.dumps(penalty(round_no, n)), persistent)
    dsn = sa.engine.make_url(database_url).set(drivername="postgresql")
    db = psycopg2.connect(dsn.render_as_string(hide_password=False))
    with db.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS effects (event_id uuid PRIMARY KEY, body jsonb NOT NULL)"
        )
    db.commit()
    with _channel(amqp_uri) as channel:
        channel.basic_qos(prefetch_count=BASELINE_PREFETCH)
        started = time.perf_counter()
        for taken, (method, _properties, body) in enumerate(channel.consume(queue), start=1):
            with db.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO effects (event_id, body) VALUES (%s, %s)",
                    (json.loads(body)["event_id"], body.decode()),
                )
            db.commit()
            channel.basic_ack(method.delivery_tag)
            if taken == events:
                break
        seconds = time.perf_counter() - started
        channel.cancel()
        channel.queue_delete(queue)
    db.close()
    return events / seconds


def pipeline_round(
    outbox_engine: sa.Engine, credit_engine: sa.Engine, round_no: int, events: int
) -> float:
    """Events per second: outbox insert to the last credit record committed.

    A loaded machine gives each process a share of the cores; ``measure`` also records the
    CPU time the pipeline's processes spent per event, which that share does not change.
    """
    envelopes = [penalty(round_no, n) for n in range(events)]
    rows = [
        {"event_id": uuid.UUID(e["event_id"]), "type": EVENT_TYPE, "envelope": e} for e in envelopes
    ]
    count = sa.text(
        "SELECT count(*) FROM credit_records WHERE source_record_id LIKE :prefix"
    ).bindparams(prefix=f"R{round_no}-%")
    deadline = time.monotonic() + max(300.0, events / 2.0)  # a loaded machine is slow
    started = time.perf_counter()
    with outbox_engine.begin() as conn:
        conn.execute(sa.insert(outbox_table), rows)
    with credit_engine.connect() as conn:
        while (done := conn.execute(count).scalar_one()) < events:
            if time.monotonic() > deadline:
                raise RuntimeError(f"pipeline round {round_no}: {done}/{events} after the deadline")
            time.sleep(0.02)
    return events / (time.perf_counter() - started)


def measure(
    events: int = 2000, instances: int = 1, rounds: int = 3, code_root: Path = REPOSITORY
) -> dict[str, Any]:
    """Baseline and pipeline rates (medians of ``rounds`` interleaved rounds) and their ratio."""
    with Environment(code_root) as env:
        baseline_db = env.database("baseline")
        outbox_url = env.database("publisher")
        credit_url = env.database("credit")
        outbox_engine = sa.create_engine(outbox_url)
        messaging_metadata.create_all(outbox_engine)
        env.child("relay", outbox_url)
        for _ in range(instances):
            env.child("credit", credit_url)
        credit_engine = sa.create_engine(credit_url)
        try:
            # Warm-up: connections, pools, first statements; not counted.
            baseline_round(env.amqp_uri, baseline_db, 0, WARMUP_EVENTS)
            pipeline_round(outbox_engine, credit_engine, 0, WARMUP_EVENTS)
            baseline, pipeline, cpu_ms = [], [], []
            for round_no in range(1, rounds + 1):
                baseline.append(baseline_round(env.amqp_uri, baseline_db, round_no, events))
                cpu_before = cpu_seconds(env.pipeline_pids)
                pipeline.append(pipeline_round(outbox_engine, credit_engine, round_no, events))
                cpu_ms.append((cpu_seconds(env.pipeline_pids) - cpu_before) * 1000 / events)
        finally:
            outbox_engine.dispose()
            credit_engine.dispose()
    baseline_per_s, pipeline_per_s = statistics.median(baseline), statistics.median(pipeline)
    return {
        "events": events,
        "instances": instances,
        "rounds": rounds,
        "baseline_per_s": round(baseline_per_s, 1),
        "pipeline_per_s": round(pipeline_per_s, 1),
        "ratio": round(pipeline_per_s / baseline_per_s, 3),
        "pipeline_cpu_ms_per_event": round(statistics.median(cpu_ms), 2),
        "baseline_rounds": [round(value, 1) for value in baseline],
        "pipeline_rounds": [round(value, 1) for value in pipeline],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--instances", type=int, nargs="+", default=[1])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--before", type=Path, help="run the children with this checkout's code")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    code_root = (args.before or REPOSITORY).resolve()
    results = [measure(args.events, n, args.rounds, code_root) for n in args.instances]
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"\nevent pipeline, code of {code_root}; {args.events} events, medians of rounds")
    print(f"{'instances':>9} {'baseline/s':>11} {'pipeline/s':>11} {'ratio':>7} {'cpu ms/ev':>10}")
    for result in results:
        print(
            f"{result['instances']:>9} {result['baseline_per_s']:>11.1f} "
            f"{result['pipeline_per_s']:>11.1f} {result['ratio']:>7.3f} "
            f"{result['pipeline_cpu_ms_per_event']:>10.2f}"
        )
    if len(results) > 1:
        one = results[0]
        for other in results[1:]:
            print(
                f"{other['instances']} instances / {one['instances']}: "
                f"{other['pipeline_per_s'] / one['pipeline_per_s']:.2f}x the events/s "
                f"({other['ratio'] / one['ratio']:.2f}x as ratios to their own baselines)"
            )


if __name__ == "__main__":
    main()
