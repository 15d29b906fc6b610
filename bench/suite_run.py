"""The suite under test as ``smartcity up`` runs it, on a vhost and databases of its own.

``smartcity up --demo`` in a subprocess (each service a process of its own, real RabbitMQ and
PostgreSQL: a fresh vhost and one fresh database per service, all removed afterwards), one more
gateway process beside it (``smartcity run <gateway process>``, with its own ``GATEWAY_CACHE``)
so that public reads can be measured through a gateway with the cache on and one with it off in
the same run, and the echo pair of ``bench/echo_pair.py`` as two more processes.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests
import sqlalchemy as sa
from nameko.testing.rabbit import Client as RabbitManager

from shared.config import GATEWAY, PLATFORM, SERVICES
from smartcity.ports import free_port
from smartcity.registry import PROCESSES

POSTGRES = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg2://postgres:postgres@127.0.0.1:5432/postgres"
)
RABBIT_API = os.environ.get("TEST_RABBIT_API_URI", "http://guest:guest@localhost:15672")
AMQP = os.environ.get("TEST_AMQP_URI", "amqp://guest:guest@localhost:5672/").rstrip("/")
READY_TIMEOUT_S = 600  # a loaded 2-core machine starts eight processes and loads the demo slowly
UNLIMITED = "1000000000"
ECHO_DATABASE = "echo"

_GATEWAY_PROCESS = next(name for name, services in PROCESSES.items() if services == (GATEWAY,))
"""The process that runs the HTTP edge alone (`gateway`; until 2026-12-02 the suite's gateway
process also ran the platform, and the edge alone was `gateway-edge`)."""


class BenchSuite:
    """``with BenchSuite(gateway_cache="off") as suite:`` the suite up, demo data loaded."""

    def __init__(self, gateway_cache: str, other_gateway_cache: str) -> None:
        self.vhost = f"bench_{uuid.uuid4().hex[:8]}"
        self.prefix = f"bench_{uuid.uuid4().hex[:8]}"
        self.rabbit = RabbitManager(RABBIT_API)
        self.admin = sa.create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
        self.var_dir = Path(tempfile.mkdtemp(prefix="smartcity-bench-"))
        self.amqp_uri = f"{AMQP}/{self.vhost}"
        self.gateway_cache = gateway_cache
        self.other_gateway_cache = other_gateway_cache
        self.gateway_url = f"http://127.0.0.1:{free_port()}"
        self.other_gateway_url = f"http://127.0.0.1:{free_port()}"
        self.echo_url = f"http://127.0.0.1:{free_port()}"
        self.processes: dict[str, subprocess.Popen] = {}
        """The bench's own processes by name (the second gateway, the echo pair)."""
        self.up: subprocess.Popen | None = None
        self.env: dict[str, str] = {}

    # --- start ---------------------------------------------------------------------------------

    def __enter__(self) -> BenchSuite:
        self.rabbit.create_vhost(self.vhost)
        self.rabbit.set_vhost_permissions(self.vhost, "guest", ".*", ".*", ".*")
        try:
            self._create_databases()
            self.env = self._environment()
            self._start_suite()
            self._start_other_gateway()
            self._start_echo_pair()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _create_databases(self) -> None:
        with self.admin.connect() as conn:
            for service in (*SERVICES, PLATFORM, ECHO_DATABASE):
                conn.execute(sa.text(f'CREATE DATABASE "{self.prefix}_{service}"'))

    def database_url(self, service: str, driver: str = "postgresql+psycopg2") -> str:
        return (
            sa.engine.make_url(POSTGRES)
            .set(drivername=driver, database=f"{self.prefix}_{service}")
            .render_as_string(hide_password=False)
        )

    def _environment(self) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.endswith("_DATABASE_URL") and key != "DATABASE_URL_TEMPLATE"
        }
        template = self.database_url("DATABASE").replace("DATABASE", "{service}")
        env.update(
            AMQP_URI=self.amqp_uri,
            SMARTCITY_VAR_DIR=str(self.var_dir),
            DATABASE_URL_TEMPLATE=template,
            GATEWAY_PORT=self.gateway_url.rsplit(":", 1)[1],
            GATEWAY_CACHE=self.gateway_cache,
            METRICS_PORT="off",
            LOG_LEVEL="WARNING",
            # One client address sends everything: the limits would measure themselves.
            RATE_LIMIT_PER_IP=UNLIMITED,
            RATE_LIMIT_PER_CLIENT=UNLIMITED,
            AUTH_FAILURES_PER_IP=UNLIMITED,
            LOGIN_FAILURES_PER_IP=UNLIMITED,
            REGISTRATIONS_PER_IP=UNLIMITED,
        )
        return env

    def _start_suite(self) -> None:
        log = open(self.var_dir / "up.log", "w")  # noqa: SIM115 - the child keeps writing it
        self.up = subprocess.Popen(
            [sys.executable, "-m", "smartcity", "up", "--demo"],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            process_group=0,
        )
        deadline = time.monotonic() + READY_TIMEOUT_S
        while "Ctrl-C stops everything" not in (self.var_dir / "up.log").read_text():
            if self.up.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the suite did not come up: {self.log_tail('up')}")
            time.sleep(1)

    def _spawn(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen:
        log = open(self.var_dir / f"{name}.log", "w")  # noqa: SIM115 - the child keeps writing it
        process = subprocess.Popen(
            [sys.executable, *argv], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        self.processes[name] = process
        return process

    def _start_other_gateway(self) -> None:
        env = {
            **self.env,
            "GATEWAY_PORT": self.other_gateway_url.rsplit(":", 1)[1],
            "GATEWAY_CACHE": self.other_gateway_cache,
        }
        self._spawn("other-gateway", ["-m", "smartcity", "run", _GATEWAY_PROCESS], env)
        self._wait_http(f"{self.other_gateway_url}/healthz", "other-gateway")

    def _start_echo_pair(self) -> None:
        env = {
            **self.env,
            "AMQP_URI": self.amqp_uri,
            "ECHO_PORT": self.echo_url.rsplit(":", 1)[1],
            "ECHO_DATABASE_URL": self.database_url(ECHO_DATABASE, "postgresql"),
        }
        self._spawn("echo", ["-m", "bench.echo_pair", "echo"], env)
        self._spawn("echo-edge", ["-m", "bench.echo_pair", "edge"], env)
        self._wait_http(f"{self.echo_url}/echo", "echo-edge")

    def _wait_http(self, url: str, name: str) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with contextlib.suppress(requests.RequestException):
                if requests.get(url, timeout=5).status_code == 200:
                    return
            time.sleep(0.5)
        raise RuntimeError(f"{url} did not answer: {self.log_tail(name)}")

    # --- use -----------------------------------------------------------------------------------

    def log_tail(self, name: str) -> str:
        path = self.var_dir / f"{name}.log"
        return path.read_text()[-2000:] if path.exists() else "(no log)"

    def demo_credentials(self) -> dict:
        return json.loads((self.var_dir / "demo-credentials.json").read_text())

    def cli(self, *args: str, timeout: float = 600) -> str:
        """``smartcity …`` as the operator runs it against this suite."""
        done = subprocess.run(
            [sys.executable, "-m", "smartcity", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"smartcity {' '.join(args)}: {done.stdout}{done.stderr}")
        return done.stdout

    # --- stop ----------------------------------------------------------------------------------

    def __exit__(self, *exc: object) -> None:
        for process in reversed(self.processes.values()):
            process.terminate()
        for process in self.processes.values():
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        if self.up is not None and self.up.poll() is None:
            os.killpg(self.up.pid, signal.SIGINT)  # what Ctrl-C does: stops in order
            try:
                self.up.wait(90)
            except subprocess.TimeoutExpired:
                os.killpg(self.up.pid, signal.SIGKILL)
        if self.env:
            subprocess.run(
                [sys.executable, "-m", "smartcity", "broker", "teardown"],
                env=self.env,
                capture_output=True,
                timeout=120,
                check=False,
            )
        with self.admin.connect() as conn:
            for service in (*SERVICES, PLATFORM, ECHO_DATABASE):
                conn.execute(
                    sa.text(f'DROP DATABASE IF EXISTS "{self.prefix}_{service}" WITH (FORCE)')
                )
        self.admin.dispose()
        self.rabbit.delete_vhost(self.vhost)
        shutil.rmtree(self.var_dir, ignore_errors=True)
