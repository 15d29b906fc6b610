"""E-tickets: places that are never oversold, one-time gate validation, statistics.

Queries on a ``Session`` (flush, never commit). Places of a venue on a day are one row of
``venue_days``; a booking takes its places with one conditional ``UPDATE ... WHERE sold + n <=
capacity``, which PostgreSQL runs under the row's lock: concurrent bookings queue on the row
and each sees the count the previous one left, so the day is never oversold.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from services.tourism.domain.pricing import Quote
from services.tourism.domain.ticket_codes import TicketClaims
from services.tourism.models import Ticket, TouristCard, Venue, VenueDay
from shared.errors import Conflict, Forbidden, NotFound, invalid


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() + "Z" if moment else None


def ticket_dict(ticket: Ticket, code: str) -> dict[str, Any]:
    return {
        "ticket_id": str(ticket.ticket_id),
        "venue_id": ticket.venue_id,
        "card_id": ticket.card_id,
        "visit_date": ticket.visit_date.isoformat(),
        "visitors": ticket.visitors,
        "total_price": str(ticket.total_price),
        "computation": ticket.computation,
        "benefit": ticket.benefit,
        "status": ticket.status,
        "booked_at": _iso(ticket.booked_at),
        "used_at": _iso(ticket.used_at),
        "code": code,
    }


def claims_of(ticket: Ticket) -> TicketClaims:
    return TicketClaims(str(ticket.ticket_id), ticket.venue_id, ticket.visit_date)


def take_places(session: Session, venue: Venue, day: dt.date, visitors: int) -> None:
    """Take ``visitors`` places of ``venue`` on ``day``, or ``Conflict`` when too few are left."""
    session.execute(
        insert(VenueDay)
        .values(venue_id=venue.venue_id, visit_date=day, capacity=venue.daily_capacity, sold=0)
        .on_conflict_do_nothing(index_elements=["venue_id", "visit_date"])
    )
    taken = session.execute(
        update(VenueDay)
        .where(
            VenueDay.venue_id == venue.venue_id,
            VenueDay.visit_date == day,
            VenueDay.sold + visitors <= VenueDay.capacity,
        )
        .values(sold=VenueDay.sold + visitors)
        .returning(VenueDay.sold)
    ).first()
    if taken is None:
        left = session.scalar(
            select(VenueDay.capacity - VenueDay.sold).where(
                VenueDay.venue_id == venue.venue_id, VenueDay.visit_date == day
            )
        )
        raise Conflict(
            f"sold out: {left} place(s) left on {day.isoformat()}",
            fields={"visitors": [f"only {left} place(s) left on that day"]},
            extra={"places_left": left},
        )


def release_places(session: Session, venue_id: str, day: dt.date, visitors: int) -> None:
    session.execute(
        update(VenueDay)
        .where(VenueDay.venue_id == venue_id, VenueDay.visit_date == day)
        .values(sold=VenueDay.sold - visitors)
    )


def book(
    session: Session,
    card: TouristCard,
    venue: Venue,
    visit_date: dt.date,
    visitors: int,
    price: Quote,
    now: dt.datetime,
) -> Ticket:
    take_places(session, venue, visit_date, visitors)
    ticket = Ticket(
        ticket_id=uuid.uuid4(),
        venue_id=venue.venue_id,
        card_id=card.card_id,
        visit_date=visit_date,
        visitors=visitors,
        total_price=price.total,
        computation=price.lines,
        benefit=price.benefit,
        status="booked",
        booked_at=now,
    )
    session.add(ticket)
    session.flush()
    return ticket


def card_tickets(session: Session, card_id: str, limit: int, offset: int) -> dict[str, Any]:
    statement = select(Ticket).where(Ticket.card_id == card_id)
    total = session.scalar(select(func.count()).select_from(statement.subquery()))
    items = session.scalars(
        statement.order_by(Ticket.visit_date.desc(), Ticket.booked_at.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return {"items": list(items), "total": total, "limit": limit, "offset": offset}


def own_ticket(session: Session, card_id: str, ticket_id: str, for_update: bool = False) -> Ticket:
    """The card's own ticket; any other ticket (or none) is ``NotFound``, never 403."""
    try:
        key = uuid.UUID(str(ticket_id))
    except ValueError:
        raise NotFound("ticket not found") from None
    statement = select(Ticket).where(Ticket.ticket_id == key, Ticket.card_id == card_id)
    if for_update:
        statement = statement.with_for_update()
    ticket = session.scalar(statement)
    if ticket is None:
        raise NotFound("ticket not found")
    return ticket


