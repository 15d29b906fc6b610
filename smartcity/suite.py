"""``smartcity up``: the whole suite as separate processes, started and stopped in order."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import requests
from nameko.standalone.rpc import ClusterRpcProxy

from shared import config as settings
from smartcity.registry import PROCESSES, START_ORDER

READY_TIMEOUT_S = 90
MAX_RESTARTS_PER_MINUTE = 5


class Suite:
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
        self._restarts: dict[str, list[float]] = {}

    def start(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for name in self.names:
            self._spawn(name)

    def _spawn(self, name: str) -> None:
        with open(self.log_dir / f"{name}.log", "ab") as log_file:
            self.children[name] = subprocess.Popen(
                [sys.executable, "-m", "smartcity", "run", name],
                stdout=log_file,
                stderr=subprocess.STDOUT,
                env=os.environ.copy(),
            )
        (self.log_dir / f"{name}.pid").write_text(str(self.children[name].pid))

    def wait_ready(
        self, timeout: float = READY_TIMEOUT_S, on_ready: Callable[[str], None] | None = None
    ) -> None:
        deadline = time.monotonic() + timeout
        pending = [s for name in self.names for s in PROCESSES[name] if s != "gateway"]
        config = {"AMQP_URI": settings.amqp_uri()}
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
            if child.poll() is None:
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

    def stop(self, timeout: float = 20) -> None:
        """Callers first (gateway), callees last, so that no RPC waits on a stopped service."""
        for name in reversed(self.names):
            child = self.children.get(name)
            if child is None or child.poll() is not None:
                continue
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(timeout)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()

    def supervise(self) -> None:
        """Until Ctrl-C (or a process that keeps dying): keep every process running."""
        while True:
            self._restart_dead()
            time.sleep(0.5)


def gateway_url() -> str:
    return f"http://localhost:{settings.env('GATEWAY_PORT', '8000')}"
