"""A cache of public reads in each gateway process, emptied by the events that change them.

Why in process, not Redis: a hit must cost less than the one RPC it saves, and a Redis round
trip is itself a network hop plus a (de)serialisation; the answers are public and small, and
every instance can hold its own copy. What makes that correct is that every instance hears
every invalidation: each process binds an exclusive, auto-deleted queue of its own
(``gateway.cache.<uuid>``) to the events below, not a shared queue whose messages instances
would compete for.

A route opts in with ``@api(..., cache=Cacheable(tags=..., expires=...))`` (public routes
only: an answer is stored once for every caller). Correctness rules:

- **Events**: each event type of ``INVALIDATED_BY`` drops the entries of its tags. A lookup
  that missed remembers the tags' generation before asking the service; its answer is stored
  only if no invalidation of those tags came in between (an answer read before a change must
  not be stored after the change's event).
- **Broker**: the cache serves only while its queue is consumed. When the connection drops,
  invalidations may be missed: the cache is flushed and bypassed until the queue is bound again
  (and flushed once more then).
- **Time**: every entry expires at the latest after ``MAX_TTL_S`` (a safety net), and earlier
  where the answer depends on the clock: ``Cacheable.expires`` gives the wall-clock instant
  (see ``gateway/routes/traffic.py`` for arrivals).

``GATEWAY_CACHE=off`` turns it off (every read goes to the service).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import eventlet
from kombu import Connection, Queue, binding
from nameko.extensions import DependencyProvider, SharedExtension
from prometheus_client import Counter

from shared.clock import CITY_TIMEZONE
from shared.observability import ContainerMetrics
from shared.outbox import events_exchange

log = logging.getLogger(__name__)

MAX_TTL_S = 300.0
"""No entry lives longer, whatever its events: the bound of an invalidation nobody sent."""
MAX_ENTRIES = 10_000
"""Past this many entries the cache is emptied whole (public answers: cheap to rebuild)."""
RECONNECT_DELAY_S = 1.0
QUEUE_PREFIX = "gateway.cache."

TIMETABLE, ARRIVALS, CREDIT_LISTS, VENUES = (
    "traffic.timetable",
    "traffic.arrivals",
    "credit.lists",
    "tourism.venues",
)
"""Cache tags: what a stored answer was read from."""

INVALIDATED_BY: dict[str, tuple[str, ...]] = {
    "traffic.feed_imported": (TIMETABLE, ARRIVALS),
    "traffic.realtime_updated": (ARRIVALS,),
    "credit.list_changed": (CREDIT_LISTS,),
    "tourism.venue_occupancy_changed": (VENUES,),
}
"""Event type → the tags whose answers it makes wrong. The gateway's broker row
(``shared/broker_rights.py``) grants exactly these bindings."""
ALL_TAGS = (TIMETABLE, ARRIVALS, CREDIT_LISTS, VENUES)


def never_sooner(_call: Any, _result: Any, now: float) -> float:
    """The default expiry: only ``MAX_TTL_S`` and the events bound the entry."""
    return now + MAX_TTL_S


def next_minute(_call: Any, _result: Any, now: float) -> float:
    """The end of the clock's minute: for answers that say what is open now (opening hours
    are whole minutes, and the city's offset from UTC whole hours)."""
    return (now // 60 + 1) * 60


def next_city_midnight(_call: Any, _result: Any, now: float) -> float:
    """The city's next midnight: for answers that hide what expired by the city's calendar."""
    today = dt.datetime.fromtimestamp(now, CITY_TIMEZONE).date()
    midnight = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), CITY_TIMEZONE)
    return midnight.timestamp()


@dataclass(frozen=True)
class Cacheable:
    """How a public read is cached: the tags it depends on and when it expires by the clock.

    ``expires(call, result, now)`` returns the wall-clock instant (``time.time()``) after which
    the answer may be wrong; one not after ``now`` is not stored."""

    tags: tuple[str, ...]
    expires: Callable[[Any, Any, float], float] = never_sooner


@dataclass
class _Entry:
    body: bytes
    expires_at: float
    tags: tuple[str, ...]


@dataclass
class Miss:
    """A lookup that found nothing: the generations to check before storing its answer."""

    key: str
    generations: tuple[int, ...] = field(default_factory=tuple)


