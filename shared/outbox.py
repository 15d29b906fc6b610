"""Transactional outbox and processed-events tables, and the relay that empties the outbox.

A service writes its state change and the event it causes in one database transaction (the
``outbox`` row); the relay publishes pending rows after commit, in order, and marks them only
once RabbitMQ confirmed them (publisher confirms, persistent messages, durable exchange). If the
broker is down the rows wait and the relay retries on its next tick: nothing is lost, events
may arrive twice, and consumers are idempotent (``processed_events``).

No transaction stays open across broker I/O: a relay leases a batch (``claimed_until``) in one
short transaction, publishes without any, and marks the rows in another. The lease keeps
several instances of a service from publishing the same rows. PostgreSQL only.

A batch is published in order on one channel and confirmed once (``ConfirmedPublisher``): the
relay sends every message of it, then waits for the broker's confirms of all of them, instead
of one round trip per event. A row is marked published only when the broker confirmed it and
every row before it; the rest of the claim is released for the next tick.
"""

from __future__ import annotations

import contextlib
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import eventlet
from amqp import Message
from eventlet.queue import Empty, LightQueue
from kombu import Connection, Exchange
from kombu.utils.json import dumps
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Engine

from shared.broker_rights import identity_of
from shared.contracts.envelope import EVENTS_EXCHANGE

log = logging.getLogger(__name__)

messaging_metadata = MetaData()
"""Tables every service database has; migrated by the shared ``messaging`` Alembic branch."""


def outbox_like(name: str, metadata: MetaData) -> Table:
    """An outbox-shaped table: the shared ``outbox``, or a service's own one for another
    exchange (the platform's ``public_outbox`` of the public feed)."""
    return Table(
        name,
        metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("event_id", Uuid, nullable=False, unique=True),
        Column("type", String(120), nullable=False),
        Column("envelope", JSON, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True), nullable=True),
        Column("attempts", Integer, nullable=False, server_default="0"),
        Column("last_error", Text, nullable=True),
        Column("claimed_until", DateTime(timezone=True), nullable=True),
        Index(f"ix_{name}_pending", "published_at", "id"),
    )


outbox_table = outbox_like("outbox", messaging_metadata)

processed_events_table = Table(
    "processed_events",
    messaging_metadata,
    Column("consumer", String(200), primary_key=True),
    Column("event_id", Uuid, primary_key=True),
    Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

events_exchange = Exchange(EVENTS_EXCHANGE, type="topic", durable=True)

DEFAULT_RETENTION = timedelta(days=14)
"""How long published events and processed-event marks are kept (``MESSAGING_RETENTION_DAYS``):
longer than any dead letter should wait for its replay."""
PRUNE_INTERVAL_S = 3600
LEASE_S = 30.0
"""How long a relay owns the batch it claimed: far longer than publishing one takes, short
enough that the rows of a relay that died are published by another soon after."""

# Fail fast when the broker is away: the relay retries on its own schedule instead.
_RELAY_TRANSPORT_OPTIONS = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 1,
    "interval_max": 1,
}


