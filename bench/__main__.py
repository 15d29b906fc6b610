"""``make bench`` (``python -m bench``): the suite under concurrent load, each path beside its
own baseline measured in the same run.

The suite runs as ``smartcity up --demo`` runs it (``bench/suite_run.py``: separate processes,
the real RabbitMQ and PostgreSQL, a fresh vhost and fresh databases, removed afterwards), with
the Cairns feed imported. ``bench/load.py`` sends the requests from a process of its own at a
fixed concurrency. Sections, each starting with its baseline:

- public reads through the gateway with ``GATEWAY_CACHE=off`` and through a second gateway
  process with ``GATEWAY_CACHE=on``, against the bare ``@http``→RPC echo pair
  (``bench/echo_pair.py``) measured again just before each path;
- a resident's authenticated reads, against the same echo pair;
- the write path (a resident files an application; the office accepts it, which checks credit),
  against the echo pair with one PostgreSQL insert and commit;
- the event pipeline: ``bench.pipeline.measure()`` (its own baseline: raw pika with one insert
  and commit per message);
- the RPC path: ``credit.check`` against the ``health`` RPC, serial (``bench/rpc_path.py``).

Every loaded row also records the CPU time each process of the suite spent per request.
Writes ``var/bench/<UTC time>.json`` and ``.png`` (ratios) and prints a table. Nothing here
asserts a time.

    python -m bench [--concurrency 16] [--seconds 8] [--calls 300] [--out var/bench]
                    [--only public|resident|writes|rpc|pipeline ...] [--cache off|on ...]

``--only`` runs the named sections alone (each still beside its own baseline), to iterate on one
path quickly; ``make bench`` runs them all.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa

from bench.load import Request, run_load
from bench.report import Row, write_chart, write_table
from bench.suite_run import BenchSuite

CAIRNS = Path(__file__).resolve().parent.parent / "tests" / "data" / "gtfs" / "cairns_gtfs.zip"
BUSY_STOP = ("750449", -16.920876, 145.779259)  # 607 calls a week, the busiest of Cairns
MONDAY = "2014-06-02T07:50:30"
VENUE_POINT = (41.7968, 123.4510)  # the demo's first venue
AFFAIR = "minimum-living-allowance"  # checks credit when the office accepts
REQUIRED_DOCUMENTS = ("household_register", "income_statement")
OFFICE_KEY = "community-civil-affairs"
PASSWORD = "a long enough Shenyang passphrase"
RESIDENTS = 8
SECTIONS = ("public", "resident", "writes", "rpc", "pipeline")
ACCEPTANCES_AT_LEAST = 1200
"""Applications waiting before the acceptances are timed: more than the office can accept in
one window and its warm-up at this concurrency (60 a second on 2026-12-03, when 600 ran out
and five acceptances answered 409), so none is accepted twice."""


def main() -> None:
    # A SIGTERM unwinds like Ctrl-C: the vhost and databases are removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--calls", type=int, default=300, help="serial RPC calls of each kind")
    parser.add_argument("--pipeline-events", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=Path("var/bench"))
    parser.add_argument(
        "--only",
        nargs="+",
        choices=SECTIONS,
        default=list(SECTIONS),
        help="run these sections alone (default: all)",
    )
    parser.add_argument(
        "--cache",
        nargs="+",
        choices=("off", "on"),
        default=["off", "on"],
        help="public reads through the gateway with GATEWAY_CACHE off, on, or both (default)",
    )
    args = parser.parse_args()
    only = set(args.only)
    started = datetime.now(UTC)
    machine = {"cores": os.cpu_count(), "load_average_before": os.getloadavg()}
    rows: list[Row] = []

    meter: CpuMeter | None = None

    def load(
        section: str, name: str, factory: Callable[[], Iterator[Request]], baseline: Row | None
    ) -> Row:
        before = meter.sample() if meter else {}
        try:
            result = run_load(factory, args.concurrency, args.seconds, args.warmup)
        except (ValueError, RuntimeError) as exc:  # no request to send, or the tool failed
            row = Row.failed(section, name, str(exc))
        else:
            row = Row.from_load(section, name, result, baseline)
            sent = result.requests_per_s * (args.warmup + args.seconds)
            if meter and sent:
                row.cpu_ms_per_request = meter.per_request(before, sent)
        rows.append(row)
        print(row.line(), flush=True)
        return row

    if only - {"pipeline"}:
        print("starting the suite (smartcity up --demo), a second gateway and the echo pair…")
        with BenchSuite(gateway_cache="off", other_gateway_cache="on") as suite:
            print(suite.cli("traffic", "import-gtfs", str(CAIRNS)).strip().splitlines()[-1])
            meter = CpuMeter(suite)
            if "public" in only:
                _public_section(suite, load, args.cache)
            tokens = (
                _residents(suite.gateway_url, RESIDENTS) if only & {"resident", "writes"} else []
            )
            if "resident" in only:
                _resident_section(suite, load, tokens)
            if "writes" in only:
                _writes_section(suite, load, tokens)
            if "rpc" in only:
                rpc_rows = _rpc_path(suite.amqp_uri, args.calls)
                rows.extend(rpc_rows)
                for row in rpc_rows:
                    print(row.line(), flush=True)

    if "pipeline" in only:
        # Its own vhost, databases and processes: measured once the suite has stopped.
        rows.append(_pipeline(args.pipeline_events))
        print(rows[-1].line(), flush=True)

    machine["load_average_after"] = os.getloadavg()
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    args.out.mkdir(parents=True, exist_ok=True)
    report = {
        "started": started.isoformat(),
        "finished": datetime.now(UTC).isoformat(),
        "machine": machine,
        "concurrency": args.concurrency,
        "seconds": args.seconds,
        "warmup": args.warmup,
        "load_tool": "bench/load.py (asyncio + aiohttp, own process)",
        "rows": [row.as_dict() for row in rows],
    }
    json_path = args.out / f"{stamp}.json"
    json_path.write_text(json.dumps(report, indent=2))
    chart = write_chart(rows, args.out / f"{stamp}.png", machine, args.concurrency)
    print()
    print(write_table(rows, machine, args.concurrency))
    print(f"\nwritten: {json_path} and {chart}")


def _process_name(cmdline: list[str]) -> str:
    """``smartcity run <name> [--no-migrate]`` gives ``<name>``; another command its last word
    (the echo pair's module)."""
    words = cmdline[cmdline.index("run") + 1 :] if "run" in cmdline else cmdline[-1:]
    return (words[0] if words else " ".join(cmdline)).replace("_", "-")


class CpuMeter:
    """CPU time of each process of the suite (``smartcity up``'s children, the second gateway,
    the echo pair), by its ``smartcity run`` name."""

    def __init__(self, suite: BenchSuite) -> None:
        import psutil  # the bench extra's

        children = psutil.Process(suite.up.pid).children(recursive=True)
        self.processes = {_process_name(p.cmdline()): p for p in children}
        # The bench's own by the names it gave them: the second gateway is also `run gateway`.
        self.processes.update(
            (name, psutil.Process(process.pid)) for name, process in suite.processes.items()
        )

    def sample(self) -> dict[str, float]:
        times = {}
        for name, process in self.processes.items():
            try:
                user, system = process.cpu_times()[:2]
            except Exception:  # gone: its figure is left out
                continue
            times[name] = user + system
        return times

    def per_request(self, before: dict[str, float], requests: float) -> dict[str, float]:
        after = self.sample()
        spent = {name: after[name] - before[name] for name in after if name in before}
        return {
            name: round(seconds / requests * 1000, 2)
            for name, seconds in sorted(spent.items(), key=lambda item: -item[1])
            if seconds >= 0.05
        }


# --- the sections -----------------------------------------------------------------------------

Load = Callable[[str, str, Callable[[], Iterator[Request]], "Row | None"], Row]


def _echo_get(suite: BenchSuite) -> Callable[[], Iterator[Request]]:
    return _repeat(("GET", f"{suite.echo_url}/echo?value=ping", None, None))


def _public_section(suite: BenchSuite, load: Load, caches: list[str]) -> None:
    cached = {"off": suite.gateway_url, "on": suite.other_gateway_url}
    for name, path in _public_reads():
        # The baseline just before each path: on a shared machine the load changes by the
        # minute, and one baseline at the start of the section compared paths with a moment.
        baseline = load(
            "public reads", f"echo pair GET (baseline of {name})", _echo_get(suite), None
        )
        for cache in caches:
            url = cached[cache] + path
            load("public reads", f"{name} (cache {cache})", _repeat(("GET", url, None)), baseline)


def _resident_section(suite: BenchSuite, load: Load, tokens: list[str]) -> None:
    baseline = load("resident reads", "echo pair GET (baseline)", _echo_get(suite), None)
    for name, path in (
        ("GET /api/v1/me", "/api/v1/me"),
        ("GET /api/v1/me/access-log", "/api/v1/me/access-log"),
        ("GET my applications", "/api/v1/community/me/applications"),
    ):
        load("resident reads", name, _as_residents(suite.gateway_url + path, tokens), baseline)


def _writes_section(suite: BenchSuite, load: Load, tokens: list[str]) -> None:
    baseline = load("writes", "echo pair POST + insert (baseline)", _echo_inserts(suite), None)
    applications = _applications(suite, tokens)
    load("writes", "file an application (outbox event)", applications, baseline)
    _top_up_submitted(suite, applications, ACCEPTANCES_AT_LEAST)
    office = suite.demo_credentials()["api_keys"][OFFICE_KEY]
    load("writes", "office accepts it (credit.check)", _acceptances(suite, office), baseline)


# --- the requests ------------------------------------------------------------------------------


def _repeat(request: tuple) -> Callable[[], Iterator[Request]]:
    method, url, headers, *body = request
    return lambda: iter([(method, url, headers, body[0] if body else None)])


def _public_reads() -> list[tuple[str, str]]:
    stop, lat, lon = BUSY_STOP
    venue_lat, venue_lon = VENUE_POINT
    return [
        (
            "arrivals, busiest Cairns stop",
            f"/api/v1/traffic/stops/{stop}/arrivals?at={MONDAY}",
        ),
        ("stops near (Cairns)", f"/api/v1/traffic/stops?lat={lat}&lon={lon}&radius=1000"),
        ("routes", "/api/v1/traffic/routes"),
        ("venues near", f"/api/v1/tourism/venues?lat={venue_lat}&lon={venue_lon}"),
        ("published black list", "/api/v1/credit/lists/black"),
    ]


def _residents(gateway: str, count: int) -> list[str]:
    """Register ``count`` residents (fresh valid ID numbers) and log each in: their tokens."""
    tokens = []
    for _ in range(count):
        serial = uuid.uuid4().int
        born = date(1960, 1, 1) + timedelta(days=serial % 15000)
        body17 = f"210102{born:%Y%m%d}{serial % 1000:03d}"
        weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        check = "10X98765432"[sum(int(d) * w for d, w in zip(body17, weights, strict=True)) % 11]
        person = {"name": "Bench Resident", "id_number": body17 + check, "phone": "13712345678"}
        registered = requests.post(
            f"{gateway}/api/v1/residents", json={**person, "password": PASSWORD}, timeout=60
        )
        registered.raise_for_status()
        token = requests.post(
            f"{gateway}/api/v1/auth/token",
            json={"username": person["id_number"], "password": PASSWORD},
            timeout=60,
        )
        token.raise_for_status()
        tokens.append(token.json()["access_token"])
    return tokens


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _as_residents(url: str, tokens: list[str]) -> Callable[[], Iterator[Request]]:
    return lambda: iter([("GET", url, _bearer(token), None) for token in tokens])


def _echo_inserts(suite: BenchSuite) -> Callable[[], Iterator[Request]]:
    url = f"{suite.echo_url}/insert"
    return lambda: (("POST", url, None, json.dumps({"n": n})) for n in range(10**9))


def _documents(gateway: str, token: str) -> list[str]:
    """Upload the documents the affair requires (a resident may file them with any number of
    applications)."""
    ids = []
    for kind in REQUIRED_DOCUMENTS:
        uploaded = requests.post(
            f"{gateway}/api/v1/community/me/documents?kind={kind}",
            data=b"%PDF-1.4\n% bench document\n%%EOF\n",
            headers={**_bearer(token), "Content-Type": "application/pdf"},
            timeout=60,
        )
        uploaded.raise_for_status()
        ids.append(uploaded.json()["document_id"])
    return ids


def _applications(suite: BenchSuite, tokens: list[str]) -> Callable[[], Iterator[Request]]:
    url = f"{suite.gateway_url}/api/v1/community/me/applications"
    headers = [{**_bearer(token), "Content-Type": "application/json"} for token in tokens]
    documents = [_documents(suite.gateway_url, token) for token in tokens]

    def factory() -> Iterator[Request]:
        for n in range(10**9):
            form = {
                "household_size": 1 + n % 6,
                "monthly_household_income_yuan": 900 + n % 500,
                "address": f"{n} Shifu Road, Shenhe",
            }
            resident = n % len(tokens)
            body = {"affair_code": AFFAIR, "form": form, "document_ids": documents[resident]}
            yield ("POST", url, headers[resident], json.dumps(body))

    return factory


def _submitted_ids(suite: BenchSuite) -> list[Any]:
    engine = sa.create_engine(suite.database_url("community"))
    with engine.connect() as conn:
        ids = conn.scalars(
            sa.text("SELECT id FROM community_applications WHERE status = 'submitted'")
        ).all()
    engine.dispose()
    return list(ids)


def _top_up_submitted(
    suite: BenchSuite, applications: Callable[[], Iterator[Request]], at_least: int
) -> None:
    """File more applications (untimed) until ``at_least`` wait to be accepted: the load tool
    sends a short list again from its start, and a second ``accept`` of one answers 409."""
    from concurrent.futures import ThreadPoolExecutor
    from itertools import islice

    missing = at_least - len(_submitted_ids(suite))
    if missing <= 0:
        return

    def send(request: Request) -> None:
        method, url, headers, body = request
        requests.request(method, url, headers=headers, data=body, timeout=60).raise_for_status()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(send, islice(applications(), missing)))


