"""Subscribing to city events reliably.

``@subscribe("*.administrative_penalty_issued")`` declares a durable queue
``<service>.<method>`` bound to the city's topic exchange. A handler that raises is retried in
place with exponential backoff (unless the error is a client error, which would fail the
same way again) (the message stays unacknowledged, so a crash redelivers it);
after the last attempt the message goes to the service's dead-letter queue
``<service>.dead_letters`` with the error, and only then is it acknowledged. An operator lists
and replays dead letters with ``smartcity dlq`` (``shared.dead_letters``).

nameko's own ``event_handler`` acknowledges and drops a message whose handler failed; this
entrypoint replaces it.
"""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

import eventlet
from kombu import Connection, Exchange, Queue
from marshmallow import EXCLUDE, ValidationError
from nameko.amqp.publish import Publisher
from nameko.exceptions import ContainerBeingKilled
from nameko.messaging import Consumer

from shared.contracts.catalogue import spec_for
from shared.contracts.envelope import EnvelopeSchema
from shared.errors import SmartCityError
from shared.observability import ContainerMetrics
from shared.outbox import events_exchange

log = logging.getLogger(__name__)

DEFAULT_EXCHANGE = Exchange("", type="direct")


def dead_letter_queue_name(service: str) -> str:
    return f"{service}.dead_letters"


@dataclass(frozen=True)
class Event:
    """A received event: the envelope, with ``data`` loaded by the catalogue's schema."""

    event_id: str
    type: str
    version: int
    occurred_at: datetime
    source: str
    subject: str | None
    request_id: str | None
    data: dict[str, Any]

    @classmethod
    def from_body(cls, body: Any) -> Event:
        """Parse a message body; raises ``ValidationError`` for a malformed one (poison)."""
        if not isinstance(body, dict):
            raise ValidationError("message body is not a JSON object")
        envelope = EnvelopeSchema().load(body)
        try:
            spec = spec_for(envelope["type"])
        except KeyError as exc:
            raise ValidationError(str(exc)) from exc
        if envelope["version"] > spec.version:
            raise ValidationError(f"version {envelope['version']} is newer than understood")
        # Tolerate fields added by newer minor publishers.
        data = spec.schema(unknown=EXCLUDE).load(envelope["data"])
        return cls(
            event_id=str(envelope["event_id"]),
            type=envelope["type"],
            version=envelope["version"],
            occurred_at=envelope["occurred_at"].astimezone(UTC),
            source=envelope["source"],
            subject=envelope["subject"],
            request_id=envelope.get("request_id"),
            data=data,
        )


class EventSubscriber(Consumer):
    """Entrypoint: a handler of the city events whose type matches ``pattern``."""

    metrics = ContainerMetrics()

    def __init__(self, pattern: str, **kwargs: Any):
        self.pattern = pattern
        super().__init__(queue=None, requeue_on_error=True, **kwargs)

    def setup(self) -> None:
        service = self.container.service_name
        config = self.container.config
        self.consumer_name = f"{service}.{self.method_name}"
        self.queue = Queue(
            self.consumer_name, exchange=events_exchange, routing_key=self.pattern, durable=True
        )
        self.attempts = int(config.get("EVENT_RETRY_ATTEMPTS", 4))
        self.backoff = float(config.get("EVENT_RETRY_BACKOFF", 0.5))
        self.dead_letter_queue = Queue(
            dead_letter_queue_name(service),
            durable=True,
            exchange=DEFAULT_EXCHANGE,
            routing_key=dead_letter_queue_name(service),
        )
        self.dead_letter_publisher = Publisher(
            config["AMQP_URI"], use_confirms=True, declare=[self.dead_letter_queue]
        )
        self._waiting_retries: dict[Any, Any] = {}
        super().setup()

    def start(self) -> None:
        # Declared up front, not on the first failure, so operators see it (empty) at once.
        with Connection(self.container.config["AMQP_URI"]) as connection:
            self.dead_letter_queue(connection.default_channel).declare()
        super().start()

    def handle_message(self, body: Any, message: Any) -> None:
        try:
            event = Event.from_body(body)
        except ValidationError as exc:
            # A malformed message can never succeed: straight to the dead letters.
            self._dead_letter(body, message, f"ValidationError: {exc.messages}", attempts=0)
            return
        self._spawn(event, body, message, attempt=1)

    def _spawn(self, event: Event, body: Any, message: Any, attempt: int) -> None:
        self._waiting_retries.pop(message, None)
        context_data = self.unpack_message_headers(message)
        if event.request_id:
            context_data.setdefault("request_id", event.request_id)
        try:
            self.container.spawn_worker(
                self,
                (event,),
                {},
                context_data=context_data,
                handle_result=partial(self._handle_result, event, body, message, attempt),
            )
        except ContainerBeingKilled:
            self.queue_consumer.requeue_message(message)

    def _handle_result(
        self,
        event: Event,
        body: Any,
        message: Any,
        attempt: int,
        worker_ctx: Any,
        result: Any,
        exc_info: Any,
    ) -> tuple[Any, Any]:
        if exc_info is None:
            self.queue_consumer.ack_message(message)
        elif attempt < self.attempts and not _is_permanent(exc_info[1]):
            self.metrics.event_retries.labels(self.container.service_name, self.consumer_name).inc()
            delay = self.backoff * 2 ** (attempt - 1)
            self._waiting_retries[message] = eventlet.spawn_after(
                delay, self._spawn, event, body, message, attempt + 1
            )
        else:
            error = "".join(traceback.format_exception_only(exc_info[0], exc_info[1])).strip()
            self._dead_letter(body, message, error, attempts=attempt)
        return result, exc_info

    def _dead_letter(self, body: Any, message: Any, error: str, attempts: int) -> None:
        headers = {
            "x-original-queue": self.consumer_name,
            "x-original-routing-key": message.delivery_info.get("routing_key"),
            "x-consumer": self.consumer_name,
            "x-error": error[:4000],
            "x-attempts": attempts,
            "x-failed-at": datetime.now(UTC).isoformat(),
        }
        try:
            self.dead_letter_publisher.publish(
                body,
                exchange=DEFAULT_EXCHANGE,
                routing_key=self.dead_letter_queue.name,
                headers=headers,
                message_id=getattr(message, "properties", {}).get("message_id"),
            )
        except Exception:
            # Could not park it: give it back to the broker rather than lose it.
            log.exception("dead-lettering failed; requeueing %s", self.consumer_name)
            self.queue_consumer.requeue_message(message)
            return
        log.error(
            "event moved to %s after %s attempts: %s", self.dead_letter_queue.name, attempts, error
        )
        self.metrics.dead_letters.labels(self.container.service_name, self.consumer_name).inc()
        self.queue_consumer.ack_message(message)

    def stop(self) -> None:
        # Messages waiting for a retry go back to the queue now instead of after the backoff.
        for message, timer in list(self._waiting_retries.items()):
            timer.cancel()
            self.queue_consumer.requeue_message(message)
        self._waiting_retries.clear()
        super().stop()

    def kill(self) -> None:
        # The broker takes unacknowledged messages back when the connection drops.
        for timer in self._waiting_retries.values():
            timer.cancel()
        self._waiting_retries.clear()


subscribe = EventSubscriber.decorator


def _is_permanent(exc: BaseException) -> bool:
    """A client error (invalid data, unknown subject) fails the same way every time."""
    return isinstance(exc, SmartCityError) and exc.status < 500
