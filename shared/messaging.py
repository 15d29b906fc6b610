"""Subscribing to city events reliably.

``@subscribe("*.administrative_penalty_issued")`` declares a durable queue
``<service>.<method>`` bound to the city's topic exchange.

- The entrypoint decodes bodies itself: a message that is not UTF-8 JSON (or says another
  content type) goes to the service's dead letters with its raw body, instead of being
  acknowledged and dropped by kombu's decode-error handler.
- A handler that raises is retried later through the broker (unless the error is a client
  error, which would fail the same way again): a copy goes to the service's retry queue
  ``<service>.retry`` with a per-message TTL (exponential backoff) and the attempt number in
  the ``x-attempt`` header, and dead-letters back into the consumer's queue when the TTL ends.
  The original is acknowledged once the broker confirmed the copy, so a waiting retry holds no
  worker and no prefetch slot.
- After the last attempt the message goes to ``<service>.dead_letters`` with the error. An
  operator lists and replays dead letters with ``smartcity dlq`` (``smartcity.dead_letters``).

Every consumer of the suite (events, RPC, replies) reconnects to a broker that came back within
about a second (``RECONNECT_POLICY``) instead of kombu's 2, 4, 6 … 30 s schedule.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from kombu import Connection, Exchange, Queue, binding
from marshmallow import EXCLUDE, ValidationError
from nameko.amqp.publish import Publisher
from nameko.exceptions import ContainerBeingKilled
from nameko.messaging import Consumer, QueueConsumer

from shared.broker_rights import identity_of, sender_problem
from shared.contracts.catalogue import spec_for
from shared.contracts.envelope import EnvelopeSchema
from shared.errors import SmartCityError
from shared.observability import ContainerMetrics
from shared.outbox import events_exchange

log = logging.getLogger(__name__)

ATTEMPT_HEADER = "x-attempt"
ROUTING_KEY_HEADER = "x-original-routing-key"
JSON = "application/json"


def dead_letter_queue_name(service: str) -> str:
    return f"{service}.dead_letters"


def retry_queue_name(service: str) -> str:
    return f"{service}.retry"


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


def decode_body(message: Any) -> Any:
    """The JSON document a message carries; ``ValidationError`` says why it carries none."""
    if message.content_type != JSON:
        raise ValidationError(f"content type {message.content_type!r} is not {JSON}")
    body = message.body  # py-amqp has decoded it already if it names a content encoding
    try:
        return json.loads(body if isinstance(body, str) else body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ValidationError(f"body is not UTF-8: {exc}") from exc
    except ValueError as exc:
        raise ValidationError(f"body is not JSON: {exc}") from exc


def raw_copy_options(message: Any) -> dict[str, Any]:
    """Publish options that carry a received message on unchanged: its bytes as they came."""
    return {
        "content_type": message.content_type or "application/octet-stream",
        "content_encoding": message.content_encoding or "binary",
        "message_id": message.properties.get("message_id"),
    }


class EventQueueConsumer(QueueConsumer):
    """The connection of a service's event subscribers, which hands them undecoded messages.

    kombu's ``on_message`` callback skips decoding, so no message is lost to a decode error;
    ``EventSubscriber`` decodes and dead-letters what it cannot read.
    """

    def get_consumers(self, consumer_cls: Any, channel: Any) -> Any:
        for provider in self._providers:
            consumer = consumer_cls(
                queues=[provider.queue], on_message=partial(self._on_raw_message, provider)
            )
            consumer.qos(prefetch_count=self.prefetch_count)
            self._consumers[provider] = consumer
        return self._consumers.values()

    def _on_raw_message(self, provider: Any, message: Any) -> None:
        self.handle_message(provider, None, message)


class EventSubscriber(Consumer):
    """Entrypoint: a handler of the city events whose type matches ``pattern``."""

    queue_consumer = EventQueueConsumer()
    metrics = ContainerMetrics()

    def __init__(self, pattern: str, **kwargs: Any):
        self.pattern = pattern
        super().__init__(queue=None, requeue_on_error=True, **kwargs)

    def setup(self) -> None:
        service = self.container.service_name
        config = self.container.config
        self.consumer_name = f"{service}.{self.method_name}"
        self.retry_exchange, self.retry_queue, redeliver = retry_topology(service)
        self.queue = Queue(
            self.consumer_name,
            bindings=[
                binding(events_exchange, routing_key=self.pattern),
                # Where retried copies come back when their delay is over: this queue alone.
                binding(redeliver, routing_key=self.consumer_name),
            ],
            durable=True,
        )
        self.attempts = int(config.get("EVENT_RETRY_ATTEMPTS", 4))
        self.backoff = float(config.get("EVENT_RETRY_BACKOFF", 0.5))
        self.dead_letter_queue = dead_letter_topology(service)
        self.receiver_uri = config["AMQP_URI"]
        self.username = identity_of(self.receiver_uri)[0]
        self.publisher = Publisher(
            config["AMQP_URI"],
            use_confirms=True,
            declare=[self.dead_letter_queue, self.retry_queue, redeliver],
        )
        super().setup()

    def start(self) -> None:
        # Declared up front, not on the first failure, so operators see them (empty) at once.
        with Connection(self.container.config["AMQP_URI"]) as connection:
            channel = connection.default_channel
            self.dead_letter_queue(channel).declare()
            self.retry_queue(channel).declare()
        super().start()

    def handle_message(self, _body: Any, message: Any) -> None:
        """Decode, then run the handler; ``_body`` is None (``EventQueueConsumer``)."""
        try:
            event = Event.from_body(decode_body(message))
        except ValidationError as exc:
            # A malformed message can never succeed: straight to the dead letters.
            self._dead_letter(message, f"ValidationError: {exc.messages}", attempts=0)
            return
        forged = sender_problem(
            event.type, event.source, message.properties.get("user_id"), self.receiver_uri
        )
        if forged:
            self._dead_letter(message, f"untrusted sender: {forged}", attempts=0)
            return
        attempt = int((message.headers or {}).get(ATTEMPT_HEADER, 1))
        context_data = self.unpack_message_headers(message)
        if event.request_id:
            context_data.setdefault("request_id", event.request_id)
        try:
            self.container.spawn_worker(
                self,
                (event,),
                {},
                context_data=context_data,
                handle_result=partial(self._handle_result, message, attempt),
            )
        except ContainerBeingKilled:
            self.queue_consumer.requeue_message(message)

    def _handle_result(
        self, message: Any, attempt: int, worker_ctx: Any, result: Any, exc_info: Any
    ) -> tuple[Any, Any]:
        if exc_info is None:
            self.queue_consumer.ack_message(message)
        elif attempt < self.attempts and not _is_permanent(exc_info[1]):
            self._retry_later(message, attempt)
        else:
            error = "".join(traceback.format_exception_only(exc_info[0], exc_info[1])).strip()
            self._dead_letter(message, error, attempts=attempt)
        return result, exc_info

    def _retry_later(self, message: Any, attempt: int) -> None:
        """Park a copy in the retry queue until its backoff is over, then let this one go."""
        headers = {
            # RabbitMQ's own x-death record would grow with every round trip: left out.
            **{k: v for k, v in (message.headers or {}).items() if k != "x-death"},
            ATTEMPT_HEADER: attempt + 1,
            ROUTING_KEY_HEADER: _original_routing_key(message),
        }
        delay = self.backoff * 2 ** (attempt - 1)
        self._park(
            message,
            exchange=self.retry_exchange,
            # The retry queue dead-letters with this routing key: back to our own queue.
            routing_key=self.consumer_name,
            expiration=delay,
            headers=headers,
        )
        self.metrics.event_retries.labels(self.container.service_name, self.consumer_name).inc()

    def _dead_letter(self, message: Any, error: str, attempts: int) -> None:
        headers = {
            **{k: v for k, v in (message.headers or {}).items() if not k.startswith("x-")},
            "x-original-queue": self.consumer_name,
            ROUTING_KEY_HEADER: _original_routing_key(message),
            "x-consumer": self.consumer_name,
            "x-error": error[:4000],
            "x-attempts": attempts,
            "x-failed-at": datetime.now(UTC).isoformat(),
        }
        if self._park(
            message,
            exchange=self.dead_letter_queue.exchange,
            routing_key=self.dead_letter_queue.name,
            headers=headers,
        ):
            log.error(
                "event moved to %s after %s attempts: %s",
                self.dead_letter_queue.name,
                attempts,
                error,
            )
            self.metrics.dead_letters.labels(self.container.service_name, self.consumer_name).inc()

    def _park(self, message: Any, **publish_options: Any) -> bool:
        """Publish the raw message elsewhere (confirmed), then acknowledge it here.

        If the broker did not take the copy, the message goes back to its queue rather than
        being lost. Returns whether it was parked.
        """
        try:
            self.publisher.publish(
                message.body,
                **raw_copy_options(message),
                # A copy is ours: when it comes back, its sender is this service itself.
                user_id=self.username,
                **publish_options,
            )
        except Exception:
            log.exception("could not park a message of %s; requeueing it", self.consumer_name)
            self.queue_consumer.requeue_message(message)
            return False
        self.queue_consumer.ack_message(message)
        return True


def dead_letter_topology(service: str) -> Queue:
    """The service's dead-letter queue, behind a direct exchange of its own.

    Not the default exchange: a service's broker user may not publish there (it would reach
    every queue by name).
    """
    name = dead_letter_queue_name(service)
    return Queue(
        name, exchange=Exchange(name, type="direct", durable=True), routing_key=name, durable=True
    )


def retry_topology(service: str) -> tuple[Exchange, Queue, Exchange]:
    """The service's retry exchange and queue, and the exchange retried copies return by.

    A fanout exchange keeps each copy's routing key (the consumer's queue name) as it is; when
    a copy's TTL ends, the queue dead-letters it to the service's direct ``redeliver``
    exchange with that key, to which each consumer's queue is bound by its own name. (Not the
    default exchange: a service's broker user may not publish there.)
    """
    exchange = Exchange(retry_queue_name(service), type="fanout", durable=True)
    redeliver = Exchange(f"{service}.redeliver", type="direct", durable=True)
    queue = Queue(
        retry_queue_name(service),
        exchange=exchange,
        durable=True,
        queue_arguments={"x-dead-letter-exchange": redeliver.name},
    )
    return exchange, queue, redeliver


def _original_routing_key(message: Any) -> str | None:
    """The event type a message was published with (a retried copy arrives by queue name)."""
    return (message.headers or {}).get(ROUTING_KEY_HEADER) or message.delivery_info.get(
        "routing_key"
    )


subscribe = EventSubscriber.decorator


def _is_permanent(exc: BaseException) -> bool:
    """A client error (invalid data, unknown subject) fails the same way every time."""
    return isinstance(exc, SmartCityError) and exc.status < 500


RECONNECT_POLICY = {"interval_start": 0, "interval_step": 0.5, "interval_max": 1.0}
"""How consumers retry a lost broker: at once, then every second at most. kombu's default
(2, 4, 6 … 30 s) left a service idle for up to 30 s after the broker was back."""


@contextmanager
def _establish_connection_promptly(self: QueueConsumer) -> Iterator[Connection]:
    """``ConsumerMixin.establish_connection`` with ``RECONNECT_POLICY`` instead of the defaults
    (kombu's mixin passes no interval, and transport options do not reach it)."""
    with self.create_connection() as connection:
        connection.ensure_connection(
            self.on_connection_error, self.connect_max_retries, **RECONNECT_POLICY
        )
        yield connection


def apply_reconnect_policy() -> None:
    """Make every nameko ``QueueConsumer`` (RPC, replies, events) reconnect promptly.

    nameko creates these consumers inside its own entrypoints, so the class is where the policy
    can be set once for every service and the gateway. Idempotent.
    """
    QueueConsumer.establish_connection = _establish_connection_promptly


apply_reconnect_policy()
