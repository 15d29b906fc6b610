"""``smartcity up``: the whole suite as separate processes, started and stopped in order."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import requests
from nameko.standalone.rpc import ClusterRpcProxy

from shared import config as settings
from smartcity.broker import operator_uri
from smartcity.registry import PROCESSES, START_ORDER

READY_TIMEOUT_S = 90
"""How long ``wait_ready`` waits for the whole suite (``SMARTCITY_READY_TIMEOUT``)."""
MAX_RESTARTS_PER_MINUTE = 5
STOP_TIMEOUT_S = 20

_PR_SET_PDEATHSIG = 1


def stop_with_parent() -> None:
    """Runs in a child before exec: SIGTERM it when its parent dies, even by SIGKILL."""
    # Not on Linux: no prctl, and the parent's own stop() is what applies.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class Suite:
    """The suite's processes, each in its own process group.

    Their own group keeps a Ctrl-C (or ``kill -INT -- -<pgid>``) aimed at ``smartcity up``
    away from them: the supervisor alone decides the order in which they stop.
    """

    def __init__(
        self,
        log_dir: Path,
        processes: tuple[str, ...] = START_ORDER,
        on_restart: Callable[[str, int], None] | None = None,
    ):
        self.log_dir = log_dir
        self.names = processes
        self.on_restart = on_restart
        self.children: dict[str, subprocess.Popen] = {}
        self.metrics_ports = {
            service: _resolve_port(settings.metrics_port(service))
            for name in processes
            for service in PROCESSES[name]
        }
        self._restarts: dict[str, list[float]] = {}
        self._stopping = False

    def ports_in_use(self) -> list[str]:
        """The gateway's and the metrics ports that another process already holds.

        eventlet binds with SO_REUSEPORT, so a second suite would share a busy port silently
        instead of failing: check first, with a plain bind.
        """
        wanted = {"gateway": settings.gateway_port()} if "gateway" in self.names else {}
        wanted.update({f"{name} metrics": p for name, p in self.metrics_ports.items() if p})
        return [f"{what} port {port}" for what, port in wanted.items() if not _port_free(port)]

    def start(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for name in self.names:
            self._spawn(name)

    def _spawn(self, name: str) -> None:
        env = os.environ.copy()
        for service in PROCESSES[name]:
            port = self.metrics_ports[service]
            env[f"{service.upper()}_METRICS_PORT"] = "off" if port is None else str(port)
        with open(self.log_dir / f"{name}.log", "ab") as log_file:
            self.children[name] = subprocess.Popen(
                [sys.executable, "-m", "smartcity", "run", name],
                stdout=log_file,
                stderr=subprocess.STDOUT,
                env=env,
                process_group=0,
                preexec_fn=stop_with_parent,
            )
        (self.log_dir / f"{name}.pid").write_text(str(self.children[name].pid))

    def wait_ready(
        self, timeout: float | None = None, on_ready: Callable[[str], None] | None = None
    ) -> None:
        if timeout is None:
            timeout = float(settings.env("SMARTCITY_READY_TIMEOUT", str(READY_TIMEOUT_S)))
        deadline = time.monotonic() + timeout
        pending = [s for name in self.names for s in PROCESSES[name] if s != "gateway"]
        config = {"AMQP_URI": operator_uri()}
        with ClusterRpcProxy(config, timeout=2) as cluster:
            while pending:
                self._restart_dead()
                service = pending[0]
                try:
                    status = getattr(cluster, service).health()
                    if status["status"] == "ok":
                        pending.pop(0)
                        if on_ready:
                            on_ready(service)
                        continue
                except Exception:  # not up yet (RPC timeout)
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"{service} did not become healthy in {timeout:.0f} s; "
                        f"see {self.log_dir / (service + '.log')}"
                    )
                time.sleep(0.5)
        if "gateway" in self.names:
            self._wait_http(gateway_url() + "/healthz", deadline)
            if on_ready:
                on_ready("gateway")

    def _wait_http(self, url: str, deadline: float) -> None:
        while True:
            self._restart_dead()
            try:
                if requests.get(url, timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not answer; see {self.log_dir / 'gateway.log'}")
            time.sleep(0.5)

    def _restart_dead(self) -> None:
        """Restart a process that died (it resumes from its durable queues); give up on one
        that keeps dying."""
        for name, child in list(self.children.items()):
            if self._stopping or child.poll() is None:
                continue
            recent = [t for t in self._restarts.get(name, []) if time.monotonic() - t < 60]
            if len(recent) >= MAX_RESTARTS_PER_MINUTE:
                raise RuntimeError(
                    f"{name} keeps dying (exit {child.returncode}); see "
                    f"{self.log_dir / (name + '.log')}"
                )
            if self.on_restart:
                self.on_restart(name, child.returncode)
            self._restarts[name] = [*recent, time.monotonic()]
            self._spawn(name)

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> None:
        """Callers first (gateway), callees last, so that no RPC waits on a stopped service.

        Whatever has not exited within ``timeout`` in all is killed: nothing is left running.
        """
        self._stopping = True
        deadline = time.monotonic() + timeout
        for name in reversed(self.names):
            child = self.children.get(name)
            if child is None or child.poll() is not None:
                continue
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()

    def supervise(self) -> None:
        """Until Ctrl-C (or a process that keeps dying): keep every process running."""
        while True:
            self._restart_dead()
            time.sleep(0.5)


def _resolve_port(port: int | None) -> int | None:
    """``0`` means "any free port": choose it here, so that it can be printed."""
    if port != 0:
        return port
    with socket.socket() as sock:
        sock.bind(("", 0))
        return sock.getsockname()[1]


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("", port))
        except OSError:
            return False
    return True


def gateway_url() -> str:
    return f"http://localhost:{settings.gateway_port()}"
