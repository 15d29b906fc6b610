"""Parking in the database: lots, live free spaces, reservations that never over-book, and
the no-show sweep. The rules are pure, in ``domain/parking.py``; here they meet the rows.
Parking times are UTC and stored naive. Functions that write call ``flush()`` and never
commit: the caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zlib
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from services.traffic.domain import geo
from services.traffic.domain.parking import (
    ACTIVE_STATUSES,
    CANCELLED,
    CHECKED_IN,
    COMPLETED,
    MAX_LISTED_RESERVATIONS,
    NO_SHOW,
    NO_SHOW_GRACE,
    NO_SHOW_WINDOW,
    RESERVED,
    RepeatNoShows,
    as_utc,
    count_overlapping,
    free_spaces,
    threshold_reached_by,
    validate_window,
)
from services.traffic.models import OccupancyReading, ParkingLot, Reservation
from shared.errors import Conflict, Forbidden, NotFound, invalid
from shared.identity import validate_card_number

_SWEEP_LOCK_KEY = zlib.crc32(b"smartcity-traffic-no-show-sweep")


def _iso(value: dt.datetime | None) -> str | None:
    return value.replace(tzinfo=dt.UTC).isoformat(timespec="seconds") if value else None


def reservation_dict(reservation: Reservation) -> dict[str, Any]:
    """The JSON shape of a reservation: ids as strings, times as UTC ISO 8601."""
    return {
        "reservation_id": str(reservation.id),
        "lot_id": reservation.lot_id,
        "card_number": reservation.card_number,
        "starts_at": _iso(reservation.starts_at),
        "ends_at": _iso(reservation.ends_at),
        "status": reservation.status,
        "created_at": _iso(reservation.created_at),
    }


def lot_dict(lot: ParkingLot) -> dict[str, Any]:
    return {
        "lot_id": lot.lot_id,
        "name": lot.name,
        "lat": lot.lat,
        "lon": lot.lon,
        "capacity": lot.capacity,
        "price_per_hour": str(lot.price_per_hour),
        "operator_credit_code": lot.operator_credit_code,
        "department": lot.department,
        "district": lot.district,
    }


def add_lot(
    session: Session,
    department: str,
    lot_id: str,
    name: str,
    lat: float,
    lon: float,
    capacity: int,
    price_per_hour: Decimal | str,
    operator_credit_code: str,
    district: str | None = None,
) -> dict[str, Any]:
    """Register ``department``'s parking lot, loaded by its contract (``LotIn``); ``Conflict``
    if the id is taken. The lot is the department's: only it may update it."""
    price = Decimal(str(price_per_hour)).quantize(Decimal("0.01"))  # "3.5" is kept as "3.50"
    if session.get(ParkingLot, lot_id) is not None:
        raise Conflict(f"parking lot '{lot_id}' already exists", extra={"lot_id": lot_id})
    lot = ParkingLot(
        lot_id=lot_id,
        name=name,
        lat=lat,
        lon=lon,
        capacity=capacity,
        price_per_hour=price,
        operator_credit_code=operator_credit_code,
        department=department,
        district=district,
    )
    session.add(lot)
    session.flush()
    return lot_dict(lot)


def _get_lot(session: Session, lot_id: object, for_update: bool = False) -> ParkingLot:
    if not isinstance(lot_id, str) or not lot_id:
        raise invalid("lot_id", "must be a non-empty string")
    statement = select(ParkingLot).where(ParkingLot.lot_id == lot_id)
    if for_update:  # and read the row as it is once locked, not as this session last saw it
        statement = statement.with_for_update().execution_options(populate_existing=True)
    lot = session.scalars(statement).first()
    if lot is None:
        raise NotFound(f"parking lot '{lot_id}' not found", extra={"lot_id": lot_id})
    return lot


