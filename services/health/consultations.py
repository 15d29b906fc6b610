"""The remote consultation centre's use cases: request, assign, answer, close, cancel, and
the list of overdue consultations.

Parties: the requesting institution, the centre (a health client with scope
``health.consultations``), and the institution of the assigned specialist. Anyone else gets
404 (hidden existence). Every read and write is audited on the patient's card.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select

from services.health import reads, records
from services.health.domain import access, consultations
from services.health.domain.access import Caller
from services.health.models import Consultation
from shared.db import UnitOfWork
from shared.errors import Forbidden, NotFound

RESOURCE = "health.consultation"


def view(row: Consultation, now: datetime) -> dict[str, Any]:
    names = (
        "consultation_id",
        "patient_id",
        "requesting_organization_id",
        "assigned_organization_id",
        "specialist",
        "specialty",
        "urgency",
        "question",
        "answer",
        "state",
    )
    moments = ("requested_at", "due_at", "assigned_at", "answered_at", "closed_at")
    body: dict[str, Any] = {name: getattr(row, name) for name in names}
    body.update(
        {name: value.isoformat() if (value := getattr(row, name)) else None for name in moments}
    )
    body["overdue"] = consultations.is_overdue(row.state, row.due_at, now)
    return body


def _is_centre(caller: Caller) -> bool:
    return access.CONSULTATION_CENTRE_SCOPE in caller.scopes and caller.role == "department"


def request(
    uow: UnitOfWork, caller: Caller, form: dict[str, Any], now: datetime, break_glass: str | None
) -> dict[str, Any]:
    """A hospital asks for a specialist's opinion on a patient it may read."""
    organization = access.require_institution(caller)
    patient = records.get(uow.session, "Patient", form["patient_id"])
    decision = reads.decide(uow, caller, patient, now, break_glass) if patient else None
    if patient is None or not decision.allowed:  # type: ignore[union-attr]
        raise NotFound(
            f"Patient/{form['patient_id']} not found", fields={"patient_id": [form["patient_id"]]}
        )
    row = Consultation(
        consultation_id=str(uuid.uuid4()),
        patient_id=patient.resource_id,
        card_number=patient.card_number,
        requesting_organization_id=organization,
        specialty=form["specialty"],
        urgency=form["urgency"],
        question=form["question"],
        state="requested",
        requested_at=now,
        due_at=consultations.due_at(form["urgency"], now),
    )
    uow.session.add(row)
    uow.session.flush()
    uow.record_access(row.card_number, "write", RESOURCE, decision.purpose)  # type: ignore[union-attr]
    _announce(uow, "health.consultation_requested", row, now)
    return view(row, now)


def _announce(uow: UnitOfWork, event_type: str, row: Consultation, now: datetime) -> None:
    uow.publish(
        event_type,
        {
            "consultation_id": row.consultation_id,
            "requesting_organization_id": row.requesting_organization_id,
            "specialty": row.specialty,
            "urgency": row.urgency,
            "state": row.state,
            "occurred_at": now.isoformat(),
        },
        subject=row.consultation_id,
    )


def _party(uow: UnitOfWork, caller: Caller, consultation_id: str) -> Consultation:
    row = uow.session.scalars(
        select(Consultation)
        .where(Consultation.consultation_id == consultation_id)
        .with_for_update()
    ).first()
    organization = caller.organization_id
    if row is None or not (
        _is_centre(caller)
        or (
            organization is not None
            and organization in (row.requesting_organization_id, row.assigned_organization_id)
        )
    ):
        raise NotFound(f"consultation {consultation_id} not found")
    return row


def get(uow: UnitOfWork, caller: Caller, consultation_id: str, now: datetime) -> dict[str, Any]:
    row = _party(uow, caller, consultation_id)
    uow.record_access(row.card_number, "read", RESOURCE, uow.context.get("purpose"))
    return view(row, now)


def act(
    uow: UnitOfWork,
    caller: Caller,
    consultation_id: str,
    action: str,
    form: dict[str, Any],
    now: datetime,
) -> dict[str, Any]:
    """Move a consultation on: ``assign`` (the centre), ``answer`` (the assigned institution),
    ``close`` (the requester), ``cancel`` (the requester or the centre)."""
    row = _party(uow, caller, consultation_id)
    allowed = {
        "assign": _is_centre(caller),
        "answer": caller.organization_id is not None
        and caller.organization_id == row.assigned_organization_id,
        "close": caller.organization_id == row.requesting_organization_id,
        "cancel": _is_centre(caller) or caller.organization_id == row.requesting_organization_id,
    }[action]
    if not allowed:
        raise Forbidden(f"you may not {action} this consultation")
    row.state = consultations.next_state(action, row.state)
    if action == "assign":
        row.assigned_organization_id = form["organization_id"]
        row.specialist = form["specialist"]
        row.assigned_at = now
    elif action == "answer":
        row.answer = form["answer"]
        row.answered_at = now
    else:
        row.closed_at = now
    uow.session.flush()
    uow.record_access(row.card_number, "write", RESOURCE, uow.context.get("purpose"))
    if action == "answer":
        _announce(uow, "health.consultation_answered", row, now)
    return view(row, now)


def overdue(uow: UnitOfWork, caller: Caller, as_of: datetime, now: datetime) -> dict[str, Any]:
    """Open consultations past their time limit at ``as_of`` (the centre's list)."""
    if not _is_centre(caller):
        raise Forbidden("the overdue list is the consultation centre's")
    rows = uow.session.scalars(
        select(Consultation)
        .where(Consultation.state.in_(consultations.OPEN_STATES), Consultation.due_at < as_of)
        .order_by(Consultation.due_at, Consultation.consultation_id)
        .limit(500)
    ).all()
    for card in sorted({row.card_number for row in rows}):
        uow.record_access(card, "read", RESOURCE, uow.context.get("purpose"))
    items = [{**view(row, as_of), "overdue": True} for row in rows]
    return {"items": items, "total": len(items), "as_of": as_of.isoformat()}
