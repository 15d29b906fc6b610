"""Tourist cards and the benefits on them: queries on a ``Session`` (flush, never commit)."""

from __future__ import annotations

import datetime as dt
import re
import secrets
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.tourism.domain.benefits import DISCOUNT_PERCENT, BenefitState, newer, valid_on
from services.tourism.models import Benefit, TouristCard
from shared.errors import NotFound, invalid
from shared.identity import validate_resident_id

PASSPORT_NUMBER = re.compile(r"^[A-Z0-9]{5,20}$")


def _new_card_id(kind: str) -> str:
    prefix = "TR" if kind == "resident" else "TV"
    return f"{prefix}{secrets.token_hex(6).upper()}"


def card_dict(card: TouristCard, benefits: list[Benefit], today: dt.date) -> dict[str, Any]:
    """The card with the benefits it carries today (active, document still valid)."""
    return {
        "card_id": card.card_id,
        "kind": card.kind,
        "citizen_card": card.citizen_card,
        "holder_name": card.holder_name,
        "expires_on": card.expires_on.isoformat() if card.expires_on else None,
        "issued_at": card.issued_at.isoformat() + "Z",
        "benefits": [benefit_dict(b) for b in benefits if valid_on(benefit_state(b), today)],
    }


def benefit_dict(benefit: Benefit) -> dict[str, Any]:
    return {
        "kind": benefit.kind,
        "source": benefit.source,
        "reference": benefit.reference,
        "valid_until": benefit.valid_until.isoformat() if benefit.valid_until else None,
        "reason": benefit.reason,
        "discount_percent": DISCOUNT_PERCENT[benefit.kind],
    }


def resident_card(session: Session, citizen_card: str) -> TouristCard | None:
    return session.scalar(select(TouristCard).where(TouristCard.citizen_card == citizen_card))


def issue_resident_card(
    session: Session,
    citizen_card: str,
    resident_id: uuid.UUID | None,
    issued_by: str,
    now: dt.datetime,
) -> tuple[TouristCard, bool]:
    """The resident's card, issued now if they have none: ``(card, created)``.

    A concurrent issue of the same citizen card makes the flush fail on the unique
    constraint; the caller's ``commit_retrying`` then runs this again and finds that card.
    """
    card = resident_card(session, citizen_card)
    if card is not None:
        if card.resident_id is None and resident_id is not None:
            card.resident_id = resident_id  # requested before the platform's event came
            session.flush()
        return card, False
    card = TouristCard(
        card_id=_new_card_id("resident"),
        kind="resident",
        citizen_card=citizen_card,
        resident_id=resident_id,
        issued_by=issued_by,
        issued_at=now,
    )
    session.add(card)
    session.flush()
    return card, True


def canonical_document(document_type: str, document_number: str) -> str:
    """The document number as stored; raises ``ValidationFailed`` naming ``document_number``."""
    if document_type == "id_number":
        return validate_resident_id(document_number, "document_number")
    number = document_number.strip().upper()
    if not PASSPORT_NUMBER.match(number):
        raise invalid("document_number", "a passport number is 5 to 20 letters and digits")
    return number


def register_visitor(
    session: Session, data: dict[str, Any], issued_by: str, now: dt.datetime, today: dt.date
) -> tuple[TouristCard, bool]:
    """A visitor's card from a passport or ID number, ``(card, created)``; registering the
    same document again renews that card (new name and expiry) instead of issuing another."""
    expires_on = dt.date.fromisoformat(str(data["expires_on"]))
    if not today <= expires_on <= today + dt.timedelta(days=366):
        raise invalid("expires_on", "must be from today to a year from today")
    number = canonical_document(data["document_type"], data["document_number"])
    card = session.scalar(
        select(TouristCard).where(
            TouristCard.document_type == data["document_type"],
            TouristCard.document_number == number,
        )
    )
    created = card is None
    if card is None:
        card = TouristCard(
            card_id=_new_card_id("visitor"),
            kind="visitor",
            document_type=data["document_type"],
            document_number=number,
            issued_by=issued_by,
            issued_at=now,
        )
        session.add(card)
    card.holder_name = data["name"].strip()
    card.expires_on = expires_on
    session.flush()
    return card, created


def visitor_card(session: Session, card_id: str) -> TouristCard:
    card = session.get(TouristCard, card_id)
    if card is None or card.kind != "visitor":
        raise NotFound(f"visitor card '{card_id}' not found")
    return card


def benefits_of(session: Session, citizen_card: str | None) -> list[Benefit]:
    if citizen_card is None:
        return []
    return list(
        session.scalars(
            select(Benefit)
            .where(Benefit.citizen_card == citizen_card)
            .order_by(Benefit.kind, Benefit.reference)
        )
    )


def benefit_state(benefit: Benefit) -> BenefitState:
    return BenefitState(
        benefit.kind, benefit.active, benefit.valid_until, benefit.reason, benefit.sequence
    )


def apply_step(
    session: Session,
    *,
    kind: str,
    reference: str,
    citizen_card: str,
    source: str,
    active: bool,
    valid_until: dt.date | None,
    reason: str,
    sequence: int,
    now: dt.datetime,
) -> bool:
    """Record one lifecycle step of a benefit's source document; False if it is not newer
    than the step already recorded (out of order: it changes nothing).

    The row is locked while compared, so two steps of one document processed at once are
    applied in sequence order; two first steps clash on the unique key (the caller retries).
    """
    benefit = session.scalar(
        select(Benefit)
        .where(Benefit.kind == kind, Benefit.reference == reference)
        .with_for_update()
    )
    known = benefit_state(benefit) if benefit is not None else None
    if not newer(known, sequence):
        return False
    if benefit is None:
        benefit = Benefit(kind=kind, reference=reference)
        session.add(benefit)
    benefit.citizen_card = citizen_card
    benefit.source = source
    benefit.active = active
    benefit.valid_until = valid_until
    benefit.reason = reason[:500]
    benefit.sequence = sequence
    benefit.changed_at = now
    session.flush()
    return True