def record_occupancy(
    session: Session, department: str, lot_id: str, occupied: int, observed_at: dt.datetime
) -> dict[str, Any]:
    """Store a sensor count of occupied spaces (0..capacity) observed at a time.

    Only the lot's own department may: for any other the lot is ``NotFound``, as if it did not
    exist (a 403 would confirm it does)."""
    lot = _get_lot(session, lot_id)
    if lot.department != department:
        raise NotFound(f"parking lot '{lot_id}' not found", extra={"lot_id": lot_id})
    if isinstance(occupied, bool) or not isinstance(occupied, int):
        raise invalid("occupied", "must be an integer")
    if not 0 <= occupied <= lot.capacity:
        raise invalid("occupied", f"must be between 0 and the capacity {lot.capacity}")
    reading = OccupancyReading(
        lot_id=lot.lot_id, occupied=occupied, observed_at=as_utc(observed_at, "observed_at")
    )
    session.add(reading)
    session.flush()
    return {"lot_id": lot.lot_id, "occupied": occupied, "observed_at": _iso(reading.observed_at)}


def lots_near(
    session: Session, lat: float, lon: float, radius_m: float, at: dt.datetime
) -> list[dict[str, Any]]:
    """Lots within ``radius_m`` (at most 5 km), nearest first, with their state at ``at``.

    Each item: the lot (``lot_id``, ``name``, ``lat``, ``lon``, ``capacity``,
    ``price_per_hour`` as a decimal string, ``operator_credit_code``) plus ``distance_m``,
    ``occupied`` and ``observed_at`` of the latest sensor reading at or before ``at`` (0 and
    None without one) and ``free_spaces``.
    """
    at = as_utc(at, "at")
    box = geo.bounding_box(lat, lon, radius_m)
    lots = session.scalars(
        select(ParkingLot).where(
            ParkingLot.lat.between(box.min_lat, box.max_lat),
            ParkingLot.lon.between(box.min_lon, box.max_lon),
        )
    ).all()
    nearby = []
    for lot in lots:
        distance = geo.haversine_m(lat, lon, lot.lat, lot.lon)
        if distance <= radius_m:
            nearby.append((distance, lot))
    nearby.sort(key=lambda item: (item[0], item[1].lot_id))
    states = lot_states(session, [lot for _, lot in nearby], at)
    return [
        {**lot_dict(lot), "distance_m": round(distance, 1), **states[lot.lot_id]}
        for distance, lot in nearby
    ]


def lot_status(session: Session, lot_id: str, at: dt.datetime) -> dict[str, Any]:
    """One lot with its state at ``at``: the lot, ``occupied``, ``observed_at`` and
    ``free_spaces`` as in ``lots_near``. ``NotFound`` for an unknown lot."""
    lot = _get_lot(session, lot_id)
    return {**lot_dict(lot), **lot_states(session, [lot], as_utc(at, "at"))[lot.lot_id]}


def lot_states(
    session: Session, lots: list[ParkingLot], at: dt.datetime
) -> dict[str, dict[str, Any]]:
    """``{lot_id: {"occupied", "observed_at", "free_spaces"}}`` at ``at`` (naive UTC)."""
    lot_ids = [lot.lot_id for lot in lots]
    readings = latest_readings(session, lot_ids, at)
    holding: dict[str, list[Reservation]] = {lot_id: [] for lot_id in lot_ids}
    if lot_ids:
        for reservation in session.scalars(
            select(Reservation).where(
                Reservation.lot_id.in_(lot_ids),
                Reservation.status == RESERVED,
                Reservation.starts_at <= at,
                Reservation.ends_at > at,
            )
        ):
            holding[reservation.lot_id].append(reservation)
    states = {}
    for lot in lots:
        occupied, observed_at = readings.get(lot.lot_id, (0, None))
        states[lot.lot_id] = {
            "occupied": occupied,
            "observed_at": _iso(observed_at),
            "free_spaces": free_spaces(lot.capacity, occupied, holding[lot.lot_id], at),
        }
    return states


