"""``smartcity up``: the whole suite as separate processes, started and stopped in order.

``scale`` runs several competing instances of a sector service's process
(``smartcity up --scale credit=3``): they consume the same RPC and event queues, so RabbitMQ
hands each message to one of them, and each is supervised (restarted) on its own. Instance 1 is
named after its process (``credit``: ``var/log/credit.log``, ``credit.pid``) and keeps the
service's metrics port; instance k > 1 is ``credit-k`` (``credit-k.log``) and serves its
metrics on a free port chosen at start (printed; off when the service's port is ``off``).
"""

from __future__ import annotations

import contextlib
import ctypes
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
from shared.broker_rights import principal
from shared.queue_stats import read_queues, rpc_queue_name
from smartcity.broker import operator_uri
from smartcity.ports import free_port, port_free
from smartcity.registry import PROCESSES, START_ORDER

READY_TIMEOUT_S = 90
"""How long ``wait_ready`` waits for the whole suite (``SMARTCITY_READY_TIMEOUT``)."""
PROCESS_ENVIRONMENT = settings.PROCESS_ENVIRONMENT
"""What every process of the suite runs with, here as in compose and Kubernetes."""
RESTART_BACKOFF_S = (0.0, 1.0, 2.0, 4.0, 8.0)
"""The wait before each restart of a process within a minute; one more death gives up."""
STOP_TIMEOUT_S = 20
MAX_INSTANCES = 16
SCALABLE: tuple[str, ...] = tuple(
    name for name in START_ORDER if name not in (settings.GATEWAY, settings.PLATFORM)
)
"""Processes ``scale`` may multiply: the sector services. The gateway's process holds the HTTP
port (a second one would share it silently, eventlet binds with SO_REUSEPORT): run more
gateways behind a load balancer instead (compose, Kubernetes), where the platform runs as
several replicas too."""


def parse_scale(specs: tuple[str, ...] | list[str]) -> dict[str, int]:
    """``["credit=3", "traffic=2"]`` → ``{"credit": 3, "traffic": 2}``; ``ValueError`` says what
    is wrong with a spec (unknown process, not a number, out of range, given twice)."""
    scale: dict[str, int] = {}
    for spec in specs:
        name, equals, count = spec.partition("=")
        if not equals or not name:
            raise ValueError(f"{spec!r}: expected <service>=<instances>, e.g. credit=3")
        if name not in SCALABLE:
            raise ValueError(f"{spec!r}: {name!r} is not one of {', '.join(SCALABLE)}")
        if not count.isdigit() or not 1 <= int(count) <= MAX_INSTANCES:
            raise ValueError(
                f"{spec!r}: instances must be a whole number from 1 to {MAX_INSTANCES}"
            )
        if name in scale:
            raise ValueError(f"{spec!r}: {name} is scaled twice")
        scale[name] = int(count)
    return scale


