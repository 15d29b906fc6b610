"""The retained event log: every event the platform received, for replays.

Kept ``EVENT_LOG_RETENTION_DAYS`` (default 7) after it arrived, then pruned hourly by the
platform's timer. A replay re-queues, for one subscription, the logged events that occurred
in a time range and that it would match now, with their original event ids.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert

from services.platform.models import EventLogEntry

if TYPE_CHECKING:
    from shared.db import UnitOfWork

DEFAULT_RETENTION = timedelta(days=7)
MAX_REPLAY_EVENTS = 1000
"""At most this many events per replay request (ask again with a later ``from``)."""


def append(uow: UnitOfWork, envelope: dict[str, Any], now: datetime) -> None:
    """Log a received event once (a redelivery is already there)."""
    uow.session.execute(
        insert(EventLogEntry)
        .values(
            event_id=uuid.UUID(str(envelope["event_id"])),
            event_type=envelope["type"],
            occurred_at=datetime.fromisoformat(envelope["occurred_at"]),
            received_at=now,
            envelope=envelope,
        )
        .on_conflict_do_nothing(index_elements=["event_id"])
    )


def occurred_between(uow: UnitOfWork, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """The logged envelopes that occurred in ``[start, end)``, oldest first (at most
    ``MAX_REPLAY_EVENTS``)."""
    return list(
        uow.session.scalars(
            select(EventLogEntry.envelope)
            .where(EventLogEntry.occurred_at >= start, EventLogEntry.occurred_at < end)
            .order_by(EventLogEntry.occurred_at, EventLogEntry.received_at)
            .limit(MAX_REPLAY_EVENTS)
        )
    )


def throughput(uow: UnitOfWork, now: datetime, hours: int) -> dict[str, Any]:
    """Events received per hour and per source over the ``hours`` hours up to ``now`` (the
    current hour last, so far): counts of the log, never an event. A source is the service an
    event type belongs to (``credit.record_added`` → ``credit``)."""
    current = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    start = current - timedelta(hours=hours - 1)
    hour = func.date_trunc("hour", func.timezone("UTC", EventLogEntry.received_at))
    source = func.split_part(EventLogEntry.event_type, ".", 1)
    rows = uow.session.execute(
        select(source, hour, func.count())
        .where(EventLogEntry.received_at >= start)
        .group_by(source, hour)
    ).all()
    labels = [start + timedelta(hours=n) for n in range(hours)]
    index = {label.replace(tzinfo=None): n for n, label in enumerate(labels)}
    counts: dict[str, list[int]] = {}
    for name, bucket, count in rows:
        if bucket in index:  # an event received after ``now`` (clock skew) is not counted
            counts.setdefault(name, [0] * hours)[index[bucket]] += count
    return {
        "as_of": now.isoformat(),
        "hours": [label.isoformat() for label in labels],
        "sources": [
            {"source": name, "counts": series, "total": sum(series)}
            for name, series in sorted(counts.items())
        ],
    }


def prune(uow: UnitOfWork, now: datetime, retention: timedelta = DEFAULT_RETENTION) -> int:
    """Forget events that arrived more than ``retention`` ago; returns how many."""
    return uow.session.execute(
        delete(EventLogEntry).where(EventLogEntry.received_at < now - retention)
    ).rowcount
