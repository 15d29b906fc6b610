"""E-student IDs: enrolment, lifecycle, transfer and public verification.

Each use case takes the worker's ``UnitOfWork``: it writes the card, puts the events the change
causes in the outbox (``uow.publish``) and audits the access to the student's data
(``uow.record_access``), all in the one transaction the entrypoint commits.

One current card per citizen, even when two transfers race: a step on a card first locks its
row (``SELECT ... FOR UPDATE``), so the second of two racing transfers waits, then finds the
card already transferred (409). The partial unique index ``uq_education_current_card`` is the
backstop for everything else (two schools enrolling the same citizen at once): the loser's
insert fails, ``commit_retrying`` runs it again and it finds the current card (409).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.education.domain.lifecycle import CURRENT_STATUSES, ISSUED, step
from services.education.domain.student_number import (
    is_valid_student_number,
    random_student_number,
    school_year_end,
)
from services.education.handlers.schools import school_of
from services.education.models import School, StudentCard
from shared.clock import utcnow
from shared.db import UnitOfWork, fetch_page
from shared.errors import Conflict, NotFound, Unprocessable

RESOURCE = "education.student_card"


def card_view(card: StudentCard) -> dict[str, Any]:
    return {
        "student_number": card.student_number,
        "card_number": card.card_number,
        "name": card.name,
        "school_id": card.school_id,
        "grade": card.grade,
        "class_name": card.class_name,
        "valid_until": card.valid_until.isoformat(),
        "status": card.status,
        "sequence": card.sequence,
        "reason": card.reason,
        "previous_number": card.previous_number,
        "issued_at": card.issued_at.isoformat(),
    }


def _announce(uow: UnitOfWork, event_type: str, card: StudentCard, now: datetime) -> None:
    uow.publish(
        event_type,
        {
            "student_number": card.student_number,
            "card_number": card.card_number,
            "school_id": card.school_id,
            "valid_until": card.valid_until.isoformat(),
            "sequence": card.sequence,
            "reason": card.reason,
            "occurred_at": now.isoformat(),
        },
        subject=card.card_number,
    )


def _current_card(session: Session, card_number: str) -> StudentCard | None:
    return session.scalars(
        select(StudentCard).where(
            StudentCard.card_number == card_number, StudentCard.status.in_(CURRENT_STATUSES)
        )
    ).first()


def _issue(
    uow: UnitOfWork,
    holder: dict[str, Any],
    school: School,
    grade: int,
    class_name: str,
    today: date,
    previous_number: str | None = None,
    reason: str | None = None,
) -> StudentCard:
    now = utcnow()
    card = StudentCard(
        student_number=random_student_number(today),
        card_number=holder["card_number"],
        resident_id=uuid.UUID(str(holder["resident_id"])),
        name=holder["name"],
        school_id=school.school_id,
        grade=grade,
        class_name=class_name,
        valid_until=school_year_end(today),
        status="active",
        sequence=1,
        reason=reason,
        previous_number=previous_number,
        issued_at=now,
        updated_at=now,
    )
    uow.session.add(card)
    uow.session.flush()  # a clash on the current-card index raises here: commit_retrying
    _announce(uow, ISSUED, card, now)
    uow.publish(
        "education.card_linked",
        {
            "card_number": card.card_number,
            "kind": "student_id",
            "linked_number": card.student_number,
        },
        subject=card.card_number,
    )
    uow.record_access(card.card_number, "write", RESOURCE)
    return card


def enrol(
    uow: UnitOfWork,
    school_id: str | None,
    enrolment: dict[str, Any],
    holder: dict[str, Any],
    today: date,
) -> tuple[dict[str, Any], bool]:
    """Issue a card to the registry's ``holder`` at the school: ``(card, created)``.

    Enrolling a student the school already holds answers that card (``created`` false); a
    citizen whose current card is at another school must be transferred from there (409).
    """
    school = school_of(uow.session, school_id)
    current = _current_card(uow.session, holder["card_number"])
    if current is not None and current.school_id == school.school_id:
        uow.record_access(current.card_number, "read", RESOURCE)
        return card_view(current), False
    if current is not None:
        raise Conflict(
            "this citizen holds a current student card of another school; transfer it",
            fields={"card_number": ["holds a current student card of another school"]},
        )
    card = _issue(uow, holder, school, enrolment["grade"], enrolment["class_name"], today)
    return card_view(card), True


def _own_card(session: Session, school_id: str, student_number: str, lock: bool) -> StudentCard:
    """The school's card, locked for a change; another school's (or none) is 404."""
    statement = select(StudentCard).where(
        StudentCard.student_number == student_number, StudentCard.school_id == school_id
    )
    card = session.scalars(statement.with_for_update() if lock else statement).first()
    if card is None:
        raise NotFound("no such student card at this school")
    return card


def change_status(
    uow: UnitOfWork, school_id: str | None, student_number: str, action: str, reason: str | None
) -> dict[str, Any]:
    """Suspend, reinstate, graduate or revoke one of the school's cards."""
    school = school_of(uow.session, school_id)
    card = _own_card(uow.session, school.school_id, student_number, lock=True)
    status, event_type = step(card.status, action)
    now = utcnow()
    card.status, card.sequence, card.reason, card.updated_at = (
        status,
        card.sequence + 1,
        reason or action,
        now,
    )
    uow.session.flush()
    _announce(uow, event_type, card, now)
    uow.record_access(card.card_number, "write", RESOURCE)
    return card_view(card)


