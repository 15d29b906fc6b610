"""What every nameko service of the suite has: metrics, request ids and a ``health`` RPC."""

from __future__ import annotations

import logging
from typing import Any

from nameko.extensions import DependencyProvider

from shared.event_consumer import apply_reconnect_policy
from shared.messaging import EventSubscriber
from shared.observability import Observed
from shared.rpc import rpc

log = logging.getLogger(__name__)

VERSION = "0.1.0"

apply_reconnect_policy()  # every service's consumers reconnect within a second


class SubscribedQueues(DependencyProvider):
    """The names of the container's event queues (one per ``@subscribe`` entrypoint), which
    ``health`` reports so that operators' tools know which queues to watch."""

    def get_dependency(self, worker_ctx: Any) -> list[str]:
        return sorted(
            entrypoint.queue.name
            for entrypoint in self.container.entrypoints
            if isinstance(entrypoint, EventSubscriber)
        )


class ServiceBase:
    """Base class of the sector services and the platform service.

    A subclass sets ``name`` and declares ``db = Database(Base, MIGRATIONS)``.
    """

    name: str
    observed = Observed()
    subscribed_queues = SubscribedQueues()

    @rpc
    def health(self) -> dict[str, Any]:
        """Liveness and readiness of this instance: database reachable, outbox backlog and the
        age of its oldest unpublished event (``outbox_lag_seconds``), its event queues."""
        try:
            backlog = self.db.outbox_backlog()
            lag = self.db.outbox_lag_seconds()
            database = "ok"
        except Exception as exc:  # report, don't raise: this is what ops look at
            log.warning("health: database check failed: %s", exc)
            backlog, lag, database = None, None, "unreachable"
        return {
            "service": self.name,
            "status": "ok" if database == "ok" else "degraded",
            "database": database,
            "outbox_backlog": backlog,
            "outbox_lag_seconds": lag,
            "event_queues": self.subscribed_queues,
            "version": VERSION,
        }
