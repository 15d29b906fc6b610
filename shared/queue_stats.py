"""What the broker says about each service: running instances, waiting events, dead letters.

Read over plain AMQP with passive ``queue.declare`` (no management plugin): the broker answers
a passive declare with the queue's ready messages and its consumers, and needs no permission on
the queue for it, so the gateway's own broker user may ask (it still cannot read or consume
another service's queue). Per service:

- ``instances``: consumers of its RPC queue ``rpc-<service>`` (nameko's name); every instance
  of a service consumes it once.
- ``event_queue_depth``: events ready in its subscriber queues (``<service>.<method>``, which
  the service names in its ``health`` answer) plus retries waiting in ``<service>.retry``.
- ``dead_letters``: messages in ``<service>.dead_letters``.

``read_overview`` adds each service's ``health`` RPC answer (status, outbox backlog, the age of
its oldest unpublished event) and the alerts an operator acts on. It is the one implementation
of ``GET /api/v1/ops/overview`` and of ``smartcity status``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from amqp.exceptions import AMQPError, NotFound
from kombu import Connection

from shared.errors import ServiceUnavailable
from shared.messaging import dead_letter_queue_name, retry_queue_name

log = logging.getLogger(__name__)

OUTBOX_BACKLOG_ALERT = 100
"""Unpublished outbox events above which a service is reported (``outbox_backlog`` alert)."""
EVENT_LAG_ALERT_S = 60.0
"""Age of the oldest unpublished event above which a service is reported, however few wait."""

HealthOf = Callable[[str], dict[str, Any] | None]
"""A service's ``health`` RPC answer, or None when it gave none (not running, no answer)."""
Mapper = Callable[[Callable[[str], Any], Iterable[str]], Iterable[Any]]
"""``map``, or a green pool's ``imap`` to ask every service at once."""

_known_event_queues: dict[str, tuple[str, ...]] = {}
"""The event queues each service named in its last ``health`` answer, so that the events
waiting for a service that has stopped are still counted (by this process, since it last saw
the service answer)."""


def rpc_queue_name(service: str) -> str:
    """nameko's RPC queue of a service (``nameko.rpc``)."""
    return f"rpc-{service}"


@dataclass(frozen=True)
class QueueStat:
    name: str
    messages: int
    """Ready messages (delivered but unacknowledged ones are not counted)."""
    consumers: int


def read_queues(amqp_uri: str, names: Iterable[str]) -> dict[str, QueueStat | None]:
    """Passive-declare each queue over one connection; None for a queue never declared.

    Raises ``ServiceUnavailable`` when the broker cannot be reached.
    """
    stats: dict[str, QueueStat | None] = {}
    try:
        with Connection(amqp_uri, connect_timeout=3) as connection:
            channel = connection.channel()
            for name in names:
                try:
                    _name, messages, consumers = channel.queue_declare(name, passive=True)
                except NotFound:
                    stats[name] = None
                    channel = connection.channel()  # the broker closed the one that asked
                    continue
                stats[name] = QueueStat(name, messages, consumers)
            channel.close()
    except (OSError, AMQPError) as exc:
        log.warning("queue stats: the broker did not answer: %s", exc)
        raise ServiceUnavailable(
            "the message broker is unavailable; try again shortly", extra={"cause": "broker"}
        ) from None
    return stats


def read_overview(
    amqp_uri: str, services: Sequence[str], health_of: HealthOf, mapper: Mapper = map
) -> dict[str, Any]:
    """The ops overview (``shared.contracts.ops.OpsOverview``) of ``services``.

    Only services with an instance are asked for their health: a call to one without would
    wait for its timeout.
    """
    rpc_queues = read_queues(amqp_uri, [rpc_queue_name(service) for service in services])
    instances = {
        service: (stat.consumers if (stat := rpc_queues[rpc_queue_name(service)]) else 0)
        for service in services
    }
    running = [service for service in services if instances[service] > 0]
    healths = dict(zip(running, mapper(_safe(health_of), running), strict=True))
    for service, health in healths.items():
        if health is not None and "event_queues" in health:
            _known_event_queues[service] = tuple(health["event_queues"])
    queues = read_queues(amqp_uri, _queues_of(services))
    rows, alerts = [], []
    for service in services:
        row = service_row(service, instances[service], healths.get(service), queues)
        rows.append(row)
        alerts += alerts_of(row, healths.get(service), queues)
    return {"as_of": datetime.now(UTC).isoformat(), "services": rows, "alerts": alerts}


def _queues_of(services: Iterable[str]) -> Iterator[str]:
    for service in services:
        yield from _known_event_queues.get(service, ())
        yield retry_queue_name(service)
        yield dead_letter_queue_name(service)


def _safe(health_of: HealthOf) -> HealthOf:
    def ask(service: str) -> dict[str, Any] | None:
        try:
            return health_of(service)
        except Exception as exc:  # no answer in time, or the broker refused: not healthy
            log.info("ops overview: %s did not answer its health check: %s", service, exc)
            return None

    return ask


def service_row(
    service: str,
    instances: int,
    health: dict[str, Any] | None,
    queues: dict[str, QueueStat | None],
) -> dict[str, Any]:
    """One service's figures (``shared.contracts.ops.ServiceOps``)."""
    healthy = health is not None and health.get("status") == "ok"
    dead = queues.get(dead_letter_queue_name(service))
    return {
        "service": service,
        "status": "ok" if healthy else "down",
        "instances": instances,
        "outbox_backlog": health.get("outbox_backlog") if health else None,
        "event_queue_depth": _event_queue_depth(service, queues),
        "event_lag_seconds": health.get("outbox_lag_seconds") if health else None,
        "dead_letters": dead.messages if dead else None,
    }


def _event_queue_depth(service: str, queues: dict[str, QueueStat | None]) -> int | None:
    names = _known_event_queues.get(service)
    if names is None:  # never heard from: which queues it reads is unknown
        return None
    waiting = [queues.get(name) for name in (*names, retry_queue_name(service))]
    return sum(stat.messages for stat in waiting if stat is not None)


def alerts_of(
    row: dict[str, Any], health: dict[str, Any] | None, queues: dict[str, QueueStat | None]
) -> list[dict[str, str]]:
    """What needs an operator about one service (``shared.contracts.ops.OpsAlert``)."""
    service = row["service"]
    alerts = []

    def alert(kind: str, detail: str) -> None:
        alerts.append({"kind": kind, "service": service, "detail": detail})

    if row["status"] != "ok":
        if row["instances"] == 0:
            alert("service_down", "no instance is running")
        elif health is not None:
            alert(
                "service_down",
                f"it reports {health.get('status')}: database {health.get('database')}",
            )
        else:
            alert("service_down", "its health check got no answer")
    if row["instances"] == 0:
        alert("no_consumers", f"nothing consumes {rpc_queue_name(service)}")
    for name in _known_event_queues.get(service, ()):
        stat = queues.get(name)
        if row["instances"] > 0 and stat is not None and stat.consumers == 0:
            alert("no_consumers", f"nothing consumes {name}")
    if row["dead_letters"]:
        alert("dead_letters", f"{row['dead_letters']} in {dead_letter_queue_name(service)}")
    backlog, lag = row["outbox_backlog"], row["event_lag_seconds"]
    if (backlog or 0) > OUTBOX_BACKLOG_ALERT or (lag or 0) > EVENT_LAG_ALERT_S:
        alert("outbox_backlog", f"{backlog} events unpublished, the oldest {lag or 0:.0f} s old")
    return alerts
