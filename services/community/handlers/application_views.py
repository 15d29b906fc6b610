"""How an application is shown, to its applicant and to the handling unit: its state, time
limit, credit verdict, decision and history."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.community.domain import working_days
from services.community.domain.workflow import OPEN_STATES
from services.community.models import Application, Transition


def histories(session: Session, apps: list[Application]) -> dict[uuid.UUID, list[Transition]]:
    """The history of each application, in one query."""
    steps = session.scalars(
        select(Transition)
        .where(Transition.application_id.in_([app.id for app in apps]))
        .order_by(Transition.id)
    ).all()
    histories: dict[uuid.UUID, list[Transition]] = {app.id: [] for app in apps}
    for step in steps:
        histories[step.application_id].append(step)
    return histories


def view(
    session: Session, app: Application, today: date, history: list[Transition] | None = None
) -> dict[str, Any]:
    if history is None:
        history = histories(session, [app])[app.id]
    credit = None
    if app.credit_verdict:
        credit = {
            "verdict": app.credit_verdict,
            "reason": app.credit_reason,
            "check_id": app.credit_check_id,
        }
    return {
        "application_id": str(app.id),
        "card_number": app.card_number,
        "affair_code": app.affair_code,
        "affair_version": app.affair_version,
        "unit": app.unit,
        "status": app.status,
        "form": app.form,
        "document_ids": app.document_ids,
        "submitted_at": app.submitted_at.isoformat(),
        "due_on": app.due_on.isoformat(),
        "due_on_provisional": working_days.is_provisional(app.due_on),
        "due_status": working_days.due_status(app.due_on, today)
        if app.status in OPEN_STATES
        else None,
        "fast_tracked": app.fast_tracked,
        "credit": credit,
        "decided_at": app.decided_at.isoformat() if app.decided_at else None,
        "valid_until": app.valid_until.isoformat() if app.valid_until else None,
        "certificate_number": app.certificate_number,
        "history": [
            {
                "action": step.action,
                "from_status": step.from_status,
                "to_status": step.to_status,
                "actor": step.actor,
                "actor_role": step.actor_role,
                "reason": step.reason,
                "at": step.at.isoformat(),
            }
            for step in history
        ],
    }
