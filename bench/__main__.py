"""``python -m bench``: latency of the suite's hot paths, against baselines measured now.

Starts the platform, credit and traffic services and the gateway in this process, on a fresh
RabbitMQ vhost and fresh PostgreSQL databases (the same servers the tests use), then times
serial calls. Baselines: the ``health`` RPC (one broker round trip, no database) for RPC paths,
and ``GET /healthz`` (plain HTTP, no RPC) for HTTP paths. Ratios travel between machines far
better than milliseconds do; nothing here asserts a time.

    python -m bench [--calls 300]
"""

from __future__ import annotations

import warnings

warnings.filterwarnings("ignore")  # eventlet's deprecation notice, on import

import eventlet  # noqa: E402

eventlet.monkey_patch()

import argparse  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Callable  # noqa: E402
from datetime import date, timedelta  # noqa: E402
from pathlib import Path  # noqa: E402

import requests  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from nameko.runners import ServiceRunner  # noqa: E402
from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402
from nameko.testing.rabbit import Client as RabbitManager  # noqa: E402

from shared.config import nameko_config  # noqa: E402
from smartcity.registry import load  # noqa: E402

POSTGRES = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg2://postgres:postgres@127.0.0.1:5432/postgres"
)
RABBIT_API = os.environ.get("TEST_RABBIT_API_URI", "http://guest:guest@localhost:15672")
AMQP = os.environ.get("TEST_AMQP_URI", "amqp://guest:guest@localhost:5672/").rstrip("/")
SAMPLE_FEED = Path(__file__).resolve().parent.parent / "smartcity" / "demo_data" / "sample_gtfs.zip"
ENTERPRISE = "91110000600037341L"


def timed(fn: Callable[[int], object], calls: int) -> list[float]:
    for i in range(min(20, calls)):  # warm-up: connections, caches, JIT-free but pool-full
        fn(-1 - i)
    samples = []
    for i in range(calls):
        started = time.perf_counter()
        fn(i)
        samples.append(time.perf_counter() - started)
    return samples


def summary(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.99) - 1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Environment:
    """A vhost and databases of our own, removed afterwards."""

    def __init__(self) -> None:
        self.vhost = f"bench_{uuid.uuid4().hex[:8]}"
        self.rabbit = RabbitManager(RABBIT_API)
        self.admin = sa.create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
        self.databases: list[str] = []
        self.runners: list[ServiceRunner] = []

    def __enter__(self) -> Environment:
        self.rabbit.create_vhost(self.vhost)
        self.rabbit.set_vhost_permissions(self.vhost, "guest", ".*", ".*", ".*")
        self.amqp_uri = f"{AMQP}/{self.vhost}"
        return self

    def database(self, service: str) -> str:
        name = f"bench_{service}_{uuid.uuid4().hex[:8]}"
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        self.databases.append(name)
        return sa.engine.make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)

    def start(self, service: str, **overrides: object) -> dict:
        config = nameko_config(
            service,
            AMQP_URI=self.amqp_uri,
            METRICS_PORT=None,
            DATABASE_URLS={service: self.database(service)},
            **overrides,
        )
        runner = ServiceRunner(config)
        runner.add_service(load(service))
        runner.start()
        self.runners.append(runner)
        return config

    def __exit__(self, *exc: object) -> None:
        for runner in reversed(self.runners):
            runner.kill()
        with self.admin.connect() as conn:
            for name in self.databases:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()
        self.rabbit.delete_vhost(self.vhost)


def record(n: int) -> dict:
    today = date.today()
    return {
        "subject_type": "enterprise",
        "subject_id": ENTERPRISE,
        "source_record_id": f"BENCH-{n}",
        "category": "administrative_penalty",
        "polarity": "negative",
        "severity": "minor",
        "basis": "Bench rule 1",
        "decided_on": (today - timedelta(days=5)).isoformat(),
        "valid_until": (today + timedelta(days=365)).isoformat(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=300)
    calls = parser.parse_args().calls
    rows: list[tuple[str, str, list[float]]] = []

    with Environment() as env:
        env.start("platform")
        env.start("credit")
        traffic = env.start("traffic")
        port = free_port()
        env.start("gateway", WEB_SERVER_ADDRESS=f"127.0.0.1:{port}", RATE_LIMIT_PER_IP=10**9)
        _import_sample_feed(traffic)
        with ClusterRpcProxy({"AMQP_URI": env.amqp_uri}) as cluster:
            for n in range(5):  # a subject with a history, as checks meet in practice
                cluster.credit.add_record("traffic", record(n))
            rows.append(
                ("rpc", "health (baseline)", timed(lambda i: cluster.credit.health(), calls))
            )
            rows.append(
                (
                    "rpc",
                    "credit.check",
                    timed(
                        lambda i: cluster.credit.check(
                            "enterprise", ENTERPRISE, "subsidy", "health"
                        ),
                        calls,
                    ),
                )
            )
            rows.append(
                (
                    "rpc",
                    "credit.add_record (write + outbox)",
                    timed(lambda i: cluster.credit.add_record("traffic", record(1000 + i)), calls),
                )
            )
            rows.append(
                (
                    "rpc",
                    "traffic.arrivals",
                    timed(
                        lambda i: cluster.traffic.arrivals(
                            "FUR_CREEK_RES", "2007-06-05T06:00:00", 5
                        ),
                        calls,
                    ),
                )
            )
        http = requests.Session()
        base = f"http://127.0.0.1:{port}"
        rows.append(
            ("http", "GET /healthz (baseline)", timed(lambda i: http.get(f"{base}/healthz"), calls))
        )
        rows.append(
            (
                "http",
                "GET credit public summary",
                timed(
                    lambda i: http.get(f"{base}/api/v1/credit/subjects/{ENTERPRISE}/public"), calls
                ),
            )
        )
        rows.append(
            (
                "http",
                "GET traffic stops near",
                timed(
                    lambda i: http.get(
                        f"{base}/api/v1/traffic/stops?lat=36.425&lon=-117.133&radius=3000"
                    ),
                    calls,
                ),
            )
        )

    print(
        f"\n{calls} serial calls each (after warm-up); ratio = p50 / p50 of the baseline "
        "of the same kind, measured in this run\n"
    )
    print(f"{'kind':<5} {'path':<40} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>7}")
    baselines = {}
    for kind, name, samples in rows:
        p50, p99 = summary(samples)
        baselines.setdefault(kind, p50)
        print(
            f"{kind:<5} {name:<40} {p50 * 1000:8.2f} {p99 * 1000:8.2f} {p50 / baselines[kind]:7.2f}"
        )


def _import_sample_feed(traffic_config: dict) -> None:
    from sqlalchemy.orm import sessionmaker

    from services.traffic.handlers import import_gtfs
    from shared.db import UnitOfWork, make_engine

    engine = make_engine(traffic_config["DATABASE_URLS"]["traffic"])
    import_gtfs(UnitOfWork(sessionmaker(engine), "traffic"), SAMPLE_FEED, "sample", None)
    engine.dispose()


if __name__ == "__main__":
    main()
