"""The traffic service's use cases that write: each takes the worker's ``UnitOfWork``, calls
the database modules (``importer``, ``parking``), which flush but never commit, and puts the
events the change causes in the outbox (``uow.publish``) and the audit of a resident's data
(``uow.record_access``). The entrypoint commits, except ``import_gtfs``, which is the
operator's whole transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from services.traffic import importer, parking
from services.traffic.domain import parking as parking_rules
from services.traffic.domain.gtfs import FeedSource
from services.traffic.importer import ImportProgress, ImportSummary
from services.traffic.models import Agency, ServiceAlert
from shared.db import UnitOfWork

PARKING_PURPOSE = "parking"
RESERVATION_RESOURCE = "parking_reservation"


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


def store_realtime(uow: UnitOfWork, message: bytes) -> dict[str, int]:
    """Store a GTFS-Realtime message and announce it (``traffic.realtime_updated``: arrivals
    read before it may be wrong); each alert not stored before is also announced as
    ``traffic.service_alert_published`` (an alert sent again is not announced again)."""
    session = uow.session
    known = set(session.scalars(select(ServiceAlert.alert_id)))
    counts = importer.store_realtime(session, message)
    for alert in session.scalars(select(ServiceAlert).order_by(ServiceAlert.alert_id)):
        if alert.alert_id not in known:
            uow.publish("traffic.service_alert_published", alert_event(alert))
    uow.publish("traffic.realtime_updated", dict(counts))
    return counts


def record_occupancy(
    uow: UnitOfWork, department: str, lot_id: str, occupied: int, now: dt.datetime
) -> dict:
    """The lot's own department's sensor count; the lot's state is announced
    (``traffic.parking_occupancy_changed``)."""
    parking.record_occupancy(uow.session, department, lot_id, occupied, now)
    status = parking.lot_status(uow.session, lot_id, now)
    uow.publish(
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
    return status


def reserve(
    uow: UnitOfWork,
    card: str,
    lot_id: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    now: dt.datetime,
) -> dict[str, Any]:
    """A reservation, announced (``traffic.parking_reserved``) and audited as a write."""
    reservation = parking.reserve(uow.session, lot_id, card, starts_at, ends_at, now)
    uow.publish(
        "traffic.parking_reserved",
        {
            key: reservation[key]
            for key in ("reservation_id", "lot_id", "card_number", "starts_at", "ends_at")
        },
        subject=card,
    )
    uow.record_access(card, "write", RESERVATION_RESOURCE, PARKING_PURPOSE)
    return reservation


def card_reservations(uow: UnitOfWork, card: str) -> list[dict[str, Any]]:
    """The card's reservations, latest start first; audited as a read."""
    items = parking.card_reservations(uow.session, card)
    uow.record_access(card, "read", RESERVATION_RESOURCE, PARKING_PURPOSE)
    return items


def cancel_reservation(uow: UnitOfWork, card: str, reservation_id: str) -> dict[str, Any]:
    reservation = parking.cancel_reservation(uow.session, reservation_id, card)
    uow.record_access(card, "write", RESERVATION_RESOURCE, PARKING_PURPOSE)
    return reservation


def check_in(uow: UnitOfWork, card: str, reservation_id: str, now: dt.datetime) -> dict[str, Any]:
    reservation = parking.check_in(uow.session, reservation_id, card, now)
    uow.record_access(card, "write", RESERVATION_RESOURCE, PARKING_PURPOSE)
    return reservation


def sweep_no_shows(uow: UnitOfWork, now: dt.datetime) -> dict[str, Any]:
    """Mark no-shows; a card whose 30-day count reaches the threshold gets one penalty
    (``traffic.administrative_penalty_issued``), in the same unit of work as the marks."""
    marked, offenders = parking.sweep_no_shows(uow.session, now)
    penalties = []
    for offender in offenders:
        penalty = parking_rules.no_show_penalty(offender, now)
        uow.publish("traffic.administrative_penalty_issued", penalty, subject=offender.card_number)
        penalties.append(penalty["source_record_id"])
    return {"marked": len(marked), "penalties": penalties}
