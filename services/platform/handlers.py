"""The platform's use cases: registration, citizen cards and the population registry.

Each RPC-facing function takes the worker's ``UnitOfWork`` (``uow``), validates its raw input
with the schemas of ``shared.contracts.platform`` and returns the JSON-ready response; the
service commits. Login sessions are in ``sessions.py``, API clients in ``clients.py``, the
base registries in ``registries.py``, the rules in ``domain.py``.
The few operations that must persist something *and* fail (a failed login
is recorded, a reused refresh token revokes its family) commit before raising.
Functions take an optional ``now`` so tests can fix the clock.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from services.platform import audit
from services.platform.domain import (
    hash_password,
    mask_id_number,
    mask_phone,
)
from services.platform.models import (
    CitizenCard,
    LinkedCard,
    Resident,
)
from shared.clock import utcnow
from shared.contracts.common import load
from shared.contracts.platform import (
    CardNumberRequest,
    LookupResidentRequest,
    ProfileResponse,
    RegisterResidentRequest,
    RegisterResidentResponse,
    ResidentRecordResponse,
    VerifyCardResponse,
)
from shared.errors import Conflict, NotFound, invalid
from shared.identity import (
    identify,
    random_card_number,
    resident_birth_date,
    validate_card_number,
)

if TYPE_CHECKING:
    from shared.db import UnitOfWork
    from shared.messaging import Event

CARD_LINK_CONSUMER = "platform.record_card_link"
CARD_NUMBER_ATTEMPTS = 5
"""Random card numbers tried before giving up (a collision among 10^11 is already rare)."""


# --- residents and citizen cards --------------------------------------------------------------


def _already_registered() -> Conflict:
    return Conflict("already registered", fields={"id_number": ["already registered"]})


def register_resident(
    uow: UnitOfWork, payload: dict[str, Any], now: datetime | None = None
) -> dict[str, Any]:
    """Real-name registration: a resident record and their citizen card, announced by
    ``platform.citizen_card_issued`` in the same transaction. One card per ID number.

    An ID number that already holds a card changes nothing: ``platform.registration_repeated``
    (for an SMS to the holder) is committed and ``Conflict`` raised, for trusted RPC callers.
    The gateway answers both cases alike; the password is hashed in both, so they also take
    about the same time. The card number is random (``random_card_number``), retried on a
    collision.
    """
    request = load(RegisterResidentRequest, payload)
    now = now or utcnow()
    session = uow.session
    password_hash = hash_password(request["password"])
    known = resident_by_id_number(uow, request["id_number"])
    if known is not None:
        _notify_holder(uow, known[0], known[1], now)
        raise _already_registered()
    resident = Resident(
        resident_id=uuid.uuid4(),
        name=request["name"],
        id_number=request["id_number"],
        birth_date=resident_birth_date(request["id_number"]),
        phone=request["phone"],
        password_hash=password_hash,
        registered_at=now,
    )
    session.add(resident)
    try:
        session.flush()  # a concurrent registration of the same number loses here
    except IntegrityError:
        raise _already_registered() from None
    card = _issue_card(uow, resident.resident_id, now)
    uow.publish(
        "platform.citizen_card_issued",
        {
            "resident_id": str(resident.resident_id),
            "card_number": card.card_number,
            "issued_at": now.isoformat(),
        },
        subject=card.card_number,
    )
    audit.record_access(uow, card.card_number, "write", "population.registration", now)
    return RegisterResidentResponse().dump(
        {
            "resident_id": resident.resident_id,
            "card_number": card.card_number,
            "name": resident.name,
            "issued_at": now,
        }
    )


def _issue_card(uow: UnitOfWork, resident_id: uuid.UUID, now: datetime) -> CitizenCard:
    """A card with a random number; a number already taken is drawn again (in a savepoint,
    so the registration's transaction survives the collision)."""
    for _attempt in range(CARD_NUMBER_ATTEMPTS):
        card = CitizenCard(resident_id=resident_id, card_number=random_card_number(), issued_at=now)
        try:
            with uow.session.begin_nested():
                uow.session.add(card)
        except IntegrityError:
            continue
        return card
    raise RuntimeError(f"no free card number after {CARD_NUMBER_ATTEMPTS} random draws")


def _notify_holder(uow: UnitOfWork, resident: Resident, card: CitizenCard, now: datetime) -> None:
    """Tell the holder of a known ID number that someone tried to register it (committed,
    although the call then fails)."""
    uow.publish(
        "platform.registration_repeated",
        {"card_number": card.card_number, "phone": resident.phone, "attempted_at": now.isoformat()},
        subject=card.card_number,
    )
    uow.commit()


def resident_by_card(uow: UnitOfWork, card_number: str) -> tuple[Resident, CitizenCard] | None:
    return _resident_where(uow, CitizenCard.card_number == card_number)


def resident_by_id_number(uow: UnitOfWork, id_number: str) -> tuple[Resident, CitizenCard] | None:
    return _resident_where(uow, Resident.id_number == id_number)


def _resident_where(uow: UnitOfWork, condition: Any) -> tuple[Resident, CitizenCard] | None:
    row = uow.session.execute(
        select(Resident, CitizenCard)
        .join(CitizenCard, CitizenCard.resident_id == Resident.resident_id)
        .where(condition)
    ).first()
    return (row[0], row[1]) if row else None


def card_exists(uow: UnitOfWork, card_number: str) -> bool:
    serial = select(CitizenCard.serial).where(CitizenCard.card_number == card_number)
    return uow.session.scalar(serial) is not None


def get_profile(uow: UnitOfWork, card_number: str) -> dict[str, Any]:
    """The resident's own account: masked identifiers and the sector cards linked to it."""
    request = load(CardNumberRequest, {"card_number": card_number})
    found = resident_by_card(uow, request["card_number"])
    if found is None:
        raise NotFound("citizen card not found")
    resident, card = found
    audit.record_access(uow, card.card_number, "read", "population.profile")
    linked = uow.session.scalars(
        select(LinkedCard)
        .where(LinkedCard.card_number == card.card_number)
        .order_by(LinkedCard.linked_at, LinkedCard.id)
    ).all()
    return ProfileResponse().dump(
        {
            "resident_id": resident.resident_id,
            "name": resident.name,
            "card_number": card.card_number,
            "id_number_masked": mask_id_number(resident.id_number),
            "phone_masked": mask_phone(resident.phone),
            "registered_at": resident.registered_at,
            "linked_cards": linked,
        }
    )


def verify_card(uow: UnitOfWork, card_number: str) -> dict[str, Any]:
    """Whether a well-formed card number belongs to a registered resident (for services)."""
    request = load(CardNumberRequest, {"card_number": card_number})
    found = resident_by_card(uow, request["card_number"])
    if found is None:
        return VerifyCardResponse().dump({"valid": False, "resident_id": None, "name": None})
    resident, _card = found
    return VerifyCardResponse().dump(
        {"valid": True, "resident_id": resident.resident_id, "name": resident.name}
    )


def link_card_from_event(uow: UnitOfWork, event: Event) -> LinkedCard | None:
    """Record a ``*.card_linked`` event once. A sector card re-linked to another citizen card
    (a correction) moves there if the event is newer than the link on record.

    An unknown citizen card raises ``NotFound``: the event is retried and then dead-lettered
    for an operator, rather than dropped.
    """
    if not uow.claim(event.event_id, CARD_LINK_CONSUMER):
        return None
    card_number = event.data["card_number"]
    if not card_exists(uow, card_number):
        raise NotFound(f"card_linked names unknown citizen card {card_number}")
    link = uow.session.scalars(
        select(LinkedCard).where(
            LinkedCard.kind == event.data["kind"], LinkedCard.number == event.data["linked_number"]
        )
    ).first()
    if link is None:
        link = LinkedCard(
            card_number=card_number,
            kind=event.data["kind"],
            number=event.data["linked_number"],
            linked_at=event.occurred_at,
        )
        uow.session.add(link)
    elif link.card_number != card_number and event.occurred_at > link.linked_at:
        link.card_number = card_number
        link.linked_at = event.occurred_at
    uow.session.flush()
    return link


# --- population registry --------------------------------------------------------------------


def lookup_resident(
    uow: UnitOfWork, identifier: str, now: datetime | None = None
) -> dict[str, Any]:
    """A department looks a resident up by card number or ID number; the read is audited in
    the same transaction, on behalf of the caller named in the nameko context."""
    request = load(LookupResidentRequest, {"identifier": identifier})
    kind, value = identify(request["identifier"], "identifier")
    if kind == "credit_code":
        raise invalid("identifier", "must be a citizen card number or a resident ID number")
    by_kind = resident_by_card if kind == "card_number" else resident_by_id_number
    found = by_kind(uow, value)
    if found is None:
        raise NotFound("resident not found")
    resident, card = found
    audit.record_access(uow, card.card_number, "read", "population.resident", now)
    return ResidentRecordResponse().dump(
        {
            "resident_id": resident.resident_id,
            "name": resident.name,
            "card_number": card.card_number,
            "birth_date": resident.birth_date,
            "id_number_masked": mask_id_number(resident.id_number),
        }
    )


def resolve_card(uow: UnitOfWork, card_number: str, now: datetime | None = None) -> dict[str, str]:
    """Service to service: whose ID number is behind a citizen card (e.g. credit files of
    people are keyed by ID number). Never exposed through the gateway; audited like a lookup."""
    card_number = validate_card_number(card_number, "card_number")
    found = resident_by_card(uow, card_number)
    if found is None:
        raise NotFound("no such resident", fields={"card_number": ["no resident holds it"]})
    resident, card = found
    audit.record_access(uow, card.card_number, "read", "population.identity_link", now)
    return {"card_number": card.card_number, "id_number": resident.id_number}
