"""``smartcity up`` that cannot start says why in one line and leaves nothing running."""

import contextlib
import socket
import subprocess
import sys
from collections.abc import Iterator

from conftest import _alive, _embedded_postgres_pid, default_env, free_port
from kombu import Connection, Queue
from suite_process import smartcity_cli

from shared.queue_stats import rpc_queue_name
from smartcity.registry import START_ORDER


def test_up_that_gives_up_leaves_no_process_and_no_cluster_running(fresh_vhost, var_dir):
    env = default_env(
        AMQP_URI=fresh_vhost,
        SMARTCITY_VAR_DIR=str(var_dir),
        GATEWAY_PORT=str(free_port()),
        METRICS_PORT="0",
        SMARTCITY_READY_TIMEOUT="1",  # too short for any service to migrate and answer
    )
    result = subprocess.run(
        [sys.executable, "-m", "smartcity", "up"],
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert result.returncode == 1
    assert "did not become healthy in 1 s" in result.stderr
    started = list((var_dir / "log").glob("*.pid"))
    assert sorted(pid.stem for pid in started) == sorted(START_ORDER)  # all eight were started
    assert [pid.stem for pid in started if _alive(int(pid.read_text()))] == []
    assert _embedded_postgres_pid(var_dir) is None


def _smartcity(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "smartcity", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@contextlib.contextmanager
def _port_held(reuse_port: bool = False) -> Iterator[int]:
    """A port that a socket listens on during the block (``reuse_port``: as eventlet does)."""
    with socket.socket() as holder:
        if reuse_port:
            holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        holder.bind(("0.0.0.0", 0))
        holder.listen()
        yield holder.getsockname()[1]


def test_up_refuses_a_busy_gateway_port_in_one_line(fresh_vhost, var_dir):
    with _port_held() as port:
        result = _smartcity(
            default_env(
                AMQP_URI=fresh_vhost,
                SMARTCITY_VAR_DIR=str(var_dir),
                GATEWAY_PORT=str(port),
                METRICS_PORT="0",
            ),
            "up",
        )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"smartcity: already in use: gateway port {port}. Stop the other suite, or choose "
        "ports with GATEWAY_PORT and METRICS_PORT=0 (any free port)."
    )
    assert not (var_dir / "log").exists()


def test_up_refuses_a_vhost_where_another_suite_runs(fresh_vhost, var_dir):
    """A second suite on the same vhost would take the first one's RPCs and events into its
    own databases, and reset its broker users' passwords: refused before anything starts."""
    with Connection(fresh_vhost) as connection:
        queue = Queue(rpc_queue_name("credit"), channel=connection.default_channel)
        queue.declare()
        with connection.Consumer(queue, callbacks=[lambda _body, _message: None]):
            result = subprocess.run(
                [sys.executable, "-m", "smartcity", "up"],
                env=default_env(
                    AMQP_URI=fresh_vhost,
                    SMARTCITY_VAR_DIR=str(var_dir),
                    GATEWAY_PORT=str(free_port()),
                    METRICS_PORT="0",
                ),
                capture_output=True,
                text=True,
                timeout=60,
            )
    vhost = fresh_vhost.rsplit("/", 1)[1]
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"smartcity: another suite is running on the broker's vhost {vhost!r} (it serves "
        "credit). Stop it, or give this one a vhost of its own "
        "(AMQP_URI=amqp://guest:guest@localhost:5672/<vhost>)."
    )
    assert not (var_dir / "log").exists()


def test_a_service_whose_broker_password_changed_exits_with_one_line(fresh_vhost, var_dir):
    env = default_env(AMQP_URI=fresh_vhost, SMARTCITY_VAR_DIR=str(var_dir))
    smartcity_cli(env, "broker", "setup")
    # Another var dir's setup on the same vhost gives the users new passwords.
    smartcity_cli({**env, "SMARTCITY_VAR_DIR": str(var_dir / "other")}, "broker", "setup")
    result = subprocess.run(
        [sys.executable, "-m", "smartcity", "run", "credit", "--no-migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("smartcity: RabbitMQ refused the user smartcity-credit")
    assert str(var_dir / "broker") in last_line


def test_a_gateway_refuses_a_port_another_gateway_listens_on(fresh_vhost, var_dir):
    """eventlet would bind it beside the other (``SO_REUSEPORT``) and share its connections;
    ``smartcity run gateway`` says so in one line instead."""
    with _port_held(reuse_port=True) as port:
        result = _smartcity(
            default_env(
                AMQP_URI=fresh_vhost, SMARTCITY_VAR_DIR=str(var_dir), GATEWAY_PORT=str(port)
            ),
            "run",
            "gateway",
            "--no-migrate",
        )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"smartcity: port {port} is in use by another process; stop it, or give this "
        "gateway another port (GATEWAY_PORT)."
    )
