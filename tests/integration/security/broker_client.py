"""A bare AMQP client, as anyone holding a process's broker URI could write one."""

from __future__ import annotations

import json
import uuid
from typing import Any

from kombu import Connection, Exchange, Queue

from shared.broker_rights import identity_of

RPC_EXCHANGE = Exchange("nameko-rpc", type="topic", durable=True)
EVENTS_EXCHANGE = Exchange("smartcity.events", type="topic", durable=True)
CONFIRMED = {"confirm_publish": True}  # wait for the broker's verdict on each publish


def call_rpc(amqp_uri: str, caller: str, method: str, *args: Any, timeout: float = 10) -> Any:
    """Call ``<service>.<method>`` the way nameko does, with a reply queue named for
    ``caller``; returns the reply's result. Raises what the broker raises on a refusal."""
    reply_key = str(uuid.uuid4())
    reply_queue = Queue(
        f"rpc.reply-{caller}-{reply_key}",
        exchange=RPC_EXCHANGE,
        routing_key=reply_key,
        auto_delete=True,
    )
    replies: list[dict] = []
    with Connection(amqp_uri, transport_options=CONFIRMED) as connection:
        channel = connection.channel()
        with connection.Consumer(
            reply_queue(channel), callbacks=[lambda body, message: replies.append(body)]
        ):
            connection.Producer(channel).publish(
                {"args": list(args), "kwargs": {}},
                exchange=RPC_EXCHANGE,
                routing_key=method,
                reply_to=reply_key,
                correlation_id=str(uuid.uuid4()),
                serializer="json",
            )
            while not replies:
                connection.drain_events(timeout=timeout)
    return replies[0]


def publish_event(amqp_uri: str, envelope: dict, **properties: Any) -> None:
    """Publish an event envelope to the city's exchange, with publisher confirms, naming its
    user as the suite's publishers do (``user_id``, which the broker checks)."""
    properties.setdefault("user_id", identity_of(amqp_uri)[0])
    with Connection(amqp_uri, transport_options=CONFIRMED) as connection:
        connection.Producer(connection.channel()).publish(
            json.dumps(envelope),
            exchange=EVENTS_EXCHANGE,
            routing_key=envelope["type"],
            content_type="application/json",
            delivery_mode=2,
            **properties,
        )
