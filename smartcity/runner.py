"""Run the nameko services of one process until SIGTERM / Ctrl-C."""

from __future__ import annotations

import contextlib
import ctypes
import functools
import gc
import signal
import sys
from typing import Any

import eventlet
from amqp.exceptions import AccessRefused
from kombu import Connection
from kombu.mixins import ConsumerMixin
from nameko.messaging import QueueConsumer
from nameko.runners import ServiceRunner

from shared import config as settings
from shared.observability import configure_logging
from smartcity.broker import credentials_file, uri_for
from smartcity.embedded_db import ensure_databases
from smartcity.migrations import migrate_in_child, services_to_migrate
from smartcity.ports import port_free
from smartcity.registry import PROCESSES, load

CONSUMER_POLL_S = 0.25
"""How long a nameko consumer waits on the broker before it looks at its stop requests.

kombu's default (``safety_interval=1``) made each of a process's consumers (RPC, events, RPC
replies) take 1-2 s to notice a graceful stop, one after the other: 2.5-3 s per process, 24-30 s
for ``smartcity up --demo``. At 0.25 s an idle credit stops in 1.2 s; the price is the wake-ups
when idle: 0.65 CPU-s per 100 s against 0.3 before (0.1 s: 0.85 s to stop, 0.95 CPU-s)."""


class BrokerUnreachable(SystemExit):
    pass


class PortTaken(SystemExit):
    pass


def check_gateway_port() -> None:
    """Refuse to start a gateway on a port another process listens on (``smartcity.ports``:
    it would share that port's connections silently)."""
    port = settings.gateway_port()
    if not port_free(port):
        raise PortTaken(
            f"smartcity: port {port} is in use by another process; stop it, or give this "
            "gateway another port (GATEWAY_PORT)."
        )


def stop_consumers_promptly() -> None:
    """Make every nameko ``QueueConsumer`` of this process notice a stop within
    ``CONSUMER_POLL_S`` (messages still wake it at once)."""
    QueueConsumer.consume = functools.partialmethod(
        ConsumerMixin.consume, safety_interval=CONSUMER_POLL_S
    )


def check_broker(amqp_uri: str) -> None:
    """Exit with one clear line (no traceback) when RabbitMQ does not answer, or refuses the
    URI's user."""
    try:
        with Connection(amqp_uri, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0)
    except AccessRefused:
        user = Connection(amqp_uri).userid
        raise BrokerUnreachable(
            f"smartcity: RabbitMQ refused the user {user}: its password is not the one in "
            f"{credentials_file(settings.amqp_uri())} (did a `smartcity up` or `broker setup` "
            "with another SMARTCITY_VAR_DIR set it?). Run `smartcity broker setup` again, "
            "or give each suite a vhost of its own (AMQP_URI)."
        ) from None
    except Exception as exc:
        safe_uri = Connection(amqp_uri).as_uri()  # hides the password
        raise BrokerUnreachable(
            f"smartcity: RabbitMQ is not reachable at {safe_uri} ({exc.__class__.__name__}). "
            "Start it with `rabbitmq-server -detached` (local install) or "
            "point AMQP_URI at yours."
        ) from None


def service_config(service: str) -> dict[str, Any]:
    """The service's container config, connecting as its own broker user."""
    return settings.nameko_config(service, AMQP_URI=uri_for(service))


_M_ARENA_MAX = -8  # glibc's mallopt parameter


def _libc() -> ctypes.CDLL | None:
    with contextlib.suppress(OSError):
        return ctypes.CDLL("libc.so.6")
    return None  # not glibc: nothing to tune


def limit_malloc_arenas() -> None:
    """At most two glibc malloc arenas (as ``MALLOC_ARENA_MAX=2``): the few native threads
    (eventlet's thread pool, the resolver) would otherwise each get one of 64 MB address space
    and keep its freed pages."""
    libc = _libc()
    if libc is not None:
        with contextlib.suppress(AttributeError):
            libc.mallopt(_M_ARENA_MAX, 2)


def release_start_up_memory() -> None:
    """Once started: collect start-up garbage and hand freed heap pages back to the OS, so
    that the idle resident set is what the process uses, not what importing it left over."""
    gc.collect()
    libc = _libc()
    if libc is not None:
        with contextlib.suppress(AttributeError):
            libc.malloc_trim(0)


def run_process(process: str, migrate: bool = True) -> None:
    """Start every service of ``process`` in one ServiceRunner and block until stopped.

    ``migrate``: first upgrade their databases in a child interpreter (``smartcity migrate``);
    this process only checks that the schema is current and never imports Alembic."""
    configure_logging(
        settings.env("LOG_LEVEL", "INFO"), json_lines=settings.env("LOG_FORMAT", "json") == "json"
    )
    services = PROCESSES[process]
    if settings.GATEWAY in services:
        check_gateway_port()
    limit_malloc_arenas()
    stop_consumers_promptly()
    check_broker(settings.amqp_uri())
    for name in services:
        check_broker(uri_for(name))  # its own user, before nameko retries it in a loop
    ensure_databases(tuple(name for name in services if name in settings.DATABASE_SERVICES))
    if migrate:
        migrate_in_child(services_to_migrate((process,)))
    runners = []
    # One runner per service: each container gets its own config (database, metrics port).
    for name in services:
        runner = ServiceRunner(service_config(name))
        runner.add_service(load(name))
        runners.append(runner)

    def shutdown(_signum: int, _frame: Any) -> None:
        # Stop in a green thread: the signal handler must return to let workers finish.
        eventlet.spawn_n(_stop_all, runners)

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    for runner in runners:
        runner.start()
    release_start_up_memory()
    print(f"smartcity: {process} ready ({', '.join(services)})", flush=True)
    waiters = [eventlet.spawn(runner.wait) for runner in runners]
    for waiter in waiters:
        waiter.wait()
    sys.stdout.flush()


def _stop_all(runners: list[ServiceRunner]) -> None:
    # Callers come first in a process's services (`PROCESSES`): stop them first.
    for runner in runners:
        runner.stop()
