"""A consumer of the city's public event feed: copy it into your own integration.

It needs only pika (``pip install pika``) and the AMQP URI that ``smartcity integrators create
<name>`` printed. It declares a queue of your own (``integrator.<name>.<suffix>``: your broker
user may declare and read no other), binds it to the public exchange with your patterns and
prints each event as a JSON line::

    SMARTCITY_AMQP_URI='amqp://smartcity-integrator-maps:…@broker:5672/%2F' \\
        smartcity events tail --name maps 'traffic.#'

Delivery is at least once: remember the ``event_id`` of what you processed and drop repeats.
A durable queue (``--durable``) keeps events while you are away; the default one is deleted
when you disconnect.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Sequence
from typing import Any

import pika

PUBLIC_EXCHANGE = "smartcity.public"


def tail(
    amqp_uri: str,
    name: str,
    patterns: Sequence[str],
    on_event: Callable[[dict[str, Any]], None],
    *,
    queue_suffix: str | None = None,
    durable: bool = False,
    max_events: int | None = None,
    idle_timeout_s: float | None = None,
    on_ready: Callable[[], None] | None = None,
) -> int:
    """Consume public events matching ``patterns`` and call ``on_event`` with each envelope.

    Returns after ``max_events`` events, or after ``idle_timeout_s`` without one (both
    optional: by default it runs until interrupted). Acks each event after ``on_event``
    returned, so an event your code failed on is delivered again.
    """
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        channel = connection.channel()
        queue = f"integrator.{name}.{queue_suffix or 'tail-' + secrets.token_hex(4)}"
        channel.queue_declare(queue, durable=durable, auto_delete=not durable)
        for pattern in patterns:
            channel.queue_bind(queue, PUBLIC_EXCHANGE, routing_key=pattern)
        channel.basic_qos(prefetch_count=50)
        if on_ready:
            on_ready()
        seen = 0
        for method, _properties, body in channel.consume(queue, inactivity_timeout=idle_timeout_s):
            if method is None:  # idle for idle_timeout_s
                break
            on_event(json.loads(body))
            channel.basic_ack(method.delivery_tag)
            seen += 1
            if max_events is not None and seen >= max_events:
                break
        channel.cancel()
        return seen
    finally:
        connection.close()


def print_event(envelope: dict[str, Any]) -> None:
    print(json.dumps(envelope, ensure_ascii=False), flush=True)
