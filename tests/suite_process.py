"""The suite as a user runs it: ``smartcity up`` in a subprocess, for the e2e and browser tests.

Each run gets its own RabbitMQ vhost, its own var dir (logs, the embedded PostgreSQL) or
PostgreSQL databases, and free ports, so it never meets a suite a developer left running.
``running_suite(config, postgresql=...)`` starts one, yields a ``RunningSuite`` once every
process is healthy, and on exit stops it as an operator does and checks nothing outlived it.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import eventlet
import pytest
import sqlalchemy as sa
from helpers import POSTGRES_ADMIN_URL, free_port
from nameko.testing import rabbit

from shared.config import GATEWAY, PLATFORM, SERVICES
from smartcity.suite import stop_with_parent

PROCESS_SERVICES = (*SERVICES, PLATFORM, GATEWAY)


def _background_job() -> None:
    """SIGINT ignored, as a shell's background job; stopped should this test run die before its
    teardown (a timeout kill), so that no suite outlives it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    stop_with_parent()


@dataclass
class RunningSuite:
    process: subprocess.Popen
    gateway_url: str
    amqp_uri: str
    metrics_ports: dict[str, int]
    env: dict[str, str]
    log_dir: Path
    output: list[str] = field(default_factory=list)

    def log(self, name: str) -> str:
        path = self.log_dir / f"{name}.log"
        return path.read_text() if path.exists() else ""

    def broker_uri(self, name: str) -> str:
        """The AMQP URI of a process's own broker user, as `smartcity up` made it."""
        vhost = self.amqp_uri.rsplit("/", 1)[1]
        users = json.loads((self.log_dir.parent / "broker" / f"{vhost}.json").read_text())
        return users[name]

    @property
    def operator_uri(self) -> str:
        return self.broker_uri("operator")

    @property
    def traffic_uri(self) -> str:
        return self.broker_uri("traffic")