class ResponseCache(SharedExtension):
    """The cache of one gateway process and the listener that invalidates it."""

    metrics = ContainerMetrics()

    def setup(self) -> None:
        config = self.container.config
        self.enabled = str(config.get("GATEWAY_CACHE", "on")).lower() not in ("off", "0", "no")
        self._entries: dict[str, _Entry] = {}
        self._generations: dict[str, int] = {}
        self._epoch = 0  # bumped by every flush
        self.live = False  # serving: the invalidation queue is consumed
        self._running = False
        registry = self.metrics.registry
        self.lookups = Counter(
            "smartcity_gateway_cache_lookups",
            "Gateway cache lookups of public reads by outcome (hit, miss, bypass)",
            ["outcome"],
            registry=registry,
        )
        self.invalidations = Counter(
            "smartcity_gateway_cache_invalidations",
            "Events received by the gateway cache, by type (flush: a broker reconnect)",
            ["event"],
            registry=registry,
        )

    def start(self) -> None:
        if self.enabled:
            self._running = True
            self.container.spawn_managed_thread(self._listen, identifier="gateway_cache")

    def stop(self) -> None:
        self._running = False
        self.live = False

    kill = stop

    # --- lookups ----------------------------------------------------------------------------

    def lookup(self, key: str, spec: Cacheable) -> bytes | Miss | None:
        """The stored body, or a ``Miss`` to store the answer with, or None (not caching)."""
        if not self.live:
            self.lookups.labels("bypass").inc()
            return None
        entry = self._entries.get(key)
        if entry is not None and entry.expires_at > time.time():
            self.lookups.labels("hit").inc()
            return entry.body
        self.lookups.labels("miss").inc()
        return Miss(key, self._generation_of(spec.tags))

    def store(self, miss: Miss, spec: Cacheable, body: bytes, expires_at: float) -> None:
        """Keep ``body`` unless an invalidation of its tags (or a flush) came since the miss."""
        if not self.live or self._generation_of(spec.tags) != miss.generations:
            return
        expires_at = min(expires_at, time.time() + MAX_TTL_S)
        if expires_at <= time.time():
            return
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        self._entries[miss.key] = _Entry(body, expires_at, spec.tags)

    def _generation_of(self, tags: tuple[str, ...]) -> tuple[int, ...]:
        return (self._epoch, *(self._generations.get(tag, 0) for tag in tags))

    # --- invalidation -----------------------------------------------------------------------

    def invalidate(self, event_type: str) -> None:
        """An event came: drop the answers of the tags it makes wrong."""
        self._drop(INVALIDATED_BY.get(event_type, ()))
        self.invalidations.labels(event_type).inc()

    def written(self, area: str) -> None:
        """A write in ``area`` (a route tag: ``credit``) went through this instance: its
        answers are dropped at once, so its caller reads the write back without waiting for
        the event (which empties every other instance)."""
        self._drop(tuple(tag for tag in ALL_TAGS if tag.startswith(f"{area}.")))

    def _drop(self, tags: tuple[str, ...]) -> None:
        if not tags:
            return
        for tag in tags:
            self._generations[tag] = self._generations.get(tag, 0) + 1
        self._entries = {
            key: entry
            for key, entry in self._entries.items()
            if not any(tag in entry.tags for tag in tags)
        }

    def flush(self) -> None:
        self._epoch += 1
        self._entries = {}
        self.invalidations.labels("flush").inc()

    def _listen(self) -> None:
        while self._running:
            try:
                self._consume()
            except Exception as exc:  # any broker trouble: stop serving, then reconnect
                if self._running:
                    log.warning("gateway cache: invalidations lost (%s); flushed", exc)
            self.live = False
            self.flush()
            if self._running:
                eventlet.sleep(RECONNECT_DELAY_S)

    def _consume(self) -> None:
        queue = Queue(
            f"{QUEUE_PREFIX}{uuid.uuid4().hex}",
            bindings=[binding(events_exchange, routing_key=event) for event in INVALIDATED_BY],
            exclusive=True,
            auto_delete=True,
            durable=False,
        )
        with Connection(
            self.container.config["AMQP_URI"],
            heartbeat=10,
            # Named after its queue: an operator sees which instance's listener it is.
            transport_options={"client_properties": {"connection_name": queue.name}},
        ) as connection:
            connection.ensure_connection(max_retries=1)
            with connection.Consumer(queue, on_message=self._on_message, no_ack=True):
                # Bound: from here on no change goes unheard. What was cached before may have
                # missed one while the queue was not bound.
                self.flush()
                self.live = True
                log.info("gateway cache: listening for invalidations on %s", queue.name)
                while self._running:
                    try:
                        connection.drain_events(timeout=1)
                    except TimeoutError:  # socket.timeout is TimeoutError
                        connection.heartbeat_check()

    def _on_message(self, message: Any) -> None:
        self.invalidate(message.delivery_info.get("routing_key", ""))


class GatewayCache(DependencyProvider):
    """What a gateway worker reaches the process's ``ResponseCache`` by."""

    cache = ResponseCache()

    def get_dependency(self, worker_ctx: Any) -> ResponseCache:
        return self.cache
