"""The delivering side of subscriptions: per-endpoint lanes of concurrent POSTs.

A loop takes due deliveries (``delivery.due_deliveries``: leased in the database, so other
platform instances skip them and a restart finds them again once the lease runs out) and
sends each one in its own green thread, which records its outcome in its own transaction.
The loop never waits for a POST: a receiver that hangs holds only the deliveries of its own
endpoint (at most ``WEBHOOK_LANE_WIDTH`` at a time, each cut off after twice
``WEBHOOK_TIMEOUT_S``), while every other endpoint's lane keeps moving.

Before every POST the URL is checked again and the POST connects to the checked address
(``egress``: DNS rebinding).
"""

from __future__ import annotations

import logging
from collections import Counter
from contextlib import closing
from datetime import timedelta

import eventlet
from nameko.extensions import DependencyProvider
from sqlalchemy.orm import sessionmaker

from services.platform import delivery
from services.platform.egress import (
    DEFAULT_TIMEOUT_S,
    EgressPolicy,
    Refused,
    check_url,
    post,
    setting,
)
from services.platform.webhooks import DEFAULT_RETRY_BASE_S
from shared import config as settings
from shared.db import UnitOfWork, make_engine

log = logging.getLogger(__name__)

MAX_CONCURRENT_POSTS = 50
DEFAULT_LANE_WIDTH = 4
TAKE_BATCH = 20


class DeliverySender(DependencyProvider):
    """Runs the sending loop of the platform's subscriptions."""

    def setup(self) -> None:
        config = self.container.config
        service = self.container.service_name
        url = config.get("DATABASE_URLS", {}).get(service) or settings.database_url(service)
        self.engine = make_engine(url)
        self.session_factory = sessionmaker(self.engine, expire_on_commit=False)
        self.policy = EgressPolicy.from_config(config)
        self.timeout_s = float(setting(config, "WEBHOOK_TIMEOUT_S", DEFAULT_TIMEOUT_S))
        self.retry_base_s = float(setting(config, "WEBHOOK_RETRY_BASE_S", DEFAULT_RETRY_BASE_S))
        self.lane_width = int(setting(config, "WEBHOOK_LANE_WIDTH", DEFAULT_LANE_WIDTH))
        self.interval_s = float(setting(config, "WEBHOOK_SEND_INTERVAL_S", 0.5))
        # A lease outlasts the longest POST, so no other instance takes a delivery in flight.
        self.lease = max(delivery.SEND_LEASE, timedelta(seconds=2 * self.timeout_s + 10))
        self.pool = eventlet.GreenPool(MAX_CONCURRENT_POSTS)
        self.in_flight: Counter[str] = Counter()
        self._running = False

    def start(self) -> None:
        self._running = True
        self.container.spawn_managed_thread(self._run, identifier="webhook_sender")

    def stop(self) -> None:
        self._running = False
        for thread in list(self.pool.coroutines_running):
            thread.kill()  # their leases run out; a later tick or instance sends them
        self.engine.dispose()

    kill = stop

    def _run(self) -> None:
        while self._running:
            try:
                self.tick()
            except Exception:
                log.exception("webhook sender tick failed")  # the database may be away
            eventlet.sleep(self.interval_s)

    def tick(self) -> int:
        """Take what is due for the lanes that have room and start sending it."""
        room = min(self.pool.free(), TAKE_BATCH)
        if room == 0:
            return 0
        with self._unit() as uow:
            outgoing = delivery.due_deliveries(
                uow,
                limit=room,
                lease=self.lease,
                in_flight=self.in_flight,
                lane_width=self.lane_width,
            )
            uow.commit()
        for item in outgoing:
            self.in_flight[item.endpoint] += 1
            self.pool.spawn_n(self._send, item)
        return len(outgoing)

    def _send(self, item: delivery.Outgoing) -> None:
        try:
            try:
                target = check_url(item.url, self.policy, item.role)
            except Refused as exc:
                status, error = None, f"refused: {exc}"
            else:
                status, error = post(target, item.body, item.headers(), self.timeout_s)
            if error:
                log.info("webhook delivery %s not accepted: %s", item.delivery_id, error)
            with self._unit() as uow:
                delivery.record_attempt(
                    uow, item.delivery_id, status, error, retry_base_s=self.retry_base_s
                )
                uow.commit()
        except Exception:
            log.exception("webhook delivery %s: outcome not recorded", item.delivery_id)
        finally:
            self.in_flight[item.endpoint] -= 1

    def _unit(self) -> closing[UnitOfWork]:
        return closing(UnitOfWork(self.session_factory, self.container.service_name))
