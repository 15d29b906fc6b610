"""The tourism service's use cases: what each entrypoint does inside its unit of work.

Each function takes the worker's ``UnitOfWork``: it reads and writes through ``cards``,
``venues`` and ``tickets`` (which flush, never commit), puts the events its changes cause in
the outbox with ``uow.publish`` and audits each access to a resident's data with
``uow.record_access`` (filed under the citizen card, so it shows in that resident's access
log). The entrypoint commits.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from services.tourism import cards, tickets, venues
from services.tourism.domain import ticket_codes
from services.tourism.domain.benefits import DISABILITY, STUDENT, STUDENT_CARD_STEPS
from services.tourism.domain.pricing import quote
from services.tourism.models import Ticket, TouristCard
from shared.contracts.tourism import BOOKING_HORIZON_DAYS, DISABILITY_AFFAIR_CODE
from shared.db import UnitOfWork
from shared.errors import NotFound, Unprocessable, invalid
from shared.identity import validate_card_number
from shared.messaging import Event

CARD_RESOURCE = "tourist_card"
TICKET_RESOURCE = "tourist_ticket"
PURPOSE = "tourism"
GATE_PURPOSE = "gate_admission"


# --- cards --------------------------------------------------------------------------------


def _announce_card(uow: UnitOfWork, card: TouristCard) -> None:
    uow.record_access(card.citizen_card, "write", CARD_RESOURCE, PURPOSE)
    uow.publish(
        "tourism.card_linked",
        {"card_number": card.citizen_card, "kind": "tourist_card", "linked_number": card.card_id},
        subject=card.citizen_card,
    )


def issue_from_citizen_card(uow: UnitOfWork, event: Event, consumer: str, now: dt.datetime) -> None:
    """The platform issued a citizen card: its holder gets a resident-tourist card (once)."""
    if not uow.claim(event.event_id, consumer):
        return
    citizen_card = validate_card_number(event.data["card_number"])
    card, created = cards.issue_resident_card(
        uow.session, citizen_card, event.data["resident_id"], "platform", now
    )
    if created:
        _announce_card(uow, card)


def request_card(
    uow: UnitOfWork, citizen_card: str, now: dt.datetime, today: dt.date
) -> dict[str, Any]:
    """The resident asks for their card: issued now, or the one they have."""
    card, created = cards.issue_resident_card(uow.session, citizen_card, None, "resident", now)
    if created:
        _announce_card(uow, card)
    else:
        uow.record_access(citizen_card, "read", CARD_RESOURCE, PURPOSE)
    return cards.card_dict(card, cards.benefits_of(uow.session, citizen_card), today)


def my_card(uow: UnitOfWork, citizen_card: str, today: dt.date) -> dict[str, Any]:
    card = cards.resident_card(uow.session, citizen_card)
    if card is None:
        raise NotFound("you have no resident-tourist card yet: request one")
    uow.record_access(citizen_card, "read", CARD_RESOURCE, PURPOSE)
    return cards.card_dict(card, cards.benefits_of(uow.session, citizen_card), today)


def register_visitor(
    uow: UnitOfWork, data: dict[str, Any], issued_by: str, now: dt.datetime, today: dt.date
) -> tuple[dict[str, Any], bool]:
    """A visitor without a citizen card registers at the service centre (not a resident: no
    citizen card to file an access under, so nothing goes to the platform's audit log)."""
    card, created = cards.register_visitor(uow.session, data, issued_by, now, today)
    return cards.card_dict(card, [], today), created


# --- benefits from other departments' events ----------------------------------------------


def student_card_step(uow: UnitOfWork, event: Event, consumer: str, now: dt.datetime) -> None:
    """An e-student ID was issued, suspended or revoked: the student benefit follows its
    latest step (by ``sequence``), whatever order the steps arrive in."""
    if not uow.claim(event.event_id, consumer):
        return
    data = event.data
    citizen_card = validate_card_number(data["card_number"])
    active = STUDENT_CARD_STEPS[event.type]
    step = event.type.rsplit("_", 1)[-1]
    reason = f"e-student ID {data['student_number']} of school {data['school_id']} {step}"
    if data.get("reason"):
        reason += f": {data['reason']}"
    changed = cards.apply_step(
        uow.session,
        kind=STUDENT,
        reference=f"{data['school_id']}/{data['student_number']}",
        citizen_card=citizen_card,
        source=event.type,
        active=active,
        valid_until=data["valid_until"],
        reason=reason,
        sequence=data["sequence"],
        now=now,
    )
    if changed:
        uow.record_access(citizen_card, "write", "tourist_benefit", PURPOSE)


def application_decided(uow: UnitOfWork, event: Event, consumer: str, now: dt.datetime) -> None:
    """An approved disability certificate gives free entry until its ``valid_until``; other
    affairs are none of tourism's business (claimed and skipped)."""
    if not uow.claim(event.event_id, consumer):
        return
    data = event.data
    if data["affair_code"] != DISABILITY_AFFAIR_CODE:
        return
    citizen_card = validate_card_number(data["card_number"])
    approved = data["outcome"] == "approved"
    changed = cards.apply_step(
        uow.session,
        kind=DISABILITY,
        reference=str(data["application_id"]),
        citizen_card=citizen_card,
        source=event.type,
        active=approved,
        valid_until=data.get("valid_until"),
        reason=f"disability certificate {data['outcome']} by {data['department']} "
        f"(application {data['application_id']})",
        sequence=1,  # a decision is final: one step per application
        now=now,
    )
    if changed:
        uow.record_access(citizen_card, "write", "tourist_benefit", PURPOSE)


# --- venues -------------------------------------------------------------------------------


def record_presence(
    uow: UnitOfWork, venue_id: str, gate_unit: str | None, present: int, now: dt.datetime
) -> dict[str, Any]:
    """A gate's count of the people inside its own venue, announced
    (``tourism.venue_occupancy_changed``): venue answers read before it are out of date."""
    venue = venues.record_presence(uow.session, venue_id, gate_unit, present, now)
    uow.publish(
        "tourism.venue_occupancy_changed",
        {
            "venue_id": venue.venue_id,
            "present": venue.present,
            "observed_at": now.replace(tzinfo=dt.UTC).isoformat(),
        },
        subject=venue.venue_id,
    )
    return venues.venue_dict(venue, now)


def credit_list_changed(uow: UnitOfWork, event: Event, consumer: str) -> None:
    """An operator joined or left credit's black list: its venues' flag follows."""
    if not uow.claim(event.event_id, consumer):
        return
    data = event.data
    if data["list"] == "black" and data["subject_type"] != "individual":
        venues.set_black_listed(uow.session, data["subject_id"], data["change"] == "added")


# --- tickets ------------------------------------------------------------------------------


def _checked_visit_date(value: Any, today: dt.date) -> dt.date:
    day = dt.date.fromisoformat(str(value))
    if not today <= day <= today + dt.timedelta(days=BOOKING_HORIZON_DAYS):
        raise invalid("visit_date", f"must be from today to {BOOKING_HORIZON_DAYS} days ahead")
    return day


def book(
    uow: UnitOfWork,
    card: TouristCard,
    data: dict[str, Any],
    today: dt.date,
    now: dt.datetime,
    secret: str,
) -> dict[str, Any]:
    """Book places on a card: priced with the card's benefits, announced, audited."""
    day = _checked_visit_date(data["visit_date"], today)
    if card.expires_on is not None and day > card.expires_on:
        raise invalid("visit_date", f"after the card expires ({card.expires_on.isoformat()})")
    venue = venues.get_venue(uow.session, data["venue_id"])
    states = [cards.benefit_state(b) for b in cards.benefits_of(uow.session, card.citizen_card)]
    price = quote(venue.price, int(data["visitors"]), states, day)
    ticket = tickets.book(uow.session, card, venue, day, int(data["visitors"]), price, now)
    uow.publish(
        "tourism.ticket_booked",
        {
            "ticket_id": str(ticket.ticket_id),
            "venue_id": ticket.venue_id,
            "visit_date": day.isoformat(),
            "visitors": ticket.visitors,
            "card_number": card.card_id,
            "total_price": str(ticket.total_price),
            "booked_at": now.replace(tzinfo=dt.UTC).isoformat(),
        },
        subject=card.card_id,
    )
    if card.citizen_card:
        uow.record_access(card.citizen_card, "write", TICKET_RESOURCE, PURPOSE)
    return _ticket_view(ticket, secret)


def resident_card_for(uow: UnitOfWork, citizen_card: str) -> TouristCard:
    card = cards.resident_card(uow.session, citizen_card)
    if card is None:
        raise Unprocessable(
            "you have no resident-tourist card yet: request one first",
            fields={"card": ["no resident-tourist card"]},
        )
    return card


def _ticket_view(ticket: Ticket, secret: str) -> dict[str, Any]:
    return tickets.ticket_dict(ticket, ticket_codes.sign(tickets.claims_of(ticket), secret))


def my_tickets(
    uow: UnitOfWork, citizen_card: str, limit: int, offset: int, secret: str
) -> dict[str, Any]:
    card = cards.resident_card(uow.session, citizen_card)
    uow.record_access(citizen_card, "read", TICKET_RESOURCE, PURPOSE)
    if card is None:
        return {"items": [], "total": 0, "limit": limit, "offset": offset}
    page = tickets.card_tickets(uow.session, card.card_id, limit, offset)
    return {**page, "items": [_ticket_view(t, secret) for t in page["items"]]}


def _own_ticket(
    uow: UnitOfWork, citizen_card: str, ticket_id: str, for_update: bool = False
) -> Ticket:
    card = cards.resident_card(uow.session, citizen_card)
    if card is None:
        raise NotFound("ticket not found")
    return tickets.own_ticket(uow.session, card.card_id, ticket_id, for_update)


def my_ticket_qr(uow: UnitOfWork, citizen_card: str, ticket_id: str, secret: str) -> str:
    """The ticket's code as an SVG QR code (segno)."""
    ticket = _own_ticket(uow, citizen_card, ticket_id)
    uow.record_access(citizen_card, "read", TICKET_RESOURCE, PURPOSE)
    code = ticket_codes.sign(tickets.claims_of(ticket), secret)
    import segno  # only this path draws QR codes

    return segno.make(code, error="m").svg_inline(scale=4)


def cancel_ticket(
    uow: UnitOfWork,
    citizen_card: str,
    ticket_id: str,
    today: dt.date,
    now: dt.datetime,
    secret: str,
) -> dict[str, Any]:
    ticket = _own_ticket(uow, citizen_card, ticket_id, for_update=True)
    tickets.cancel(uow.session, ticket, today, now)
    uow.record_access(citizen_card, "write", TICKET_RESOURCE, PURPOSE)
    return _ticket_view(ticket, secret)


def validate_at_gate(
    uow: UnitOfWork,
    code: str,
    gate_unit: str | None,
    today: dt.date,
    now: dt.datetime,
    secret: str,
) -> dict[str, Any]:
    """The gate of venue ``gate_unit`` scanned ``code``: admitted once, or refused with why."""
    try:
        claims = ticket_codes.read(code, secret)
    except ticket_codes.CodeRefused as refusal:
        raise invalid("code", str(refusal)) from None
    ticket = tickets.use(uow.session, claims, gate_unit, today, now)
    holder = uow.session.get(TouristCard, ticket.card_id)
    if holder is not None and holder.citizen_card:  # the gate learnt when the resident came
        uow.record_access(holder.citizen_card, "write", TICKET_RESOURCE, GATE_PURPOSE)
    used_at = now.replace(tzinfo=dt.UTC).isoformat()
    uow.publish(
        "tourism.ticket_used",
        {
            "ticket_id": str(ticket.ticket_id),
            "venue_id": ticket.venue_id,
            "visit_date": ticket.visit_date.isoformat(),
            "used_at": used_at,
        },
        subject=str(ticket.ticket_id),
    )
    return {
        "ticket_id": str(ticket.ticket_id),
        "venue_id": ticket.venue_id,
        "visit_date": ticket.visit_date.isoformat(),
        "visitors": ticket.visitors,
        "used_at": used_at,
    }