def _acceptances(suite: BenchSuite, office_key: str) -> Callable[[], Iterator[Request]]:
    """One ``accept`` for each application still submitted (read from community's database:
    the load generator keeps no answers)."""
    ids = _submitted_ids(suite)
    base = f"{suite.gateway_url}/api/v1/community/applications"
    headers = {**_bearer(office_key), "Content-Type": "application/json"}
    body = json.dumps({"action": "accept"})
    return lambda: iter([("POST", f"{base}/{app_id}/actions", headers, body) for app_id in ids])


# --- the sections that measure themselves ---------------------------------------------------------


def _pipeline(events: int) -> Row:
    from bench import pipeline

    try:
        measured: dict[str, Any] = pipeline.measure(events=events)
    except Exception as exc:
        return Row.failed("event pipeline", "outbox → broker → credit handler", repr(exc))
    return Row.from_pipeline(measured)


def _rpc_path(amqp_uri: str, calls: int) -> list[Row]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.rpc_path", amqp_uri, "--calls", str(calls)],
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    if done.returncode != 0:
        return [Row.failed("rpc path", "credit.check vs health", done.stderr[-500:])]
    return Row.from_rpc_path(json.loads(done.stdout))


if __name__ == "__main__":
    started = time.monotonic()
    main()
    print(f"bench took {time.monotonic() - started:.0f} s")