def latest_readings(
    session: Session, lot_ids: list[str], at: dt.datetime
) -> dict[str, tuple[int, dt.datetime]]:
    """``{lot_id: (occupied, observed_at)}`` of each lot's latest reading at or before ``at``."""
    if not lot_ids:
        return {}
    newest_first = (
        func.row_number()
        .over(
            partition_by=OccupancyReading.lot_id,
            order_by=(OccupancyReading.observed_at.desc(), OccupancyReading.id.desc()),
        )
        .label("rank")
    )
    ranked = (
        select(
            OccupancyReading.lot_id,
            OccupancyReading.occupied,
            OccupancyReading.observed_at,
            newest_first,
        )
        .where(OccupancyReading.lot_id.in_(lot_ids), OccupancyReading.observed_at <= at)
        .subquery()
    )
    rows = session.execute(
        select(ranked.c.lot_id, ranked.c.occupied, ranked.c.observed_at).where(ranked.c.rank == 1)
    )
    return {lot_id: (occupied, observed_at) for lot_id, occupied, observed_at in rows}


def reserve(
    session: Session,
    lot_id: str,
    card_number: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    now: dt.datetime,
) -> dict[str, Any]:
    """Reserve a space in a lot for a window; ``Conflict("no_free_space")`` when it is full.

    Never over-books under concurrency: the lot row is locked (``SELECT ... FOR UPDATE``) before the
    overlapping reservations are counted, so two requests for the last space take turns and the
    second sees the first. The lock is held until the caller's transaction ends. Returns the
    reservation.
    """
    card = validate_card_number(card_number)
    starts_at, ends_at = validate_window(starts_at, ends_at, now)
    lot = _get_lot(session, lot_id, for_update=True)
    overlapping = session.scalars(
        select(Reservation).where(
            Reservation.lot_id == lot.lot_id,
            Reservation.status.in_(ACTIVE_STATUSES),
            Reservation.starts_at < ends_at,
            Reservation.ends_at > starts_at,
        )
    ).all()
    if count_overlapping(overlapping, starts_at, ends_at) >= lot.capacity:
        raise Conflict("no_free_space", extra={"lot_id": lot.lot_id})
    reservation = Reservation(
        id=uuid.uuid4(),
        lot_id=lot.lot_id,
        card_number=card,
        starts_at=starts_at,
        ends_at=ends_at,
        status=RESERVED,
        created_at=as_utc(now, "now"),
    )
    session.add(reservation)
    session.flush()
    return reservation_dict(reservation)


def card_reservations(
    session: Session, card_number: str, limit: int = MAX_LISTED_RESERVATIONS
) -> list[dict[str, Any]]:
    """A card's reservations, the latest start first (at most ``limit``)."""
    card = validate_card_number(card_number)
    found = session.scalars(
        select(Reservation)
        .where(Reservation.card_number == card)
        .order_by(Reservation.starts_at.desc(), Reservation.id)
        .limit(limit)
    )
    return [reservation_dict(reservation) for reservation in found]


