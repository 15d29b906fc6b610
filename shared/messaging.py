"""Subscribing to city events reliably, and fast.

``@subscribe("*.administrative_penalty_issued")`` declares a durable **quorum queue**
``<service>.<method>`` bound to the city's topic exchange (``shared.event_queues``).

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
- **Poison that kills its consumer** never reaches the retry path: the process dies holding it
  and the broker hands it out again. The quorum queue counts these returns
  (``x-delivery-count``); at ``DELIVERY_LIMIT`` the entrypoint parks the message in the dead
  letters with that reason instead of running the handler once more, and the queue's own
  ``x-delivery-limit`` dead-letters it (at least once) should even that fail. Retries do not
  count: a retried copy is a new message.

**Batches.** ``@subscribe(pattern, batch=True)``: the handler takes a list of events (up to
``EVENT_BATCH_SIZE``, gathered for at most ``EVENT_BATCH_LINGER`` seconds from a prefetch of
``EVENT_PREFETCH``) and applies them with ``apply_batch`` (the whole batch in a few statements,
falling back to ``apply_each`` when any of it fails) or ``apply_each``: each event in a
savepoint of one transaction, one commit for the group. An event that fails is rolled back to
its savepoint alone and reported; the others commit, and only then are their messages
acknowledged. The failed ones take the retry / dead-letter path above, one by one. If the
commit itself fails, nothing of the batch was stored and every event of it is retried.
Idempotency stays per event (``uow.claim``, or ``uow.claim_many`` in the same transaction).

Every consumer of the suite (events, RPC, replies) reconnects to a broker that came back within
about a second (``shared.event_consumer.RECONNECT_POLICY``) instead of kombu's 2, 4, 6 … 30 s
schedule. What a body must be to become an ``Event`` is in ``shared.received_events``.
"""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

import eventlet
from amqp.exceptions import PreconditionFailed
from kombu import Connection
from marshmallow import ValidationError
from nameko.amqp.publish import Publisher
from nameko.exceptions import ContainerBeingKilled
from nameko.messaging import Consumer

from shared.broker_rights import identity_of, sender_problem
from shared.errors import SmartCityError
from shared.event_batches import EventFailures, apply_batch, apply_each
from shared.event_consumer import EventQueueConsumer
from shared.event_queues import (
    DELIVERY_COUNT_HEADER,
    DELIVERY_LIMIT,
    dead_letter_queue_name,
    dead_letter_topology,
    event_queue,
    is_broker_header,
    retry_queue_name,
    retry_topology,
)
from shared.observability import ContainerMetrics
from shared.received_events import Event, decode_body, raw_copy_options

# Re-exported: services import them from here.
__all__ = [
    "Event",
    "EventFailures",
    "apply_batch",
    "apply_each",
    "dead_letter_queue_name",
    "retry_queue_name",
]

log = logging.getLogger(__name__)

ATTEMPT_HEADER = "x-attempt"
ROUTING_KEY_HEADER = "x-original-routing-key"


class QueueNotQuorum(RuntimeError):
    """A subscriber's queue exists with other arguments: ``smartcity broker setup`` migrates."""


@dataclass
class _Received:
    event: Event
    message: Any
    attempt: int


