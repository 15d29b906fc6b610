"""Connection checkout without a round trip per request: ping only a connection that sat idle.

``pool_pre_ping=True`` sends ``SELECT 1`` before every checkout, that is one more round trip to
PostgreSQL for each RPC (a public read makes one or two statements, so the ping was a third of
its database time). A connection returned a moment ago is as alive as the ping would prove; one
that sat idle may have been closed by a server restart, a failover or an idle timeout. So a
connection is pinged at checkout only when it was idle longer than ``IDLE_BEFORE_PING_S``; a
dead one is then replaced by the pool (``DisconnectionError``: the pool retries with a fresh
connection), as ``pool_pre_ping`` would. A connection that dies while in use fails that one
statement either way; SQLAlchemy then invalidates the rest of the pool, so the next checkouts
connect anew.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError

IDLE_BEFORE_PING_S = 2.0
"""Under load a connection is back in the pool within milliseconds and never pinged."""

_IDLE_SINCE = "smartcity_idle_since"


def ping_when_idle(engine: Engine, idle_before_ping_s: float = IDLE_BEFORE_PING_S) -> Engine:
    """Make ``engine``'s pool ping a connection at checkout only after it sat idle."""

    @event.listens_for(engine, "checkin")
    def _checked_in(dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        idle_since = record.info.pop(_IDLE_SINCE, None)
        if idle_since is None or time.monotonic() - idle_since < idle_before_ping_s:
            return  # a new connection, or one in use a moment ago
        try:
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute("SELECT 1")
            finally:
                cursor.close()
            dbapi_connection.rollback()  # the ping leaves no transaction open
        except Exception as exc:  # any failure: let the pool connect anew
            raise DisconnectionError(f"idle connection is gone: {exc!r}") from exc

    return engine