def _get_reservation(session: Session, reservation_id: object, card_number: str) -> Reservation:
    """The reservation, locked, if it is ``card_number``'s: ``Forbidden`` if another card's."""
    card = validate_card_number(card_number)
    try:
        key = uuid.UUID(str(reservation_id))
    except ValueError:
        raise invalid("reservation_id", "must be a UUID") from None
    reservation = session.scalars(
        select(Reservation)
        .where(Reservation.id == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if reservation is None:
        raise NotFound("reservation not found", extra={"reservation_id": str(reservation_id)})
    if reservation.card_number != card:
        raise Forbidden(
            "the reservation belongs to another card", extra={"reservation_id": str(key)}
        )
    return reservation


def _change_status(
    session: Session, reservation: Reservation, expected: str, new_status: str
) -> dict[str, Any]:
    if reservation.status != expected:
        raise Conflict(
            f"reservation is {reservation.status}, not {expected}",
            extra={"status": reservation.status},
        )
    reservation.status = new_status
    session.flush()
    return reservation_dict(reservation)


def check_in(
    session: Session, reservation_id: str, card_number: str, now: dt.datetime
) -> dict[str, Any]:
    """The card holder's reserved car has arrived: from a grace period before the start until
    the end. ``Forbidden`` for another card's reservation."""
    reservation = _get_reservation(session, reservation_id, card_number)
    now = as_utc(now, "now")
    if not reservation.starts_at - NO_SHOW_GRACE <= now < reservation.ends_at:
        raise Conflict(
            "outside the reservation's window", extra={"reservation_id": str(reservation.id)}
        )
    return _change_status(session, reservation, RESERVED, CHECKED_IN)


def check_out(session: Session, reservation_id: str, card_number: str) -> dict[str, Any]:
    """The card holder's car has left: the reservation is completed and frees its space."""
    reservation = _get_reservation(session, reservation_id, card_number)
    return _change_status(session, reservation, CHECKED_IN, COMPLETED)


def cancel_reservation(session: Session, reservation_id: str, card_number: str) -> dict[str, Any]:
    """The card holder cancels before arriving. ``Forbidden`` for another card's reservation."""
    reservation = _get_reservation(session, reservation_id, card_number)
    return _change_status(session, reservation, RESERVED, CANCELLED)


def mark_no_shows(
    session: Session, now: dt.datetime, grace: dt.timedelta = NO_SHOW_GRACE
) -> list[dict[str, Any]]:
    """Mark every reservation whose car has not come within ``grace`` as a no-show.

    Returns the reservations just marked, oldest first.
    """
    return [reservation_dict(r) for r in _mark_no_shows(session, as_utc(now, "now"), grace)]


def _mark_no_shows(session: Session, now: dt.datetime, grace: dt.timedelta) -> list[Reservation]:
    due = session.scalars(
        select(Reservation)
        .where(Reservation.status == RESERVED, Reservation.starts_at < now - grace)  # is_no_show
        .order_by(Reservation.starts_at, Reservation.id)
        .with_for_update(skip_locked=True)  # a concurrent check-in wins; it is not a no-show
    ).all()
    for reservation in due:
        reservation.status = NO_SHOW
    session.flush()
    return list(due)


def sweep_no_shows(
    session: Session, now: dt.datetime, grace: dt.timedelta = NO_SHOW_GRACE
) -> tuple[list[dict[str, Any]], list[RepeatNoShows]]:
    """Mark the no-shows and find the cards whose 30-day count they made reach the threshold.

    Returns the reservations marked (oldest first) and the repeat offenders (at most one per
    card, see ``threshold_reached_by``). Sweeps take turns: an advisory lock is held until
    the caller's transaction ends. Two sweeps
    running at once could otherwise each count without the other's marks, and both miss the
    crossing.
    """
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SWEEP_LOCK_KEY})
    now = as_utc(now, "now")
    marked = _mark_no_shows(session, now, grace)
    counting: dict[str, list[str]] = {}
    for reservation in marked:
        if reservation.starts_at > now - NO_SHOW_WINDOW:  # as no_show_count counts them
            counting.setdefault(reservation.card_number, []).append(str(reservation.id))
    offenders = []
    for card, new_no_shows in counting.items():
        count = no_show_count(session, card, now)
        reached_by = threshold_reached_by(count, new_no_shows)
        if reached_by is not None:
            offenders.append(RepeatNoShows(card, reached_by, count))
    return [reservation_dict(reservation) for reservation in marked], offenders


def no_show_count(session: Session, card_number: str, now: dt.datetime) -> int:
    """No-shows of a card among reservations that started in the last 30 days."""
    card = validate_card_number(card_number)
    now = as_utc(now, "now")
    return session.scalar(
        select(func.count())
        .select_from(Reservation)
        .where(
            Reservation.card_number == card,
            Reservation.status == NO_SHOW,
            Reservation.starts_at > now - NO_SHOW_WINDOW,
            Reservation.starts_at <= now,
        )
    )
