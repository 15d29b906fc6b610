"""Small helpers the test suites share (import as ``from helpers import wait_for``)."""

import json
import os
import time
from collections.abc import Callable
from urllib.parse import urlparse

import eventlet
import pika
import pytest

from shared.contracts.envelope import EVENTS_EXCHANGE
from smartcity import ports

# Local servers trust loopback; the compose PostgreSQL wants its password (harmless locally).
POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg2://postgres:postgres@127.0.0.1:5432/postgres"
)


_PORT_BASE = int(os.environ.get("TEST_PORT_BASE", "20000"))
_PORT_SPAN = int(os.environ.get("TEST_PORT_SPAN", "12000"))
"""Where ``free_port`` draws from; parallel pytest processes get disjoint ranges
(``tests/run_parallel.py``), so that two never pick the same port before either binds it."""


def free_port() -> int:
    """A port nobody listens on, never the same twice in one test run, from this pytest
    process's range (``smartcity.ports.free_port``: below the kernel's ephemeral range)."""
    return ports.free_port(range(_PORT_BASE, _PORT_BASE + _PORT_SPAN))


def pika_url(amqp_uri: str) -> str:
    """nameko's test URIs say ``pyamqp://``; pika wants ``amqp://``."""
    parsed = urlparse(amqp_uri)
    return parsed._replace(scheme="amqp").geturl()


def wait_for(check: Callable[[], object], timeout: float = 10, interval: float = 0.05) -> object:
    """Poll ``check`` until it returns something truthy; fail the test after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout} s: {check}")
        eventlet.sleep(interval)


def publish_raw(amqp_uri: str, envelope: dict, times: int = 1) -> None:
    """Publish an event as another service would (persistent, to the city's exchange)."""
    connection = pika.BlockingConnection(pika.URLParameters(pika_url(amqp_uri)))
    channel = connection.channel()
    channel.confirm_delivery()
    channel.exchange_declare(EVENTS_EXCHANGE, "topic", durable=True)
    for _ in range(times):
        channel.basic_publish(
            EVENTS_EXCHANGE,
            envelope["type"],
            json.dumps(envelope),
            pika.BasicProperties(content_type="application/json", delivery_mode=2),
        )
    connection.close()


class EventTap:
    """A subscriber of our own: an exclusive queue bound to some event types, read by polling.

    Bind it before causing the change, or the event has nowhere to go.
    """

    def __init__(self, amqp_uri: str, *patterns: str):
        self.connection = pika.BlockingConnection(pika.URLParameters(pika_url(amqp_uri)))
        self.channel = self.connection.channel()
        self.channel.exchange_declare(EVENTS_EXCHANGE, "topic", durable=True)
        self.queue = self.channel.queue_declare("", exclusive=True).method.queue
        for pattern in patterns:
            self.channel.queue_bind(self.queue, EVENTS_EXCHANGE, routing_key=pattern)

    def _get(self) -> dict | None:
        _method, _properties, body = self.channel.basic_get(self.queue, auto_ack=True)
        return json.loads(body) if body is not None else None

    def next(self, timeout: float = 10) -> dict:
        """The next envelope; fails the test when none comes within ``timeout``."""
        return wait_for(self._get, timeout=timeout)

    def rest(self, settle: float = 0.5) -> list[dict]:
        """Every envelope still arriving within ``settle`` seconds (to prove there are none)."""
        eventlet.sleep(settle)
        envelopes = []
        while (envelope := self._get()) is not None:
            envelopes.append(envelope)
        return envelopes

    def close(self) -> None:
        self.connection.close()


def calls_handled(runner, service_cls: type, entrypoint: str) -> int:
    """How many calls of ``entrypoint`` the service has finished (its own metrics): the positive
    signal that a redelivered duplicate was handled, and so was not applied."""
    from nameko.testing.utils import get_container

    from shared.observability import ContainerMetrics

    container = get_container(runner, service_cls)
    metrics = next(ext for ext in container.extensions if isinstance(ext, ContainerMetrics))
    labels = {"service": container.service_name, "entrypoint": entrypoint, "outcome": "ok"}
    return int(metrics.registry.get_sample_value("smartcity_entrypoint_calls_total", labels) or 0)


def lock_waiters(engine) -> int:
    """Sessions of ``engine``'s database that wait for a lock (PostgreSQL)."""
    import sqlalchemy as sa

    with engine.connect() as conn:
        return conn.execute(
            sa.text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        ).scalar_one()
