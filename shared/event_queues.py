"""The queues of a service's event subscribers: quorum queues, and how they are declared.

Every queue here is a quorum queue (``x-queue-type: quorum``; RabbitMQ 3.8+, replicated in a
cluster, the successor of classic mirrored queues that 4.0 removed):

- ``<service>.<method>``, a subscriber's queue, with a **delivery limit**
  (``x-delivery-limit``): a message returned to the queue more than ``DELIVERY_LIMIT`` times
  (its consumer's process died while holding it, or the entrypoint requeued it) is
  dead-lettered by the broker into ``<service>.dead_letters``, at least once. The broker counts
  returns in the ``x-delivery-count`` header; the entrypoint parks such a message itself one
  delivery earlier, with the error it can name (``shared.messaging``).
- ``<service>.retry``, where a failed event's copy waits out its backoff (per-message TTL, then
  dead-lettered back into its consumer's queue, at least once: RabbitMQ 3.10+).
- ``<service>.dead_letters``, kept until an operator replays or drops them.

Arguments of a queue cannot change once it exists (redeclaring it otherwise is
``PRECONDITION_FAILED``), so the limit is a constant here: an operator changes it with a
``delivery-limit`` policy. A vhost that still holds classic queues of these names (from an
older release) is migrated by ``smartcity broker setup`` (``smartcity.broker``).
RPC reply queues stay classic: exclusive, auto-delete queues cannot be quorum queues.
"""

from __future__ import annotations

from kombu import Exchange, Queue, binding

from shared.outbox import events_exchange

DELIVERY_LIMIT = 20
"""Returns of one message before the broker dead-letters it. Generous: every restart of a
service returns the messages it had prefetched, and an innocent event must survive many."""
DELIVERY_COUNT_HEADER = "x-delivery-count"
BROKER_HEADERS = ("x-death", DELIVERY_COUNT_HEADER)
"""Headers the broker writes itself (``x-first-death-*`` too): never carried onto a copy."""

QUORUM = {"x-queue-type": "quorum"}
_AT_LEAST_ONCE = {"x-dead-letter-strategy": "at-least-once", "x-overflow": "reject-publish"}


def dead_letter_queue_name(service: str) -> str:
    return f"{service}.dead_letters"


def retry_queue_name(service: str) -> str:
    return f"{service}.retry"


def is_broker_header(name: str) -> bool:
    return name in BROKER_HEADERS or name.startswith("x-first-death-")


def dead_letter_topology(service: str) -> Queue:
    """The service's dead-letter queue, behind a direct exchange of its own.

    Not the default exchange: a service's broker user may not publish there (it would reach
    every queue by name).
    """
    name = dead_letter_queue_name(service)
    return Queue(
        name,
        exchange=Exchange(name, type="direct", durable=True),
        routing_key=name,
        durable=True,
        queue_arguments=dict(QUORUM),
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
        queue_arguments={**QUORUM, **_AT_LEAST_ONCE, "x-dead-letter-exchange": redeliver.name},
    )
    return exchange, queue, redeliver


def event_queue(service: str, method_name: str, pattern: str) -> Queue:
    """The durable queue of subscriber ``<service>.<method_name>``, bound to ``pattern``."""
    name = f"{service}.{method_name}"
    dead_letters = dead_letter_queue_name(service)
    return Queue(
        name,
        bindings=[
            binding(events_exchange, routing_key=pattern),
            # Where retried copies come back when their delay is over: this queue alone.
            binding(retry_topology(service)[2], routing_key=name),
        ],
        durable=True,
        queue_arguments={
            **QUORUM,
            **_AT_LEAST_ONCE,
            "x-delivery-limit": DELIVERY_LIMIT,
            "x-dead-letter-exchange": dead_letters,
            "x-dead-letter-routing-key": dead_letters,
        },
    )


def queues_of(service: str, subscribers: list[tuple[str, str]]) -> list[Queue]:
    """Every queue of a service with ``(method_name, pattern)`` subscribers, dead letters
    first (the event queues dead-letter into it)."""
    queues: list[Queue] = [dead_letter_topology(service), retry_topology(service)[1]]
    return queues + [event_queue(service, method, pattern) for method, pattern in subscribers]
