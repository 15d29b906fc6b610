"""Idle memory of each process of the suite, and what its imports cost.

``python -m bench.memory`` starts every process of ``smartcity up`` (and every service alone)
one at a time as ``smartcity run <name>`` does, on a fresh vhost and fresh databases (removed
afterwards), waits until it says it is ready and then ``--idle`` seconds more, and reads its
resident set size (RSS, and USS: the pages it alone holds). Then, for each service module, a
fresh interpreter imports it under ``python -X importtime`` and the heaviest imports are listed
with their cumulative import time, and the RSS growth each heavy library causes (RSS after
importing it alone, minus that of an interpreter that only patched eventlet).

    python -m bench.memory [--idle 5] [--json var/bench/memory.json] [--no-imports]
                           [--env NAME=VALUE ...]   # e.g. to try a setting's effect
                           [--code DIR]   # another checkout's processes (e.g. main's): before
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psutil
import sqlalchemy as sa
from nameko.testing.rabbit import Client as RabbitManager

from bench.suite_run import AMQP, POSTGRES, RABBIT_API
from shared.config import PLATFORM, PROCESS_ENVIRONMENT, SERVICES
from smartcity.registry import PROCESSES, SERVICE_CLASSES, SUITE_PROCESSES

GOAL_MB = 70
HEAVY_LIBRARIES = (
    "sqlalchemy",
    "requests",
    "nameko",
    "kombu",
    "marshmallow",
    "alembic",
    "prometheus_client",
    "jsonschema",
    "fhir.resources",
    "shapely",
    "segno",
    "jwt",
    "argon2",
    "zxcvbn",
    "apispec",
    "chinese_calendar",
    "google.transit.gtfs_realtime_pb2",
    "redis",
    "yaml",
    "stdnum",
    "haversine",
    "psycopg2",
    "werkzeug",
)
_PATCH = "import eventlet; eventlet.monkey_patch(); "
_RSS = (  # the resident set now (not the peak: ru_maxrss counts start-up transients)
    "import os; print('RSS_KB', int(open('/proc/self/statm').read().split()[1])"
    " * os.sysconf('SC_PAGE_SIZE') // 1024)"
)
_IMPORT_ENV = {**os.environ, **PROCESS_ENVIRONMENT}
"""The import figures' interpreters run as the suite's processes do."""
_OWN = {"services", "shared", "gateway", "smartcity", "site", "encodings", "eventlet"}


def idle_rss(
    idle: float, extra_env: dict[str, str], code: Path | None = None
) -> dict[str, dict[str, float]]:
    """RSS and USS (MB) of each process, started alone and left idle."""
    vhost = f"bench_mem_{uuid.uuid4().hex[:8]}"
    prefix = f"bench_mem_{uuid.uuid4().hex[:8]}"
    rabbit = RabbitManager(RABBIT_API)
    admin = sa.create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    rabbit.create_vhost(vhost)
    rabbit.set_vhost_permissions(vhost, "guest", ".*", ".*", ".*")
    databases = (*SERVICES, PLATFORM)
    with admin.connect() as conn:
        for service in databases:
            conn.execute(sa.text(f'CREATE DATABASE "{prefix}_{service}"'))
    template = (
        sa.engine.make_url(POSTGRES)
        .set(database="DATABASE")
        .render_as_string(hide_password=False)
        .replace("DATABASE", f"{prefix}_{{service}}")
    )
    var_dir = tempfile.mkdtemp(prefix="smartcity-bench-mem-")
    env = {
        **{k: v for k, v in os.environ.items() if not k.endswith("_DATABASE_URL")},
        "AMQP_URI": f"{AMQP}/{vhost}",
        "DATABASE_URL_TEMPLATE": template,
        "METRICS_PORT": "0",
        "GATEWAY_PORT": "0",
        "LOG_LEVEL": "WARNING",
        "SMARTCITY_VAR_DIR": var_dir,
        **PROCESS_ENVIRONMENT,
        **extra_env,
    }
    if code is not None:  # ``-m`` puts the working directory first on sys.path
        env["PYTHONPATH"] = str(code.resolve())
    readings = {}
    try:
        for name in sorted(PROCESSES, key=lambda n: (n not in SUITE_PROCESSES, n)):
            readings[name] = _measure_process(name, env, idle, code)
            print(f"  {name:<14} {readings[name]['rss_mb']:6.1f} MB", flush=True)
    finally:
        with admin.connect() as conn:
            for service in databases:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{prefix}_{service}" WITH (FORCE)'))
        admin.dispose()
        rabbit.delete_vhost(vhost)
        shutil.rmtree(var_dir, ignore_errors=True)
    return readings


def _measure_process(
    name: str, env: dict[str, str], idle: float, code: Path | None
) -> dict[str, float]:
    with tempfile.TemporaryFile("w+") as log:
        child = subprocess.Popen(
            [sys.executable, "-m", "smartcity", "run", name],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=code,
        )
        try:
            deadline = time.monotonic() + 300
            while True:
                log.seek(0)
                output = log.read()
                if f"{name} ready" in output:
                    break
                if child.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{name} did not start: {output[-2000:]}")
                time.sleep(0.5)
            time.sleep(idle)
            info = psutil.Process(child.pid).memory_full_info()
            return {
                "services": list(PROCESSES[name]),
                "rss_mb": info.rss / 2**20,
                "uss_mb": info.uss / 2**20,
            }
        finally:
            child.terminate()
            try:
                child.wait(30)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def import_costs(top: int = 10) -> dict[str, dict]:
    """Per service module: RSS after importing it, and its heaviest imports by time."""
    bare = _rss_after("")
    libraries = {lib: _rss_after(f"import {lib}; ") - bare for lib in HEAVY_LIBRARIES}
    services = {}
    for service, path in SERVICE_CLASSES.items():
        module = path.partition(":")[0]
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", f"{_PATCH}import {module}; {_RSS}"],
            env=_IMPORT_ENV,
            capture_output=True,
            text=True,
            check=True,
        )
        services[service] = {
            "module": module,
            "rss_after_import_mb": _rss_kb(done.stdout) / 1024,
            "heaviest": _heaviest(done.stderr, top),
        }
    return {"bare_interpreter_mb": bare, "library_rss_mb": libraries, "services": services}


def _rss_after(code: str) -> float:
    done = subprocess.run(
        [sys.executable, "-c", f"{_PATCH}{code}{_RSS}"],
        env=_IMPORT_ENV,
        capture_output=True,
        text=True,
        check=True,
    )
    return _rss_kb(done.stdout) / 1024


def _rss_kb(stdout: str) -> int:
    return int(re.search(r"RSS_KB (\d+)", stdout).group(1))


_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def _heaviest(importtime: str, top: int) -> list[dict]:
    """Top-level packages other than the project's own, by cumulative import time (where they
    were first imported; a package imported by another counts in both)."""
    totals: dict[str, int] = {}
    for match in _LINE.finditer(importtime):
        cumulative, name = int(match.group(2)), match.group(4)
        if "." not in name and name not in _OWN and not name.startswith("_"):
            totals.setdefault(name, cumulative)
    ordered = sorted(totals.items(), key=lambda item: -item[1])[:top]
    return [{"module": name, "ms": us / 1000} for name, us in ordered]


def main() -> None:
    # A SIGTERM unwinds like Ctrl-C: the vhost and databases are removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--idle", type=float, default=5.0)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--no-imports", action="store_true")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--code", type=Path, default=None)
    args = parser.parse_args()
    extra_env = dict(item.split("=", 1) for item in args.env)
    print(f"idle RSS per process (goal ≤ {GOAL_MB} MB), each started alone:")
    report: dict = {"env": extra_env, "idle": idle_rss(args.idle, extra_env, args.code)}
    if not args.no_imports:
        report["imports"] = costs = import_costs()
        print(f"\nRSS growth per library (MB over a bare {costs['bare_interpreter_mb']:.1f} MB):")
        for lib, grown in sorted(costs["library_rss_mb"].items(), key=lambda item: -item[1]):
            print(f"  {lib:<34} {grown:6.1f}")
        print("\nper service module: RSS after import; heaviest imports (cumulative ms)")
        for service, cost in costs["services"].items():
            heavy = ", ".join(f"{h['module']} {h['ms']:.0f}" for h in cost["heaviest"][:6])
            print(f"  {service:<10} {cost['rss_after_import_mb']:6.1f} MB  {heavy}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
