"""Transactional outbox and processed-events tables, and the relay that empties the outbox.

A service writes its state change and the event it causes in one database transaction (the
``outbox`` row); the relay publishes pending rows after commit, in order, and marks them only
once RabbitMQ confirmed them (publisher confirms, persistent messages, durable exchange). If the
broker is down the rows wait and the relay retries on its next tick: nothing is lost, events
may arrive twice, and consumers are idempotent (``processed_events``).

No transaction stays open across broker I/O: a relay leases a batch (``claimed_until``) in one
short transaction, publishes without any, and marks the rows in another. The lease keeps
several instances of a service from publishing the same rows. PostgreSQL only.
"""

from __future__ import annotations

import contextlib
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import eventlet
from eventlet.queue import Empty, LightQueue
from kombu import Exchange
from nameko.amqp.publish import Publisher
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
        self.publisher = Publisher(
            amqp_uri,
            use_confirms=True,
            declare=[exchange],
            retry=True,
            retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 1},
        )
        self.publisher.transport_options = dict(_RELAY_TRANSPORT_OPTIONS)
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
        published: list[int] = []
        failure: tuple[int, str] | None = None
        for row in rows:
            try:
                self._publish(row.type, row.envelope)
            except Exception as exc:  # broker down, channel closed, confirm refused
                log.warning("outbox relay could not publish %s: %s", row.type, exc)
                failure = (row.id, str(exc)[:2000])
                break
            published.append(row.id)
        self._record_outcome(published, failure, [row.id for row in rows])
        return len(published)

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

    def _publish(self, event_type: str, envelope: dict[str, Any]) -> None:
        headers = {"event_type": event_type}
        if envelope.get("request_id"):
            # nameko turns ``nameko.*`` headers into the consumer worker's context data.
            headers["nameko.request_id"] = envelope["request_id"]
        self.publisher.publish(
            envelope,
            exchange=self.exchange,
            routing_key=event_type,
            message_id=envelope["event_id"],
            headers=headers,
            # The broker checks it against the connection's user; consumers then know who
            # really published (``shared.broker_rights.sender_problem``).
            user_id=self.username,
        )

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
