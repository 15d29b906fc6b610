"""The broker connection of a service's event subscribers, and how every consumer reconnects.

``EventQueueConsumer`` hands ``shared.messaging.EventSubscriber`` its messages undecoded, each
subscriber with its own prefetch. ``apply_reconnect_policy`` (applied on import) makes every
nameko consumer of the process (events, RPC, replies) reconnect within about a second.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

import kombu
from kombu import Connection
from nameko.messaging import QueueConsumer


class _PrefetchConsumer(kombu.Consumer):
    """A kombu consumer that sets its prefetch right before it starts consuming.

    RabbitMQ gives a consumer the prefetch of the channel's last ``basic.qos`` before its
    ``basic.consume``; the subscribers of a service share one channel, and kombu starts them
    only after creating all of them, so a ``qos`` at creation would leave every one with the
    last subscriber's prefetch.
    """

    def __init__(self, channel: Any, prefetch: int, **kwargs: Any):
        self.event_prefetch = prefetch
        super().__init__(channel, **kwargs)

    def consume(self, no_ack: bool | None = None) -> None:
        self.qos(prefetch_count=self.event_prefetch)
        super().consume(no_ack)


class EventQueueConsumer(QueueConsumer):
    """The connection of a service's event subscribers, which hands them undecoded messages.

    kombu's ``on_message`` callback skips decoding, so no message is lost to a decode error;
    ``EventSubscriber`` decodes and dead-letters what it cannot read. Each subscriber's
    consumer gets its own prefetch (``EventSubscriber.prefetch``).
    """

    def get_consumers(self, consumer_cls: Any, channel: Any) -> Any:
        for provider in self._providers:
            self._consumers[provider] = _PrefetchConsumer(
                channel,
                provider.prefetch,
                queues=[provider.queue],
                on_message=partial(self._on_raw_message, provider),
            )
        return self._consumers.values()

    def _on_raw_message(self, provider: Any, message: Any) -> None:
        self.handle_message(provider, None, message)


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
