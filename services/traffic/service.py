"""The traffic service: nameko entrypoints of "ride easy" (transit) and "park easy" (parking).

The entrypoints are thin. Each is one unit of work: a call into the domain modules beside it
(``queries``, ``importer``, ``parking``), which validate, read, write and flush but never
commit; the events the change causes written to the outbox with ``self.db.publish``; one
commit, so a change and its events are stored together or not at all. Errors are the
``shared.errors`` classes the domain raises; nameko re-raises them at the RPC caller.

RPC carries JSON, so times arrive as ISO 8601 strings and are parsed here: timetable times are
local times of the feed, parking times are UTC (naive ones taken as UTC). Residents' parking
data is personal: every access to a card's reservations is audited (``record_access``).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nameko.rpc import rpc
from nameko.timer import timer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from services.traffic import importer, parking, queries
from services.traffic.domain import parking as parking_rules
from services.traffic.domain.gtfs import FeedSource
from services.traffic.importer import ImportProgress, ImportSummary
from services.traffic.models import Agency, Base, ServiceAlert
from shared.clock import naive_utcnow
from shared.contracts.common import load
from shared.contracts.traffic import (
    DEFAULT_ARRIVALS,
    DEFAULT_LOT_RADIUS_M,
    DEFAULT_STOP_RADIUS_M,
    DEFAULT_STOPS,
    ArrivalsQuery,
    LotIn,
    LotsNearQuery,
    StopsNearQuery,
    WalkQuery,
)
from shared.db import Database, UnitOfWork
from shared.errors import Conflict, invalid
from shared.identity import validate_card_number
from shared.service import ServiceBase

MIGRATIONS = Path(__file__).parent / "migrations"

NO_SHOW_SWEEP_INTERVAL_S = 60
"""A no-show is due 15 minutes after the start; sweeping every minute marks it within one more."""

PARKING_PURPOSE = "parking"
RESERVATION_RESOURCE = "parking_reservation"


def _parse_datetime(value: object, field: str) -> dt.datetime:
    if not isinstance(value, str):
        raise invalid(field, "must be an ISO 8601 date and time")
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        raise invalid(field, "must be an ISO 8601 date and time") from None


def _posix_iso(seconds: int) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat()


def alert_event(alert: ServiceAlert) -> dict[str, Any]:
    """The ``traffic.service_alert_published`` payload of a stored alert.

    An alert active in several periods is announced from the earliest start to the latest end;
    an open start or end stays open (null).
    """
    periods = alert.active_periods or [[None, None]]
    starts = [start for start, _end in periods]
    ends = [end for _start, end in periods]
    return {
        "alert_id": alert.alert_id,
        "header": alert.header,
        "description": alert.description,
        "route_ids": list(alert.route_ids),
        "stop_ids": list(alert.stop_ids),
        "active_from": None if None in starts else _posix_iso(min(starts)),
        "active_until": None if None in ends else _posix_iso(max(ends)),
    }


def import_gtfs(
    unit: UnitOfWork,
    source: FeedSource,
    name: str = "gtfs",
    progress: Callable[[ImportProgress], None] | None = None,
) -> ImportSummary:
    """Make a GTFS feed the timetable and announce it, in one transaction (commits).

    The new feed's rows and its ``traffic.feed_imported`` event in the outbox are committed
    together; a malformed feed raises ``ValidationFailed`` (file, line, field) and changes
    nothing. The operator's ``smartcity traffic import-gtfs`` runs this.
    """
    summary = importer.import_feed(unit.session, source, name=name, progress=progress)
    agencies = unit.session.scalars(
        select(Agency.agency_name)
        .where(Agency.feed_id == summary.feed_id)
        .order_by(Agency.agency_id)
    ).all()
    unit.publish(
        "traffic.feed_imported",
        {
            "feed_id": str(summary.feed_id),
            "agency": ", ".join(agencies),
            "timezone": summary.timezone,
            "counts": summary.row_counts,
        },
    )
    unit.commit()
    return summary


class TrafficService(ServiceBase):
    """Transit timetable and live arrivals, parking lots, free spaces and reservations."""

    name = "traffic"
    db = Database(Base, MIGRATIONS)

    # --- ride easy: the timetable ------------------------------------------------------------

    @rpc
    def stops_near(
        self,
        lat: float,
        lon: float,
        radius_m: float = DEFAULT_STOP_RADIUS_M,
        limit: int = DEFAULT_STOPS,
    ) -> dict[str, Any]:
        """``{"items": [{"stop_id", "name", "lat", "lon", "distance_m"}]}``, nearest first."""
        query = load(StopsNearQuery, {"lat": lat, "lon": lon, "radius": radius_m, "limit": limit})
        items = queries.stops_near(
            self.db.session, query["lat"], query["lon"], query["radius"], query["limit"]
        )
        return {"items": items}

    @rpc
    def stop_detail(self, stop_id: str) -> dict[str, Any]:
        """The stop with a plain-language ``description`` and its ``routes``."""
        return queries.stop_detail(self.db.session, stop_id)

    @rpc
    def arrivals(
        self, stop_id: str, at: str | None = None, limit: int = DEFAULT_ARRIVALS
    ) -> dict[str, Any]:
        """The next vehicles at a stop from ``at`` (local ISO 8601 of the feed; default now)."""
        limit = load(ArrivalsQuery, {"limit": limit})["limit"]
        moment = dt.datetime.now(dt.UTC) if at is None else _parse_datetime(at, "at")
        return queries.arrivals(self.db.session, stop_id, moment, limit)

    @rpc
    def routes(self) -> dict[str, Any]:
        """``{"items": [{"route_id", "short_name", "long_name"}]}`` in display order."""
        return {"items": queries.routes(self.db.session)}

    @rpc
    def route_stops(self, route_id: str) -> dict[str, Any]:
        """``{"items": [{"stop_id", "name", "lat", "lon", "stop_sequence"}]}``, travel order."""
        return {"items": queries.route_stops(self.db.session, route_id)}

    @rpc
    def walk(self, lat: float, lon: float, stop_id: str) -> dict[str, Any]:
        """``{"distance_m", "minutes", "bearing_deg", "stop"}`` from a point to a stop."""
        query = load(WalkQuery, {"lat": lat, "lon": lon, "stop_id": stop_id})
        return queries.walk(self.db.session, query["lat"], query["lon"], query["stop_id"])

    # --- ride easy: live data ----------------------------------------------------------------

    @rpc
    def push_realtime(self, message_b64: str) -> dict[str, int]:
        """Store a GTFS-Realtime ``FeedMessage`` (base64 of the protobuf bytes).

        Returns ``{"delays", "ignored", "alerts"}``. Each alert not stored before is announced
        as ``traffic.service_alert_published`` in the same transaction; an alert sent again
        (every full-dataset message repeats the alerts in force) is not announced again.
        """
        try:
            message = base64.b64decode(message_b64, validate=True)
        except (TypeError, binascii.Error):
            raise invalid("feed_message", "must be base64 of the protobuf bytes") from None
        session = self.db.session
        known = set(session.scalars(select(ServiceAlert.alert_id)))
        counts = importer.store_realtime(session, message)
        for alert in session.scalars(select(ServiceAlert).order_by(ServiceAlert.alert_id)):
            if alert.alert_id not in known:
                self.db.publish("traffic.service_alert_published", alert_event(alert))
        self.db.commit()
        return counts

    # --- park easy: lots ---------------------------------------------------------------------

    @rpc
    def lots_near(
        self, lat: float, lon: float, radius_m: float = DEFAULT_LOT_RADIUS_M
    ) -> dict[str, Any]:
        """``{"items": [lot + "distance_m", "occupied", "observed_at", "free_spaces"]}`` now."""
        query = load(LotsNearQuery, {"lat": lat, "lon": lon, "radius": radius_m})
        lots = parking.lots_near(
            self.db.session, query["lat"], query["lon"], query["radius"], naive_utcnow()
        )
        return {"items": lots}

    @rpc
    def add_lot(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Register a lot (``shared.contracts.traffic.LotIn``); ``Conflict`` if the id is taken."""
        lot = load(LotIn, payload)
        try:
            created = parking.add_lot(self.db.session, **lot)
            self.db.commit()
        except IntegrityError:  # the same id registered at the same moment
            raise Conflict(
                f"parking lot '{lot['lot_id']}' already exists", extra={"lot_id": lot["lot_id"]}
            ) from None
        return created

    @rpc
    def record_occupancy(self, lot_id: str, occupied: int) -> dict[str, Any]:
        """A sensor count observed now; returns the lot's state and announces it
        (``traffic.parking_occupancy_changed``)."""
        now = naive_utcnow()
        parking.record_occupancy(self.db.session, lot_id, occupied, now)
        status = parking.lot_status(self.db.session, lot_id, now)
        self.db.publish(
            "traffic.parking_occupancy_changed",
            {
                "lot_id": status["lot_id"],
                "capacity": status["capacity"],
                "occupied": status["occupied"],
                "free_spaces": status["free_spaces"],
                "observed_at": status["observed_at"],
            },
            subject=status["lot_id"],
        )
        self.db.commit()
        return status

    # --- park easy: a resident's reservations ------------------------------------------------

    @rpc
    def reserve(
        self, card_number: str, lot_id: str, starts_at: str, ends_at: str
    ) -> dict[str, Any]:
        """Reserve a space for the card holder; ``Conflict("no_free_space")`` when full.

        Announces ``traffic.parking_reserved`` and audits the write, with the reservation.
        """
        card = validate_card_number(card_number)
        reservation = parking.reserve(
            self.db.session,
            lot_id,
            card,
            _parse_datetime(starts_at, "starts_at"),
            _parse_datetime(ends_at, "ends_at"),
            naive_utcnow(),
        )
        self.db.publish(
            "traffic.parking_reserved",
            {
                key: reservation[key]
                for key in ("reservation_id", "lot_id", "card_number", "starts_at", "ends_at")
            },
            subject=card,
        )
        self.db.record_access(card, "write", RESERVATION_RESOURCE, PARKING_PURPOSE)
        self.db.commit()
        return reservation

    @rpc
    def my_reservations(self, card_number: str) -> dict[str, Any]:
        """``{"items": [reservation]}``: the card's reservations, latest start first."""
        card = validate_card_number(card_number)
        items = parking.card_reservations(self.db.session, card)
        self.db.record_access(card, "read", RESERVATION_RESOURCE, PARKING_PURPOSE)
        self.db.commit()
        return {"items": items}

    @rpc
    def cancel_reservation(self, card_number: str, reservation_id: str) -> dict[str, Any]:
        """The card holder cancels; ``Forbidden`` for another card's reservation."""
        card = validate_card_number(card_number)
        reservation = parking.cancel_reservation(self.db.session, reservation_id, card)
        self.db.record_access(card, "write", RESERVATION_RESOURCE, PARKING_PURPOSE)
        self.db.commit()
        return reservation

    @rpc
    def check_in(self, card_number: str, reservation_id: str) -> dict[str, Any]:
        """The card holder's car arrived; ``Forbidden`` for another card's reservation."""
        card = validate_card_number(card_number)
        reservation = parking.check_in(self.db.session, reservation_id, card, naive_utcnow())
        self.db.record_access(card, "write", RESERVATION_RESOURCE, PARKING_PURPOSE)
        self.db.commit()
        return reservation

    # --- no-shows ----------------------------------------------------------------------------

    @timer(interval=NO_SHOW_SWEEP_INTERVAL_S)
    def sweep_no_shows_periodically(self) -> None:
        self._sweep_no_shows(naive_utcnow())

    @rpc
    def sweep_no_shows(self, now: str | None = None) -> dict[str, Any]:
        """Run the no-show sweep at ``now`` (ISO 8601, naive = UTC; default the clock).

        ``now`` may lie in the past (tests, catching up) but not in the future, which would
        mark cars that can still come as no-shows. Returns ``{"marked": n, "penalties":
        [source_record_id]}``.
        """
        clock = naive_utcnow()
        if now is None:
            return self._sweep_no_shows(clock)
        moment = parking_rules.as_utc(_parse_datetime(now, "now"), "now")
        if moment > clock + parking_rules.CLOCK_TOLERANCE:
            raise invalid("now", "must not be in the future")
        return self._sweep_no_shows(moment)

    def _sweep_no_shows(self, now: dt.datetime) -> dict[str, Any]:
        """Mark no-shows; a card whose 30-day count reaches the threshold gets one penalty
        (``traffic.administrative_penalty_issued``), committed with the marks."""
        marked, offenders = parking.sweep_no_shows(self.db.session, now)
        penalties = []
        for offender in offenders:
            penalty = parking_rules.no_show_penalty(offender, now)
            self.db.publish(
                "traffic.administrative_penalty_issued", penalty, subject=offender.card_number
            )
            penalties.append(penalty["source_record_id"])
        self.db.commit()
        return {"marked": len(marked), "penalties": penalties}
