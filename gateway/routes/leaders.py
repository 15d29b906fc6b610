"""Decision support: the leaders' indicators across services, aggregates only.

Each indicator comes from one service's aggregate RPC; they are asked at once (one green
thread each), so the page waits for the slowest, not for the sum. A source that is down or
slow makes its own indicator ``unavailable``; the others still answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import eventlet

from gateway.access import CITY_OVERVIEW
from gateway.http import Call, api
from shared.clock import utcnow
from shared.config import PLATFORM, SERVICES
from shared.contracts import leaders as contract
from shared.errors import SmartCityError
from shared.messaging import dead_letter_queue_name
from shared.queue_stats import read_queues

log = logging.getLogger(__name__)

SOURCES: dict[str, tuple[str, str, tuple[Any, ...]]] = {
    "time_limits": ("community", "time_limit_performance", ()),
    "parking": ("traffic", "parking_by_district", ()),
    "consultations": ("health", "consultation_backlog", ()),
    "tourism": ("tourism", "tourism_load", (contract.TICKET_SALES_DAYS,)),
    "credit_lists": ("credit", "list_changes", (contract.LIST_CHANGE_DAYS,)),
    "event_throughput": ("platform", "event_throughput", (contract.THROUGHPUT_HOURS,)),
}
"""Indicator → (service, aggregate RPC method, its arguments)."""


def dead_letters(amqp_uri: str) -> dict[str, Any]:
    """Messages in each service's dead-letter queue, read from the broker (passive declares,
    as the ops overview does); None for a queue never declared."""
    services = (PLATFORM, *SERVICES)
    queues = read_queues(amqp_uri, [dead_letter_queue_name(service) for service in services])
    rows = [
        {
            "service": service,
            "dead_letters": stat.messages
            if (stat := queues[dead_letter_queue_name(service)])
            else None,
        }
        for service in services
    ]
    return {"services": rows, "total": sum(row["dead_letters"] or 0 for row in rows)}


def gather(fetchers: dict[str, tuple[str, Callable[[], Any]]]) -> dict[str, dict[str, Any]]:
    """Run every ``name → (source, fetch)`` at once; each answer, or why there is none."""

    def one(item: tuple[str, tuple[str, Callable[[], Any]]]) -> tuple[str, dict[str, Any]]:
        name, (source, fetch) = item
        try:
            return name, {"status": "ok", "source": source, "reason": None, "data": fetch()}
        except SmartCityError as exc:  # 503 down, 504 too slow: this indicator only
            reason = exc.message
        except Exception as exc:  # a source's bug must not take the whole page down
            log.error("indicator %s from %s failed: %r", name, source, exc)
            reason = f"{source} failed to answer"
        return name, {"status": "unavailable", "source": source, "reason": reason, "data": None}

    pool = eventlet.GreenPool(max(len(fetchers), 1))
    return dict(pool.imap(one, fetchers.items()))


class LeadersRoutes:
    @api(
        "GET",
        "/api/v1/leaders/indicators",
        access=CITY_OVERVIEW,
        tags=("leaders",),
        response=contract.Indicators,
        summary="Indicators across services for the leaders' dashboard (aggregates only; a "
        "source that is down gives its indicator status 'unavailable')",
    )
    def leaders_indicators(self, call: Call) -> dict[str, Any]:
        def rpc(service: str, method: str, args: tuple[Any, ...]) -> Callable[[], Any]:
            return lambda: getattr(getattr(self.services, service), method)(*args)

        fetchers = {
            name: (service, rpc(service, method, args))
            for name, (service, method, args) in SOURCES.items()
        }
        # broker_uri: the gateway's own broker user, the dependency OpsRoutes declares.
        fetchers["dead_letters"] = ("broker", lambda: dead_letters(self.broker_uri))
        return {"as_of": utcnow().isoformat(), **gather(fetchers)}