def instance_name(process: str, k: int) -> str:
    """Instance ``k`` (from 1) of a process: ``credit``, ``credit-2``, ``credit-3``."""
    return process if k == 1 else f"{process}-{k}"


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
        on_restart: Callable[[str, int, float], None] | None = None,
        scale: dict[str, int] | None = None,
    ):
        self.log_dir = log_dir
        self.names = processes
        self.on_restart = on_restart
        self.scale = {name: (scale or {}).get(name, 1) for name in processes}
        self.instances: dict[str, tuple[str, int]] = {
            instance_name(name, k): (name, k)
            for name in processes
            for k in range(1, self.scale[name] + 1)
        }
        """Instance name → (process, k), in start order."""
        self.children: dict[str, subprocess.Popen] = {}
        self.metrics_ports: dict[str, int | None] = {
            instance_name(service, k): _resolve_port(_instance_port(service, k))
            for name, k in self.instances.values()
            for service in PROCESSES[name]
        }
        """Metrics port of each service instance (``credit``, ``credit-2``; None: off)."""
        self._restarts: dict[str, list[float]] = {}
        self._restart_due: dict[str, float] = {}
        self._stopping = False

    def ports_in_use(self) -> list[str]:
        """The gateway's and the metrics ports that another process already holds.

        eventlet binds with SO_REUSEPORT, so a second suite would share a busy port silently
        instead of failing: check first (``smartcity.ports``).
        """
        wanted = {"gateway": settings.gateway_port()} if "gateway" in self.names else {}
        wanted.update({f"{name} metrics": p for name, p in self.metrics_ports.items() if p})
        return [f"{what} port {port}" for what, port in wanted.items() if not port_free(port)]

    def running_elsewhere(self) -> list[str]:
        """The suite's services that already have instances on this vhost: another suite uses
        it (with other databases, it would take this one's RPCs and events, and its
        ``broker setup`` would reset the broker users' passwords under it)."""
        services = [s for name in self.names for s in PROCESSES[name] if s != settings.GATEWAY]
        stats = read_queues(settings.amqp_uri(), [rpc_queue_name(s) for s in services])
        return [s for s in services if (stat := stats[rpc_queue_name(s)]) and stat.consumers]

    def start(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for instance in self.instances:
            self._spawn(instance)

    def _spawn(self, instance: str) -> None:
        name, k = self.instances[instance]
        env = os.environ.copy()
        env.update(PROCESS_ENVIRONMENT)
        for service in PROCESSES[name]:
            port = self.metrics_ports[instance_name(service, k)]
            env[f"{service.upper()}_METRICS_PORT"] = "off" if port is None else str(port)
        with open(self.log_dir / f"{instance}.log", "ab") as log_file:
            self.children[instance] = subprocess.Popen(
                # ``smartcity up`` migrated every database before starting the suite.
                [sys.executable, "-m", "smartcity", "run", name, "--no-migrate"],
                stdout=log_file,
                stderr=subprocess.STDOUT,
                env=env,
                process_group=0,
                preexec_fn=stop_with_parent,
            )
        (self.log_dir / f"{instance}.pid").write_text(str(self.children[instance].pid))

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
                    if status["status"] == "ok" and self._all_instances_consume(service):
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

    def _all_instances_consume(self, service: str) -> bool:
        """Every instance of the service's process consumes its RPC queue (one answered)."""
        wanted = next(self.scale[name] for name in self.names if service in PROCESSES[name])
        if wanted == 1:
            return True
        stat = read_queues(operator_uri(), [rpc_queue_name(service)])[rpc_queue_name(service)]
        return stat is not None and stat.consumers >= wanted

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
        """Restart a process that died (it resumes from its durable queues), at once the first
        time and then after ``RESTART_BACKOFF_S``, so that a short outage of what it needs (a
        broker restart) does not use up its restarts; give up on one that keeps dying."""
        now = time.monotonic()
        for name, child in list(self.children.items()):
            if self._stopping or child.poll() is None:
                continue
            recent = [t for t in self._restarts.get(name, []) if now - t < 60]
            if name not in self._restart_due:
                if len(recent) >= len(RESTART_BACKOFF_S):
                    log_path = self.log_dir / (name + ".log")
                    raise RuntimeError(
                        f"{name} keeps dying (exit {child.returncode}); see {log_path}; "
                        f"its last lines:\n{_last_lines(log_path)}"
                    )
                delay = RESTART_BACKOFF_S[len(recent)]
                if self.on_restart:
                    self.on_restart(name, child.returncode, delay)
                self._restart_due[name] = now + delay
            if now >= self._restart_due[name]:
                del self._restart_due[name]
                self._restarts[name] = [*recent, now]
                self._spawn(name)

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> None:
        """Callers first (gateway), callees last, so that no RPC waits on a stopped service.

        Processes that no running process calls stop together (``stop_layers``): the gateway,
        then every sector service that only the gateway calls, then credit (community and
        tourism call it), then the platform (credit, health and education call it).
        Whatever has not exited within ``timeout`` in all is killed: nothing is left running.
        """
        self._stopping = True
        deadline = time.monotonic() + timeout
        for layer in stop_layers(self.names):
            stopping = [
                child
                for instance, (name, _k) in self.instances.items()
                if name in layer
                and (child := self.children.get(instance)) is not None
                and child.poll() is None
            ]
            for child in stopping:
                child.send_signal(signal.SIGTERM)
            for child in stopping:
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


def stop_layers(processes: tuple[str, ...]) -> list[tuple[str, ...]]:
    """``processes`` in the order to stop them, in layers that may stop together: a process
    stops once no process still running calls any of its services (``shared.broker_rights``).
    A cycle of calls (none today) falls back to the reverse start order, one at a time."""
    calls = {
        process: {
            grant.partition(".")[0]
            for service in PROCESSES[process]
            for grant in principal(service).calls
        }
        for process in processes
    }
    running = list(processes)
    layers: list[tuple[str, ...]] = []
    while running:
        layer = tuple(
            process
            for process in running
            if not any(
                set(PROCESSES[process]) & calls[other] for other in running if other != process
            )
        ) or (running[-1],)
        layers.append(layer)
        running = [process for process in running if process not in layer]
    return layers


def _instance_port(service: str, k: int) -> int | None:
    """The service's metrics port for instance 1; any free one (0) for the others."""
    port = settings.metrics_port(service)
    return port if k == 1 or port is None else 0


def _resolve_port(port: int | None) -> int | None:
    """``0`` means "any free port": choose it here, so that it can be printed."""
    return free_port() if port == 0 else port


def gateway_url() -> str:
    return f"http://localhost:{settings.gateway_port()}"


def _last_lines(path: Path, count: int = 15) -> str:
    """The end of a process's log, so that the reason it died is on the operator's screen
    (the log may be in a temporary directory that is gone by the time anyone looks)."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-count:])
    except OSError as exc:
        return f"(no log: {exc})"
