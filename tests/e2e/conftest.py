"""The suite as a user runs it: ``smartcity up`` in a subprocess, driven over HTTP and AMQP.

Each run gets its own RabbitMQ vhost, its own PostgreSQL database per service and free ports,
so it never meets a suite a developer left running.
"""

import os
import signal
import socket
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import eventlet
import pytest
import sqlalchemy as sa
from helpers import POSTGRES_ADMIN_URL
from nameko.testing import rabbit

from shared.config import GATEWAY, PLATFORM, SERVICES

PROCESS_SERVICES = (*SERVICES, PLATFORM, GATEWAY)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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


@pytest.fixture(scope="session")
def suite(request, tmp_path_factory, backing_services):
    amqp_base = request.config.getoption("RABBIT_AMQP_URI")
    manager = rabbit.Client(request.config.getoption("RABBIT_API_URI"))
    vhost = f"e2e_{uuid.uuid4().hex[:8]}"
    manager.create_vhost(vhost)
    manager.set_vhost_permissions(vhost, "guest", ".*", ".*", ".*")
    amqp_uri = amqp_base.replace("pyamqp://", "amqp://").rstrip("/") + f"/{vhost}"

    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    prefix = f"e2e_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        for service in (*SERVICES, PLATFORM):
            conn.execute(sa.text(f'CREATE DATABASE "{prefix}_{service}"'))
    # The template keeps "{service}" literal (rendering the URL would percent-encode it).
    template = (
        sa.engine.make_url(POSTGRES_ADMIN_URL)
        .set(database="DATABASE")
        .render_as_string(hide_password=False)
        .replace("DATABASE", f"{prefix}_{{service}}")
    )

    var_dir = tmp_path_factory.mktemp("suite-var")
    gateway_port = free_port()
    metrics_ports = {name: free_port() for name in PROCESS_SERVICES}
    env = {
        **os.environ,
        "AMQP_URI": amqp_uri,
        "DATABASE_URL_TEMPLATE": template,
        "SMARTCITY_VAR_DIR": str(var_dir),
        "GATEWAY_PORT": str(gateway_port),
        "RPC_TIMEOUT": "5",
        "EVENT_RETRY_BACKOFF": "0.1",
        "OUTBOX_POLL_INTERVAL": "0.3",
        **{f"{name.upper()}_METRICS_PORT": str(port) for name, port in metrics_ports.items()},
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "smartcity", "up"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    gateway_url = f"http://127.0.0.1:{gateway_port}"
    running = RunningSuite(process, gateway_url, amqp_uri, metrics_ports, env, var_dir / "log")
    try:
        _wait_until_up(process, running.output)
        yield running
    finally:
        # What `kill`, `docker stop` and systemd do (Ctrl-C takes the same path).
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
        left_running = [
            pid_file.stem
            for pid_file in running.log_dir.glob("*.pid")
            if _alive(int(pid_file.read_text()))
        ]
        with admin.connect() as conn:
            for service in (*SERVICES, PLATFORM):
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{prefix}_{service}" WITH (FORCE)'))
        admin.dispose()
        manager.delete_vhost(vhost)
    assert process.returncode == 0, "".join(running.output[-20:])
    assert left_running == [], f"still running after smartcity up stopped: {left_running}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait_until_up(process: subprocess.Popen, output: list[str], timeout: float = 150) -> None:
    """Read ``smartcity up``'s output until it says every process is healthy."""
    with eventlet.Timeout(timeout, False):
        for line in process.stdout:
            output.append(line)
            if "Ctrl-C stops everything" in line:
                # Keep draining so the child never blocks on a full pipe.
                eventlet.spawn_n(lambda: output.extend(process.stdout))
                return
    pytest.fail("the suite did not come up:\n" + "".join(output))
