"""List and replay a service's dead-letter queue (``<service>.dead_letters``) with pika.

Letters come two ways: parked by the subscriber (``x-consumer``, ``x-error``, ``x-attempts``
headers) or dead-lettered by the broker itself when a message reached its queue's delivery
limit (only RabbitMQ's ``x-first-death-*`` headers: the queue it came from and the reason).
Both are listed and replayed to the queue they came from. The queue is a quorum queue: it is
always declared with the arguments the services give it (``shared.event_queues``).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import pika

from shared.broker_rights import identity_of
from shared.event_queues import dead_letter_queue_name, dead_letter_topology


@dataclass
class DeadLetter:
    event_id: str | None
    type: str | None
    consumer: str | None
    error: str | None
    attempts: int | None
    failed_at: str | None
    body: Any


def _connect(amqp_uri: str) -> pika.BlockingConnection:
    return pika.BlockingConnection(pika.URLParameters(amqp_uri))


def _to_dead_letter(properties: pika.BasicProperties, body: bytes) -> DeadLetter:
    headers = properties.headers or {}
    try:
        parsed: Any = json.loads(body)
    except ValueError:
        parsed = body.decode("utf-8", "replace")
    envelope = parsed if isinstance(parsed, dict) else {}
    return DeadLetter(
        event_id=envelope.get("event_id") or properties.message_id,
        type=envelope.get("type"),
        consumer=headers.get("x-consumer") or headers.get("x-first-death-queue"),
        error=headers.get("x-error") or _broker_reason(headers),
        attempts=headers.get("x-attempts"),
        failed_at=headers.get("x-failed-at"),
        body=parsed,
    )


def _broker_reason(headers: dict[str, Any]) -> str | None:
    reason = headers.get("x-first-death-reason")
    if reason == "delivery_limit":
        return "delivery limit reached: handed out again and again without being settled"
    return reason and f"dead-lettered by the broker: {reason}"


def _declare(channel: Any, service: str) -> Any:
    """Declare the dead-letter queue as the services do (a quorum queue), however it is met."""
    queue = dead_letter_topology(service)
    return channel.queue_declare(queue.name, durable=True, arguments=queue.queue_arguments)


def dead_letter_count(amqp_uri: str, service: str) -> int | None:
    """How many events wait in the service's dead-letter queue (None: never declared)."""
    connection = _connect(amqp_uri)
    try:
        channel = connection.channel()
        try:
            declared = channel.queue_declare(dead_letter_queue_name(service), passive=True)
        except pika.exceptions.ChannelClosedByBroker:  # no such queue yet
            return None
        return declared.method.message_count
    finally:
        if connection.is_open:
            connection.close()


def list_dead_letters(amqp_uri: str, service: str, limit: int = 100) -> list[DeadLetter]:
    """Look without taking: messages are fetched unacknowledged and returned on close."""
    queue = dead_letter_queue_name(service)
    connection = _connect(amqp_uri)
    try:
        channel = connection.channel()
        _declare(channel, service)
        letters = []
        for _ in range(limit):
            method, properties, body = channel.basic_get(queue, auto_ack=False)
            if method is None:
                break
            letters.append(_to_dead_letter(properties, body))
        channel.close()  # un-acked messages go back to the queue
        return letters
    finally:
        connection.close()


REPLAY_HEADER = "smartcity-replay"
"""Tags the messages of one replay run. Not an ``x-`` header: it stays on a letter that fails
again and comes back, so the run can tell its own letters from older ones."""


@dataclass
class ReplayReport:
    run_id: str
    replayed: int
    failed_again: int
    """Letters of this run already back in the dead letters when it finished."""


def replay_dead_letters(amqp_uri: str, service: str, event_id: str | None = None) -> ReplayReport:
    """Put dead letters back on the queue of the consumer that failed them.

    Takes at most the letters present when it starts, so letters that fail again (and come
    back behind them) are not replayed a second time: the run always ends. Each message is
    republished (with confirms) before its dead letter is acknowledged, so a crash in between
    duplicates rather than loses it; consumers are idempotent.
    """
    queue = dead_letter_queue_name(service)
    run_id = uuid.uuid4().hex
    operator = identity_of(amqp_uri)[0]
    connection = _connect(amqp_uri)
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        present = _declare(channel, service).method.message_count
        replayed, skipped = 0, []
        for _ in range(present):
            method, properties, body = channel.basic_get(queue, auto_ack=False)
            if method is None:
                break
            if _replay_one(channel, properties, body, event_id, run_id, operator):
                channel.basic_ack(method.delivery_tag)
                replayed += 1
            else:
                skipped.append(method.delivery_tag)
        for tag in skipped:
            channel.basic_nack(tag, requeue=True)
        channel.close()
    finally:
        connection.close()
    return ReplayReport(run_id, replayed, count_letters_of_replay(amqp_uri, service, run_id))


def _replay_one(
    channel: Any,
    properties: pika.BasicProperties,
    body: bytes,
    event_id: str | None,
    run_id: str,
    operator: str,
) -> bool:
    """Republish one letter to its consumer's queue; False when it is not to be replayed."""
    headers = properties.headers or {}
    target = headers.get("x-original-queue") or headers.get("x-first-death-queue")
    if not target or (event_id and _to_dead_letter(properties, body).event_id != event_id):
        return False
    channel.basic_publish(
        exchange="",
        routing_key=target,
        body=body,
        properties=pika.BasicProperties(
            content_type=properties.content_type or "application/json",
            content_encoding=properties.content_encoding,
            delivery_mode=pika.DeliveryMode.Persistent,
            message_id=properties.message_id,
            user_id=operator,  # consumers believe a replay from the operator
            headers={
                **{k: v for k, v in headers.items() if not k.startswith("x-")},
                REPLAY_HEADER: run_id,
            },
        ),
    )
    return True


def count_letters_of_replay(amqp_uri: str, service: str, run_id: str, limit: int = 10_000) -> int:
    """How many letters of replay ``run_id`` are in the dead letters (looked at, not taken)."""
    queue = dead_letter_queue_name(service)
    connection = _connect(amqp_uri)
    try:
        channel = connection.channel()
        found = 0
        for _ in range(limit):
            method, properties, _body = channel.basic_get(queue, auto_ack=False)
            if method is None:
                break
            found += (properties.headers or {}).get(REPLAY_HEADER) == run_id
        channel.close()  # un-acked messages go back to the queue
        return found
    finally:
        connection.close()
