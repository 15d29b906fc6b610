"""``python -m bench.traffic_scale``: the timetable at 1x and Nx Cairns, as ratios of one run.

Builds the synthetic feeds (``bench.synthetic_feed``), imports each into a fresh PostgreSQL
database in a child process (its wall time and peak RSS are the import's alone), then prints:

- **import** time against ``psql \\copy`` of the same stop_times rows into a table with the
  same columns and indexes (psycopg2 ``copy_expert`` of the same CSV when ``psql`` is missing;
  the output says which), and the import's peak RSS;
- **arrivals** at the busiest stop of Cairns (750449, Monday 07:50:30, 10 vehicles): serial
  latency and, with a pool of threads each holding its own connection, latency and throughput,
  at 1x against Nx; the full computation that arrivals used before the index (every call of
  the stop, every calendar and exception of the feed) is timed beside it.

Calls go straight to ``services.traffic.timetable`` on a session: the cost measured is the
query's, without the broker and the gateway in front. Nothing here asserts a time.

    python -m bench.traffic_scale [--times 100] [--calls 200] [--threads 8] [--shared-stops]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bench.synthetic_feed import CAIRNS, build

POSTGRES = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg2://postgres:postgres@127.0.0.1:5432/postgres"
)
REPOSITORY = Path(__file__).resolve().parent.parent
BUSIEST_STOP = "750449"
MONDAY_MORNING = dt.datetime(2014, 6, 2, 7, 50, 30)


class Databases:
    """Fresh databases, dropped afterwards."""

    def __init__(self) -> None:
        self.admin = sa.create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
        self.names: list[str] = []

    def create(self, label: str) -> str:
        name = f"bench_traffic_{label}_{uuid.uuid4().hex[:6]}"
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        self.names.append(name)
        return sa.engine.make_url(POSTGRES).set(database=name).render_as_string(False)

    def drop_all(self) -> None:
        with self.admin.connect() as conn:
            for name in self.names:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


def import_feed_measured(database_url: str, feed: Path, code: Path = REPOSITORY) -> dict:
    """Import in a child process running the code of checkout ``code``."""
    output = subprocess.run(
        [sys.executable, str(Path(__file__).parent / "import_child.py"), database_url, str(feed)],
        check=True,
        capture_output=True,
        text=True,
        cwd=code,
        env={**os.environ, "PYTHONPATH": str(code)},
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def copy_baseline(database_url: str, workdir: Path) -> tuple[float, str]:
    """Seconds to COPY the imported stop_times rows, as CSV, into a same-shaped table."""
    engine = sa.create_engine(database_url)
    csv_path = workdir / "stop_times.csv"
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cursor, csv_path.open("w") as out:
            cursor.copy_expert("COPY gtfs_stop_times TO STDOUT WITH (FORMAT csv)", out)
            cursor.execute(
                "CREATE TABLE bench_stop_times (LIKE gtfs_stop_times INCLUDING ALL)"
            )  # same columns, primary key and indexes
        raw.commit()
        psql = shutil.which("psql")
        if psql:
            url = sa.engine.make_url(database_url)
            command = [
                psql,
                "-q",
                "-h",
                url.host or "127.0.0.1",
                "-p",
                str(url.port or 5432),
                "-U",
                url.username or "postgres",
                "-d",
                url.database,
                "-c",
                f"\\copy bench_stop_times FROM '{csv_path}' WITH (FORMAT csv)",
            ]
            env = {**os.environ, "PGPASSWORD": url.password or ""}
            started = time.perf_counter()
            subprocess.run(command, check=True, env=env)
            return time.perf_counter() - started, "psql \\copy"
        started = time.perf_counter()
        with raw.cursor() as cursor, csv_path.open() as source:
            cursor.copy_expert("COPY bench_stop_times FROM STDIN WITH (FORMAT csv)", source)
        raw.commit()
        return time.perf_counter() - started, "psycopg2 copy_expert (psql not found)"
    finally:
        raw.close()
        engine.dispose()


def full_arrivals(session: Session, stop_id: str, at: dt.datetime, limit: int) -> list:
    """Arrivals as computed before the index: every call, calendar and exception read."""
    from zoneinfo import ZoneInfo

    from services.traffic.arrival_reads import calls_query
    from services.traffic.domain.schedule import (
        ServiceCalendar,
        ServiceException,
        StopCall,
        TripInfo,
        upcoming_arrivals,
    )
    from services.traffic.models import Calendar, CalendarDate
    from services.traffic.queries import active_feed

    feed = active_feed(session)
    rows = session.execute(calls_query(feed.feed_id, stop_id)).all()
    trips = {
        r.trip_id: TripInfo(
            r.trip_id, r.route_id, r.service_id, r.route_short_name, r.trip_headsign
        )
        for r in rows
    }
    calls = [StopCall(r.trip_id, r.stop_sequence, r.arrival_s, r.departure_s) for r in rows]
    calendars = [
        ServiceCalendar.from_row(r._mapping)
        for r in session.execute(
            sa.select(Calendar.__table__).where(Calendar.feed_id == feed.feed_id)
        )
    ]
    exceptions = [
        ServiceException.from_row(r._mapping)
        for r in session.execute(
            sa.select(CalendarDate.__table__).where(CalendarDate.feed_id == feed.feed_id)
        )
    ]
    tz = ZoneInfo(feed.timezone)
    return upcoming_arrivals(at, calls, trips, calendars, exceptions, tz=tz, limit=limit)


def _indexed(session: Session, stop_id: str, at: dt.datetime, limit: int) -> object:
    from services.traffic import timetable

    return timetable.arrivals(session, stop_id, at, limit)


def latency(urls: dict[str, str], call: Callable, calls: int, threads: int) -> dict[str, dict]:
    """p50 latency of ``call`` on each database, serial and from ``threads`` threads, with the
    databases taken in turn (call by call, round by round) so that the load of a shared
    machine falls on all of them alike."""
    engines = {
        label: sa.create_engine(url, pool_size=threads, max_overflow=0)
        for label, url in urls.items()
    }

    def one(label: str) -> float:
        with Session(engines[label]) as session:
            started = time.perf_counter()
            call(session, BUSIEST_STOP, MONDAY_MORNING, 10)
            return time.perf_counter() - started

    for label in urls:  # warm-up: connections, the feed's calendars in memory
        for _ in range(10):
            one(label)
    serial: dict[str, list[float]] = {label: [] for label in urls}
    for _ in range(calls):
        for label in urls:
            serial[label].append(one(label))
    concurrent: dict[str, list[float]] = {label: [] for label in urls}
    walls = dict.fromkeys(urls, 0.0)
    rounds = 4
    with ThreadPoolExecutor(threads) as pool:
        for _ in range(rounds):
            for label in urls:
                started = time.perf_counter()
                concurrent[label] += pool.map(one, [label] * (calls // rounds))
                walls[label] += time.perf_counter() - started
    for engine in engines.values():
        engine.dispose()
    return {
        label: {
            "serial_p50_ms": round(statistics.median(serial[label]) * 1000, 2),
            "concurrent_p50_ms": round(statistics.median(concurrent[label]) * 1000, 2),
            "concurrent_per_s": round(len(concurrent[label]) / walls[label], 1),
        }
        for label in urls
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--times", type=int, default=100)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--shared-stops", action="store_true")
    parser.add_argument(
        "--before",
        type=Path,
        help="another checkout (e.g. main's worktree) whose importer is also timed, for "
        "before/after figures in the same run",
    )
    parser.add_argument(
        "--arrivals-only",
        action="store_true",
        help="import without timing the COPY baseline: for arrivals figures alone",
    )
    parser.add_argument(
        "--reuse",
        nargs=2,
        metavar=("URL_1X", "URL_NX"),
        help="databases already holding the 1x and Nx feeds: arrivals figures alone",
    )
    arguments = parser.parse_args()
    databases = Databases()
    workdir = Path(tempfile.mkdtemp(prefix="bench_traffic_"))
    try:
        report = run(databases, workdir, arguments)
    finally:
        databases.drop_all()
        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(report, indent=2))


def run(databases: Databases, workdir: Path, arguments: argparse.Namespace) -> dict:
    times = arguments.times
    report: dict = {"times": times, "shared_stops": arguments.shared_stops}
    sizes = dict(zip(("1x", f"{times}x"), arguments.reuse or (), strict=False))
    for label, copies in () if sizes else (("1x", 1), (f"{times}x", times)):
        feed = workdir / f"cairns_{label}.zip"
        build(CAIRNS, feed, copies, arguments.shared_stops)
        url = databases.create(label)
        imported = import_feed_measured(url, feed)
        sizes[label] = url
        report[f"import {label}"] = imported
        if arguments.arrivals_only:
            continue
        copy_s, baseline = copy_baseline(url, workdir)
        imported.update(copy_s=copy_s, baseline=baseline, vs_copy=imported["seconds"] / copy_s)
        print(f"import {label}: {imported}", flush=True)
        if arguments.before:
            before = import_feed_measured(
                databases.create(f"before{label}"), feed, arguments.before
            )
            before["vs_copy"] = before["seconds"] / copy_s
            print(f"import {label} before: {before}", flush=True)
            report[f"import {label} before"] = before
    for name, call in (("indexed", _indexed), ("full (before)", full_arrivals)):
        figures = latency(sizes, call, arguments.calls, arguments.threads)
        small, big = figures["1x"], figures[f"{times}x"]
        report[f"arrivals {name}"] = {
            **figures,
            "serial_ratio": big["serial_p50_ms"] / small["serial_p50_ms"],
            "concurrent_ratio": big["concurrent_p50_ms"] / small["concurrent_p50_ms"],
        }
        print(f"arrivals {name}: {report[f'arrivals {name}']}", flush=True)
    return report


if __name__ == "__main__":
    main()