def cancel(session: Session, ticket: Ticket, today: dt.date, now: dt.datetime) -> Ticket:
    """Cancel a booked ticket before its day (city calendar); its places go back on sale."""
    if ticket.status != "booked":
        raise Conflict(f"the ticket is {ticket.status}", fields={"status": [ticket.status]})
    if ticket.visit_date <= today:
        raise Conflict(
            "a ticket can be cancelled only before its visit date",
            fields={"visit_date": ["not before today"]},
        )
    ticket.status = "cancelled"
    ticket.cancelled_at = now
    release_places(session, ticket.venue_id, ticket.visit_date, ticket.visitors)
    session.flush()
    return ticket


def use(
    session: Session, claims: TicketClaims, gate_unit: str | None, today: dt.date, now: dt.datetime
) -> Ticket:
    """The gate of venue ``gate_unit`` admits a genuine code's ticket, once.

    Another venue's ticket: ``Forbidden``; used, cancelled or another day's: ``Conflict``, each
    with the reason. The ticket row is locked, so two gates scanning one code admit it once.
    """
    if claims.venue_id != gate_unit:
        raise Forbidden(
            "the ticket is for another venue", fields={"code": ["ticket for another venue"]}
        )
    ticket = session.scalar(
        select(Ticket)
        .where(Ticket.ticket_id == uuid.UUID(claims.ticket_id), Ticket.venue_id == gate_unit)
        .with_for_update()
    )
    if ticket is None:
        raise invalid("code", "names no ticket of this venue")
    if ticket.status == "used":
        raise Conflict(
            f"the ticket was already used at {_iso(ticket.used_at)}",
            fields={"code": ["already used"]},
        )
    if ticket.status == "cancelled":
        raise Conflict("the ticket was cancelled", fields={"code": ["cancelled"]})
    if ticket.visit_date != today:
        raise Conflict(
            f"the ticket is for {ticket.visit_date.isoformat()}",
            fields={"code": [f"valid on {ticket.visit_date.isoformat()} only"]},
        )
    ticket.status = "used"
    ticket.used_at = now
    session.flush()
    return ticket


def statistics(
    session: Session, department: str | None, start: dt.date, end: dt.date
) -> dict[str, Any]:
    """Per venue of ``department`` (``None``: every venue) and day: visitors booked and
    entered, sales; and how many tickets each benefit priced. Cancelled tickets count nowhere."""
    counted = (
        select(Ticket)
        .join(Venue, Venue.venue_id == Ticket.venue_id)
        .where(Ticket.visit_date.between(start, end), Ticket.status != "cancelled")
    )
    if department is not None:
        counted = counted.where(Venue.department == department)
    counted = counted.subquery()
    entered = func.coalesce(func.sum(counted.c.visitors).filter(counted.c.status == "used"), 0)
    rows = session.execute(
        select(
            counted.c.venue_id,
            counted.c.visit_date,
            func.sum(counted.c.visitors),
            entered,
            func.sum(counted.c.total_price),
        )
        .group_by(counted.c.venue_id, counted.c.visit_date)
        .order_by(counted.c.visit_date, counted.c.venue_id)
    ).all()
    usage = session.execute(
        select(counted.c.benefit, func.count())
        .where(counted.c.benefit.is_not(None))
        .group_by(counted.c.benefit)
    ).all()
    total = sum((row[4] for row in rows), Decimal("0.00"))
    return {
        "days": [
            {
                "venue_id": venue_id,
                "visit_date": day.isoformat(),
                "visitors_booked": int(booked),
                "visitors_entered": int(came),
                "sales": str(sales),
            }
            for venue_id, day, booked, came, sales in rows
        ],
        "total_sales": str(total),
        "benefit_usage": {kind: count for kind, count in usage},
    }