@contextmanager
def running_suite(config: pytest.Config, postgresql: bool, *up_args: str) -> Iterator[RunningSuite]:
    """``smartcity up *up_args`` on a fresh vhost, with the embedded PostgreSQL or
    (``postgresql``) fresh databases on the test server; no demo data."""
    amqp_base = config.getoption("RABBIT_AMQP_URI")
    manager = rabbit.Client(config.getoption("RABBIT_API_URI"))
    vhost = f"e2e_{uuid.uuid4().hex[:8]}"
    manager.create_vhost(vhost)
    manager.set_vhost_permissions(vhost, "guest", ".*", ".*", ".*")
    amqp_uri = amqp_base.replace("pyamqp://", "amqp://").rstrip("/") + f"/{vhost}"

    var_dir = make_var_dir()
    gateway_port = free_port()
    metrics_ports = {name: free_port() for name in PROCESS_SERVICES}
    env = default_env(
        AMQP_URI=amqp_uri,
        SMARTCITY_VAR_DIR=str(var_dir),
        GATEWAY_PORT=str(gateway_port),
        RPC_TIMEOUT="5",
        EVENT_RETRY_BACKOFF="0.1",
        OUTBOX_POLL_INTERVAL="0.3",
        # The API fuzzer sends thousands of requests from one address.
        RATE_LIMIT_PER_IP="1000000",
        RATE_LIMIT_PER_CLIENT="1000000",
        AUTH_FAILURES_PER_IP="1000000",
        LOGIN_FAILURES_PER_IP="1000000",
        REGISTRATIONS_PER_IP="1000000",
        **{f"{name.upper()}_METRICS_PORT": str(port) for name, port in metrics_ports.items()},
    )
    databases = ServerDatabases() if postgresql else None
    if databases:
        env["DATABASE_URL_TEMPLATE"] = databases.create()
    process = subprocess.Popen(
        [sys.executable, "-m", "smartcity", "up", *up_args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        # As a shell starts a background job: in a process group of its own, SIGINT ignored.
        process_group=0,
        preexec_fn=_background_job,
    )
    gateway_url = f"http://127.0.0.1:{gateway_port}"
    running = RunningSuite(process, gateway_url, amqp_uri, metrics_ports, env, var_dir / "log")
    try:
        _wait_until_up(process, running.output)
        yield running
    finally:
        # What an operator does to a background job: `kill -INT -- -<pgid>` (Ctrl-C and
        # SIGTERM take the same path). The suite must stop, not restart its services.
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
        left_running = [
            pid_file.stem
            for pid_file in running.log_dir.glob("*.pid")
            if _alive(int(pid_file.read_text()))
        ]
        embedded_cluster = _embedded_postgres_pid(var_dir)
        if databases:
            databases.drop()
        remove_broker_users(env)
        manager.delete_vhost(vhost)
    output = "".join(running.output[-20:])
    assert process.returncode == 0, output
    assert left_running == [], f"still running after smartcity up stopped: {left_running}"
    assert embedded_cluster is None, "the embedded PostgreSQL outlived smartcity up"
    stopping = [n for n, line in enumerate(running.output) if line.startswith("stopping")]
    assert stopping, output
    after_stop = running.output[stopping[0] :]
    assert not any("restarting it" in line for line in after_stop), output
    if os.environ.get("SMARTCITY_KEEP_E2E_VAR") != "1":  # set it to read the logs afterwards
        shutil.rmtree(var_dir, ignore_errors=True)


class ServerDatabases:
    """One database per service on the test PostgreSQL server, behind a URL template."""

    def __init__(self) -> None:
        self.admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        self.prefix = f"e2e_{uuid.uuid4().hex[:8]}"

    def create(self) -> str:
        with self.admin.connect() as conn:
            for service in (*SERVICES, PLATFORM):
                conn.execute(sa.text(f'CREATE DATABASE "{self.prefix}_{service}"'))
        # The template keeps "{service}" literal (rendering the URL would percent-encode it).
        return (
            sa.engine.make_url(POSTGRES_ADMIN_URL)
            .set(database="DATABASE")
            .render_as_string(hide_password=False)
            .replace("DATABASE", f"{self.prefix}_{{service}}")
        )

    def drop(self) -> None:
        with self.admin.connect() as conn:
            for service in (*SERVICES, PLATFORM):
                conn.execute(
                    sa.text(f'DROP DATABASE IF EXISTS "{self.prefix}_{service}" WITH (FORCE)')
                )
        self.admin.dispose()


def _embedded_postgres_pid(var_dir: Path) -> int | None:
    """The embedded cluster's postmaster, if one still runs in this var dir."""
    pid_file = var_dir / "pg" / "postmaster.pid"
    if not pid_file.exists():
        return None
    pid = int(pid_file.read_text().split()[0])
    return pid if _alive(pid) else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait_until_up(process: subprocess.Popen, output: list[str], timeout: float = 100) -> None:
    """Read ``smartcity up``'s output until it says every process is healthy."""
    with eventlet.Timeout(timeout, False):
        for line in process.stdout:
            output.append(line)
            if "Ctrl-C stops everything" in line:
                # Keep draining so the child never blocks on a full pipe.
                eventlet.spawn_n(lambda: output.extend(process.stdout))
                return
    pytest.fail("the suite did not come up:\n" + "".join(output))


def make_var_dir() -> Path:
    """A var dir outside pytest's temporary tree.

    Run as root, the embedded PostgreSQL runs as a user of its own that must traverse the path
    to its data; pytest keeps its tree private (mode 0700, re-applied by every session).
    """
    return Path(tempfile.mkdtemp(prefix="smartcity-e2e-"))


def smartcity_cli(env: dict[str, str], *args: str) -> None:
    """Run ``smartcity <args>`` to completion in ``env``; fails the test if it fails."""
    subprocess.run(
        [sys.executable, "-m", "smartcity", *args],
        env=env,
        capture_output=True,
        timeout=60,
        check=True,
    )


def remove_broker_users(env: dict[str, str]) -> None:
    """The users `smartcity up` made for the test vhost (users outlive their vhost)."""
    smartcity_cli(env, "broker", "teardown")


def default_env(**overrides: str) -> dict[str, str]:
    """The environment of a newcomer: no database configured; plus ``overrides``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.endswith("_DATABASE_URL") and key != "DATABASE_URL_TEMPLATE"
    }
    env.update(overrides)
    return env
