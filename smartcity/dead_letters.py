"""List and replay a service's dead-letter queue (``<service>.dead_letters``) with pika."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pika

from shared.messaging import dead_letter_queue_name


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
        consumer=headers.get("x-consumer"),
        error=headers.get("x-error"),
        attempts=headers.get("x-attempts"),
        failed_at=headers.get("x-failed-at"),
        body=parsed,
    )


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
        channel.queue_declare(queue, durable=True)
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


def replay_dead_letters(amqp_uri: str, service: str, event_id: str | None = None) -> int:
    """Put dead letters back on the queue of the consumer that failed them; returns the count.

    Each message is republished (with confirms) before its dead letter is acknowledged, so a
    crash in between duplicates rather than loses it; consumers are idempotent.
    """
    queue = dead_letter_queue_name(service)
    connection = _connect(amqp_uri)
    replayed = 0
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        channel.queue_declare(queue, durable=True)
        skipped = []
        while True:
            method, properties, body = channel.basic_get(queue, auto_ack=False)
            if method is None:
                break
            letter = _to_dead_letter(properties, body)
            target = (properties.headers or {}).get("x-original-queue")
            if (event_id and letter.event_id != event_id) or not target:
                skipped.append(method.delivery_tag)
                continue
            headers = {
                k: v for k, v in (properties.headers or {}).items() if not k.startswith("x-")
            }
            headers["x-replayed-from"] = queue
            channel.basic_publish(
                exchange="",
                routing_key=target,
                body=body,
                properties=pika.BasicProperties(
                    content_type=properties.content_type or "application/json",
                    delivery_mode=pika.DeliveryMode.Persistent,
                    message_id=properties.message_id,
                    headers=headers,
                ),
            )
            channel.basic_ack(method.delivery_tag)
            replayed += 1
        for tag in skipped:
            channel.basic_nack(tag, requeue=True)
        channel.close()
        return replayed
    finally:
        connection.close()
