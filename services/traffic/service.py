"""The traffic service: nameko entrypoints of "ride easy" (transit) and "park easy" (parking).

The entrypoints are thin. Each loads its input by its contract (``shared.contracts.traffic``)
and is one unit of work: a read in ``queries``/``parking``, or a use case in ``handlers``
(which puts the events its change causes in the outbox), then one commit, so a change and its
events are stored together or not at all. Errors are the ``shared.errors`` classes; nameko
re-raises them at the RPC caller.

RPC carries JSON, so times arrive as ISO 8601 strings and are parsed here: timetable times are
local times of the feed, parking times are UTC (naive ones taken as UTC). Residents' parking
data is personal: every access to a card's reservations is audited (``record_access``).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from pathlib import Path
from typing import Any

from nameko.timer import timer
from sqlalchemy.exc import IntegrityError

from services.traffic import gtfs_export, handlers, parking, parking_stats, queries, timetable
from services.traffic.domain import parking as parking_rules
from services.traffic.models import Base
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
from shared.db import Database
from shared.errors import Conflict, invalid
from shared.identity import validate_card_number
from shared.rpc import rpc
from shared.service import ServiceBase

MIGRATIONS = Path(__file__).parent / "migrations"

NO_SHOW_SWEEP_INTERVAL_S = 60
"""A no-show is due 15 minutes after the start; sweeping every minute marks it within one more."""


def _parse_datetime(value: object, field: str) -> dt.datetime:
    if not isinstance(value, str):
        raise invalid(field, "must be an ISO 8601 date and time")
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        raise invalid(field, "must be an ISO 8601 date and time") from None


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
            self.db.read_session, query["lat"], query["lon"], query["radius"], query["limit"]
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
        return timetable.arrivals(self.db.read_session, stop_id, moment, limit)

    @rpc
    def routes(self) -> dict[str, Any]:
        """``{"items": [{"route_id", "short_name", "long_name"}]}`` in display order."""
        return {"items": queries.routes(self.db.read_session)}

    @rpc
    def stops(self) -> dict[str, Any]:
        """``{"items": [{"stop_id", "name", "lat", "lon"}]}``: every boarding stop, by id."""
        return {"items": queries.all_stops(self.db.session)}

    @rpc
    def gtfs_feed(self) -> dict[str, Any]:
        """``{"zip_base64"}``: the timetable in use regenerated as a GTFS zip (open data)."""
        feed = gtfs_export.feed_zip(self.db.session)
        return {"zip_base64": base64.b64encode(feed).decode()}

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
        counts = handlers.store_realtime(self.db, message)
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
    def add_lot(self, department: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Register ``department``'s lot (``shared.contracts.traffic.LotIn``); ``Conflict`` if
        the id is taken."""
        lot = load(LotIn, payload)
        try:
            created = parking.add_lot(self.db.session, department, **lot)
            self.db.commit()
        except IntegrityError:  # the same id registered at the same moment
            raise Conflict(
                f"parking lot '{lot['lot_id']}' already exists", extra={"lot_id": lot["lot_id"]}
            ) from None
        return created

    @rpc
    def record_occupancy(self, department: str, lot_id: str, occupied: int) -> dict[str, Any]:
        """A sensor count observed now by the lot's own department (``NotFound`` for any other);
        returns the lot's state and announces it (``traffic.parking_occupancy_changed``)."""
        status = handlers.record_occupancy(self.db, department, lot_id, occupied, naive_utcnow())
        self.db.commit()
        return status

    @rpc
    def lots(self) -> dict[str, Any]:
        """``{"items": [lot + "occupied", "observed_at", "free_spaces"]}``: every lot now, by id."""
        return {"items": parking_stats.all_lots(self.db.session, naive_utcnow())}

    @rpc
    def parking_by_district(self) -> dict[str, Any]:
        """Lots, spaces and occupied spaces now, summed by district
        (``shared.contracts.traffic.ParkingByDistrict``)."""
        return parking_stats.by_district(self.db.session, naive_utcnow())

    # --- park easy: a resident's reservations ------------------------------------------------

    @rpc
    def reserve(
        self, card_number: str, lot_id: str, starts_at: str, ends_at: str
    ) -> dict[str, Any]:
        """Reserve a space for the card holder; ``Conflict("no_free_space")`` when full.

        Announces ``traffic.parking_reserved`` and audits the write, with the reservation.
        """
        card = validate_card_number(card_number)
        reservation = handlers.reserve(
            self.db,
            card,
            lot_id,
            _parse_datetime(starts_at, "starts_at"),
            _parse_datetime(ends_at, "ends_at"),
            naive_utcnow(),
        )
        self.db.commit()
        return reservation

    @rpc
    def my_reservations(self, card_number: str) -> dict[str, Any]:
        """``{"items": [reservation]}``: the card's reservations, latest start first."""
        card = validate_card_number(card_number)
        items = handlers.card_reservations(self.db, card)
        self.db.commit()
        return {"items": items}

    @rpc
    def cancel_reservation(self, card_number: str, reservation_id: str) -> dict[str, Any]:
        """The card holder cancels; ``Forbidden`` for another card's reservation."""
        card = validate_card_number(card_number)
        reservation = handlers.cancel_reservation(self.db, card, reservation_id)
        self.db.commit()
        return reservation

    @rpc
    def check_in(self, card_number: str, reservation_id: str) -> dict[str, Any]:
        """The card holder's car arrived; ``Forbidden`` for another card's reservation."""
        card = validate_card_number(card_number)
        reservation = handlers.check_in(self.db, card, reservation_id, naive_utcnow())
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
        result = handlers.sweep_no_shows(self.db, now)
        self.db.commit()
        return result