def transfer(
    uow: UnitOfWork,
    school_id: str | None,
    student_number: str,
    target: dict[str, Any],
    today: date,
) -> dict[str, Any]:
    """End the card here and issue a new one at the receiving school: the new card."""
    school = school_of(uow.session, school_id)
    card = _own_card(uow.session, school.school_id, student_number, lock=True)
    status, event_type = step(card.status, "transfer")
    receiving = uow.session.get(School, target["school_id"])
    if receiving is None or receiving.school_id == school.school_id:
        raise Unprocessable(
            "no other school with this id", fields={"school_id": ["not another known school"]}
        )
    now = utcnow()
    card.status, card.sequence, card.updated_at = status, card.sequence + 1, now
    card.reason = target.get("reason") or f"transferred to {receiving.school_id}"
    uow.session.flush()  # the old card stops being current before the new one exists
    _announce(uow, event_type, card, now)
    holder = {"card_number": card.card_number, "resident_id": card.resident_id, "name": card.name}
    new_card = _issue(
        uow,
        holder,
        receiving,
        target["grade"],
        target["class_name"],
        today,
        previous_number=card.student_number,
        reason=f"transferred from {school.school_id}",
    )
    return card_view(new_card)


def get_card(uow: UnitOfWork, school_id: str | None, student_number: str) -> dict[str, Any]:
    school = school_of(uow.session, school_id)
    card = _own_card(uow.session, school.school_id, student_number, lock=False)
    uow.record_access(card.card_number, "read", RESOURCE)
    return card_view(card)


def list_cards(
    uow: UnitOfWork, school_id: str | None, status: str | None, limit: int, offset: int
) -> dict[str, Any]:
    """A page of the school's cards; every student on it has the read in their access log."""
    school = school_of(uow.session, school_id)
    statement = select(StudentCard).where(StudentCard.school_id == school.school_id)
    if status:
        statement = statement.where(StudentCard.status == status)
    page = fetch_page(
        uow.session,
        statement,
        StudentCard.class_name,
        StudentCard.student_number,
        limit=limit,
        offset=offset,
    )
    for card_number in sorted({card.card_number for card in page["items"]}):
        uow.record_access(card_number, "read", RESOURCE)
    return {**page, "items": [card_view(card) for card in page["items"]]}


def verify(session: Session, student_number: str, today: date) -> dict[str, Any]:
    """The public check: valid or not, school and expiry; nothing about the person. A number
    that does not exist, is malformed, suspended, ended or expired answers the same."""
    invalid = {
        "student_number": student_number,
        "valid": False,
        "school_id": None,
        "school_name": None,
        "valid_until": None,
    }
    if not is_valid_student_number(student_number):
        return invalid
    row = session.execute(
        select(StudentCard.status, StudentCard.valid_until, School.school_id, School.name)
        .join(School, School.school_id == StudentCard.school_id)
        .where(StudentCard.student_number == student_number)
    ).first()
    if row is None or row.status != "active" or row.valid_until < today:
        return invalid
    return {
        "student_number": student_number,
        "valid": True,
        "school_id": row.school_id,
        "school_name": row.name,
        "valid_until": row.valid_until.isoformat(),
    }