class OutboxRelay:
    """Publishes pending outbox rows of one service database (``table``, to ``exchange``)."""

    def __init__(
        self,
        engine: Engine,
        amqp_uri: str,
        batch_size: int = 200,
        lease_s: float = LEASE_S,
        table: Table = outbox_table,
        exchange: Exchange = events_exchange,
    ):
        self.engine = engine
        self.table = table
        self.exchange = exchange
        self.batch_size = batch_size
        self.lease_s = lease_s
        self.username = identity_of(amqp_uri)[0]
        self.publisher = ConfirmedPublisher(amqp_uri, exchange)
        self._wakeups: LightQueue = LightQueue(maxsize=1)
        self._running = False

    def wake(self) -> None:
        """Ask the relay loop to run now (called after a commit that wrote events)."""
        if self._wakeups.qsize() == 0:
            self._wakeups.put_nowait(True)

    def pending_count(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(
                select(func.count())
                .select_from(self.table)
                .where(self.table.c.published_at.is_(None))
            ).scalar_one()

    def publish_pending(self) -> int:
        """Publish one batch in order; stop at the first failure so order holds. Returns count.

        Three steps, so that no database transaction stays open while the broker is slow or
        away: claim a batch (short transaction), publish it (no transaction), record the
        outcome (short transaction).
        """
        rows = self._claim_batch()
        if not rows:
            return 0
        confirmed, error = self._publish_batch(rows)
        published = [row.id for row in rows[:confirmed]]
        if error:
            log.warning("outbox relay could not publish %s: %s", rows[confirmed].type, error)
        failure = (rows[confirmed].id, error[:2000]) if error else None
        self._record_outcome(published, failure, [row.id for row in rows])
        return len(published)

    def _publish_batch(self, rows: list[Any]) -> tuple[int, str | None]:
        """Publish the rows in order: how many from the first the broker confirmed, and why
        the next one was not (None when all were)."""
        return self.publisher.publish_in_order(
            [self._message(row.type, row.envelope) for row in rows]
        )

    def _claim_batch(self) -> list[Any]:
        """Lease the oldest unclaimed pending rows to this relay for ``lease`` seconds.

        ``SKIP LOCKED`` keeps two instances from claiming the same rows at the same moment; the
        lease (checked against the database clock) keeps them apart afterwards, once the
        claiming transaction has committed. A relay that dies mid-batch leaves its rows to
        whoever claims after the lease runs out.
        """
        claimable = (
            select(self.table.c.id)
            .where(
                self.table.c.published_at.is_(None),
                or_(
                    self.table.c.claimed_until.is_(None),
                    self.table.c.claimed_until < func.now(),
                ),
            )
            .order_by(self.table.c.id)
            .limit(self.batch_size)
            .with_for_update(skip_locked=True)
        )
        with self.engine.begin() as conn:
            rows = conn.execute(
                update(self.table)
                .where(self.table.c.id.in_(claimable))
                .values(claimed_until=func.now() + timedelta(seconds=self.lease_s))
                .returning(self.table.c.id, self.table.c.type, self.table.c.envelope)
            ).all()
        return sorted(rows, key=lambda row: row.id)

    def _record_outcome(
        self, published: list[int], failure: tuple[int, str] | None, claimed: list[int]
    ) -> None:
        """Mark what the broker confirmed; release the rest of the claim for the next tick."""
        with self.engine.begin() as conn:
            if published:
                conn.execute(
                    update(self.table)
                    .where(self.table.c.id.in_(published))
                    .values(
                        published_at=datetime.now(UTC),
                        attempts=self.table.c.attempts + 1,
                        claimed_until=None,
                    )
                )
            if failure:
                failed_id, error = failure
                conn.execute(
                    update(self.table)
                    .where(self.table.c.id == failed_id)
                    .values(attempts=self.table.c.attempts + 1, last_error=error)
                )
            unpublished = sorted(set(claimed) - set(published))
            if unpublished:
                conn.execute(
                    update(self.table)
                    .where(self.table.c.id.in_(unpublished))
                    .values(claimed_until=None)
                )

    def _message(self, event_type: str, envelope: dict[str, Any]) -> tuple[str, Message]:
        headers = {"event_type": event_type}
        if envelope.get("request_id"):
            # nameko turns ``nameko.*`` headers into the consumer worker's context data.
            headers["nameko.request_id"] = envelope["request_id"]
        message = Message(
            dumps(envelope).encode(),
            content_type="application/json",
            content_encoding="utf-8",
            delivery_mode=2,  # persistent
            message_id=envelope["event_id"],
            headers=headers,
            # The broker checks it against the connection's user; consumers then know who
            # really published (``shared.broker_rights.sender_problem``).
            user_id=self.username,
        )
        return event_type, message

    def run(self, poll_interval: float, retention: timedelta = DEFAULT_RETENTION) -> None:
        """Relay loop: run on every wake-up, and every ``poll_interval`` seconds to catch up;
        once an hour, forget what is older than ``retention``."""
        self._running = True
        next_prune = time.monotonic()
        while self._running:
            with contextlib.suppress(Empty):
                self._wakeups.get(timeout=poll_interval)
            if not self._running:
                break
            try:
                while self.publish_pending() == self.batch_size:
                    eventlet.sleep(0)
                if time.monotonic() >= next_prune:
                    self.prune(datetime.now(UTC) - retention)
                    next_prune = time.monotonic() + PRUNE_INTERVAL_S
            except Exception:
                # The database may be away; the next tick tries again.
                log.exception("outbox relay failed")

    def prune(self, before: datetime) -> tuple[int, int]:
        """Delete published outbox rows and processed-event marks older than ``before``.

        Pending rows are never deleted. A mark must outlive any redelivery of its event: a
        dead letter replayed after the retention period would be applied a second time.
        """
        with self.engine.begin() as conn:
            published = conn.execute(
                delete(self.table).where(
                    self.table.c.published_at.is_not(None),
                    self.table.c.published_at < before,
                )
            ).rowcount
            marks = conn.execute(
                delete(processed_events_table).where(processed_events_table.c.processed_at < before)
            ).rowcount
        return published, marks

    def stop(self) -> None:
        self._running = False
        self.wake()
        self.publisher.close()


class ConfirmedPublisher:
    """Publishes batches of persistent messages to one exchange, confirmed once per batch.

    One connection and channel (in confirm mode), opened on first use and dropped on any
    error, so the next batch starts on a fresh one. Fails fast when the broker is away
    (``_RELAY_TRANSPORT_OPTIONS``): the relay retries on its own schedule.
    """

    def __init__(self, amqp_uri: str, exchange: Exchange, confirm_timeout: float = 10.0):
        self.amqp_uri = amqp_uri
        self.exchange = exchange
        self.confirm_timeout = confirm_timeout
        self._connection: Connection | None = None
        self._channel: Any = None
        self._next_tag = 1
        self._unconfirmed: set[int] = set()
        self._refused: set[int] = set()

    def publish_in_order(self, messages: list[tuple[str, Message]]) -> tuple[int, str | None]:
        """Send ``(routing_key, message)`` pairs, then wait for their confirms: how many from
        the first were confirmed, and the error that stopped the rest (None if none did)."""
        tags: list[int] = []
        error: str | None = None
        try:
            channel = self._open()
            for routing_key, message in messages:
                tags.append(self._next_tag)
                self._unconfirmed.add(self._next_tag)
                self._next_tag += 1
                channel.basic_publish(message, exchange=self.exchange.name, routing_key=routing_key)
            deadline = time.monotonic() + self.confirm_timeout
            while self._unconfirmed.intersection(tags) and not self._refused.intersection(tags):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"no confirm within {self.confirm_timeout} s")
                self._connection.drain_events(timeout=remaining)
        except Exception as exc:  # broker down, channel closed, no confirm in time
            error = f"{exc.__class__.__name__}: {exc}"
            self.close()
        confirmed = 0
        for tag in tags:
            if tag in self._unconfirmed or tag in self._refused:
                break
            confirmed += 1
        if confirmed < len(messages) and error is None:
            error = "the broker refused the message (basic.nack)"
        self._unconfirmed.difference_update(tags)
        self._refused.difference_update(tags)
        return confirmed, error

    def _open(self) -> Any:
        if self._channel is not None:
            return self._channel
        connection = Connection(self.amqp_uri, transport_options=dict(_RELAY_TRANSPORT_OPTIONS))
        connection.ensure_connection(max_retries=1, interval_start=0, interval_step=1)
        channel = connection.channel()
        self.exchange(channel).declare()
        channel.confirm_select()
        channel.events["basic_ack"].add(self._on_ack)
        channel.events["basic_nack"].add(self._on_nack)
        self._connection, self._channel, self._next_tag = connection, channel, 1
        return channel

    def _settled(self, tag: int, multiple: bool) -> set[int]:
        return {t for t in self._unconfirmed if t <= tag} if multiple else {tag}

    def _on_ack(self, tag: int, multiple: bool) -> None:
        self._unconfirmed -= self._settled(tag, multiple)

    def _on_nack(self, tag: int, multiple: bool) -> None:
        settled = self._settled(tag, multiple)
        self._unconfirmed -= settled
        self._refused |= settled

    def close(self) -> None:
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.release()
