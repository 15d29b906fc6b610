"""What every nameko service of the suite has: metrics, request ids and a ``health`` RPC."""

from __future__ import annotations

import logging
from typing import Any

from nameko.rpc import rpc

from shared.messaging import apply_reconnect_policy
from shared.observability import Observed

log = logging.getLogger(__name__)

VERSION = "0.1.0"

apply_reconnect_policy()  # every service's consumers reconnect within a second


class ServiceBase:
    """Base class of the sector services and the platform service.

    A subclass sets ``name`` and declares ``db = Database(Base, MIGRATIONS)``.
    """

    name: str
    observed = Observed()

    @rpc
    def health(self) -> dict[str, Any]:
        """Liveness and readiness of this instance: database reachable, outbox backlog."""
        try:
            backlog = self.db.outbox_backlog()
            database = "ok"
        except Exception as exc:  # report, don't raise: this is what ops look at
            log.warning("health: database check failed: %s", exc)
            backlog, database = None, "unreachable"
        return {
            "service": self.name,
            "status": "ok" if database == "ok" else "degraded",
            "database": database,
            "outbox_backlog": backlog,
            "version": VERSION,
        }