class EventSubscriber(Consumer):
    """Entrypoint: a handler of the city events whose type matches ``pattern``.

    With ``batch=True`` the handler takes a list of events and returns the ``EventFailures``
    of the ones that failed (``apply_each`` builds it while committing the others once).
    """

    queue_consumer = EventQueueConsumer()
    metrics = ContainerMetrics()

    def __init__(self, pattern: str, batch: bool = False, **kwargs: Any):
        self.pattern = pattern
        self.batch = batch
        self._pending: list[_Received] = []
        self._flush_scheduled = False
        super().__init__(queue=None, requeue_on_error=True, **kwargs)

    def setup(self) -> None:
        service = self.container.service_name
        config = self.container.config
        self.consumer_name = f"{service}.{self.method_name}"
        self.retry_exchange, self.retry_queue, redeliver = retry_topology(service)
        self.queue = event_queue(service, self.method_name, self.pattern)
        self.attempts = int(config.get("EVENT_RETRY_ATTEMPTS", 4))
        self.backoff = float(config.get("EVENT_RETRY_BACKOFF", 0.5))
        self.batch_size = int(config.get("EVENT_BATCH_SIZE", 50)) if self.batch else 1
        self.batch_linger = float(config.get("EVENT_BATCH_LINGER", 0.005))
        # A batch subscriber keeps a few batches in flight; one at a time needs a worker each.
        self.prefetch = (
            int(config.get("EVENT_PREFETCH", 500)) if self.batch else self.container.max_workers
        )
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
        # Declared up front, not on the first failure, so operators see them (empty) at once;
        # a classic queue of the same name left by an older release fails here, in one line.
        with Connection(self.container.config["AMQP_URI"]) as connection:
            for queue in (self.dead_letter_queue, self.retry_queue, self.queue):
                try:
                    queue(connection.channel()).declare()
                except PreconditionFailed as exc:
                    raise QueueNotQuorum(
                        f"queue {queue.name} exists with other arguments (a classic queue of "
                        f"an older release?): run `smartcity broker setup` to migrate it ({exc})"
                    ) from None
        super().start()

    def handle_message(self, _body: Any, message: Any) -> None:
        """Decode, then run the handler; ``_body`` is None (``EventQueueConsumer``)."""
        received = self._received(message)
        if received is None:
            return
        if not self.batch:
            self._spawn(
                (received.event,),
                {"request_id": received.event.request_id, **self.unpack_message_headers(message)},
                [received],
                partial(self._handle_result, received),
            )
            return
        self._pending.append(received)
        if len(self._pending) >= self.batch_size:
            self._flush()
        elif not self._flush_scheduled:
            # Messages already read from the socket join this batch; then it goes.
            self._flush_scheduled = True
            self.container.spawn_managed_thread(self._flush_after_linger)

    def _received(self, message: Any) -> _Received | None:
        """The message's event, or None once a message that can never succeed is parked."""
        try:
            event = Event.from_body(decode_body(message))
        except ValidationError as exc:
            # A malformed message can never succeed: straight to the dead letters.
            self._dead_letter(message, f"ValidationError: {exc.messages}", attempts=0)
            return None
        forged = sender_problem(
            event.type, event.source, message.properties.get("user_id"), self.receiver_uri
        )
        if forged:
            self._dead_letter(message, f"untrusted sender: {forged}", attempts=0)
            return None
        headers = message.headers or {}
        attempt = int(headers.get(ATTEMPT_HEADER, 1))
        returned = int(headers.get(DELIVERY_COUNT_HEADER, 0))
        if returned >= DELIVERY_LIMIT:
            # Handed out this often without being settled: its handling likely kills the
            # process. Parked now, before the broker's own limit drops it without an error.
            self._dead_letter(
                message, f"delivered {returned + 1} times without being settled", attempt
            )
            return None
        return _Received(event, message, attempt)

    def _flush_after_linger(self) -> None:
        eventlet.sleep(self.batch_linger)
        self._flush()

    def _flush(self) -> None:
        batch, self._pending, self._flush_scheduled = self._pending, [], False
        if batch:
            events = [received.event for received in batch]
            self._spawn((events,), {}, batch, partial(self._handle_batch_result, batch))

    def _spawn(
        self, args: tuple, context_data: dict, batch: list[_Received], handle_result: Any
    ) -> None:
        context_data = {k: v for k, v in context_data.items() if v is not None}
        try:
            self.container.spawn_worker(
                self, args, {}, context_data=context_data, handle_result=handle_result
            )
        except ContainerBeingKilled:
            for received in batch:
                self.queue_consumer.requeue_message(received.message)

    def _handle_result(
        self, received: _Received, worker_ctx: Any, result: Any, exc_info: Any
    ) -> tuple[Any, Any]:
        self._settle(received, exc_info[1] if exc_info else None)
        return result, exc_info

    def _handle_batch_result(
        self, batch: list[_Received], worker_ctx: Any, result: Any, exc_info: Any
    ) -> tuple[Any, Any]:
        """Acknowledge what was committed; retry or dead-letter each event that failed (all
        of them when the batch as a whole failed: nothing of it was committed)."""
        failures: EventFailures = (result or {}) if exc_info is None else {}
        for received in batch:
            error = exc_info[1] if exc_info else failures.get(received.event.event_id)
            self._settle(received, error)
        return result, exc_info

    def _settle(self, received: _Received, error: BaseException | None) -> None:
        message, attempt = received.message, received.attempt
        if error is None:
            self.queue_consumer.ack_message(message)
            self.metrics.events_handled.labels(
                self.container.service_name, self.consumer_name
            ).inc()
        elif attempt < self.attempts and not _is_permanent(error):
            self._retry_later(message, attempt)
        else:
            text = "".join(traceback.format_exception_only(type(error), error)).strip()
            self._dead_letter(message, text, attempts=attempt)

    def stop(self) -> None:
        # Messages still waiting for a batch are not acknowledged: the broker hands them out
        # again once this consumer's channel closes.
        self._pending, self._flush_scheduled = [], False
        super().stop()

    def _retry_later(self, message: Any, attempt: int) -> None:
        """Park a copy in the retry queue until its backoff is over, then let this one go."""
        headers = {
            # RabbitMQ's own x-death record would grow with every round trip: left out.
            **{k: v for k, v in (message.headers or {}).items() if not is_broker_header(k)},
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


def _original_routing_key(message: Any) -> str | None:
    """The event type a message was published with (a retried copy arrives by queue name)."""
    return (message.headers or {}).get(ROUTING_KEY_HEADER) or message.delivery_info.get(
        "routing_key"
    )


subscribe = EventSubscriber.decorator


def subscriptions(service_cls: type) -> list[tuple[str, str]]:
    """``(method name, pattern)`` of every ``@subscribe`` of a service class."""
    found = []
    for name in dir(service_cls):
        for entrypoint in getattr(getattr(service_cls, name), "nameko_entrypoints", ()):
            if isinstance(entrypoint, EventSubscriber):
                found.append((name, entrypoint.pattern))
    return sorted(found)


def _is_permanent(exc: BaseException) -> bool:
    """A client error (invalid data, unknown subject) fails the same way every time."""
    return isinstance(exc, SmartCityError) and exc.status < 500
