"""One-stop applications: filing, the department's queue and actions, the resident's view.

Each function takes the worker's ``UnitOfWork``; the entrypoint commits. Every read or write of
an application is audited under the applicant's card (``uow.record_access``). Calls to credit
happen in ``service.py``; the verdicts they bring are applied here (``act``).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.community.domain import working_days
from services.community.domain.forms import validate_form
from services.community.domain.workflow import (
    DEPARTMENT_ACTIONS,
    OPEN_STATES,
    RESIDENT_ACTIONS,
    credit_reason,
    credit_verdict,
    fast_track_limit,
    next_state,
)
from services.community.handlers import application_views as views
from services.community.handlers import catalogue
from services.community.models import (
    AffairVersion,
    Application,
    CreditFeedback,
    Document,
    Transition,
)
from shared.db import UnitOfWork, fetch_page
from shared.errors import NotFound, invalid

RESOURCE = "community_application"
REASON_REQUIRED = ("reject", "return")


def _page(uow: UnitOfWork, statement: Any, limit: int, offset: int, today: date) -> dict:
    page = fetch_page(
        uow.session, statement, Application.submitted_at, Application.id, limit=limit, offset=offset
    )
    apps = list(page["items"])
    for card in sorted({app.card_number for app in apps}):
        uow.record_access(card, "read", RESOURCE)
    histories = views.histories(uow.session, apps)
    items = [views.view(uow.session, app, today, histories[app.id]) for app in apps]
    return {**page, "items": items}


# --- the resident -----------------------------------------------------------------------------


def _documents(session: Session, card: str, ids: list[Any], affair: AffairVersion) -> list[str]:
    """The resident's own documents, covering every kind the affair requires."""
    keys = [uuid.UUID(str(key)) for key in ids]
    found = session.scalars(
        select(Document).where(Document.id.in_(keys), Document.owner_card == card)
    ).all()
    if len(found) != len(set(keys)):
        raise invalid("document_ids", "names a document that is not one of yours")
    missing = sorted(set(affair.required_documents) - {doc.kind for doc in found})
    if missing:
        raise invalid("document_ids", f"missing required documents: {', '.join(missing)}")
    return [str(key) for key in dict.fromkeys(keys)]


def _record(uow: UnitOfWork, app: Application, action: str, old: str | None, reason: Any) -> None:
    context = uow.context
    uow.session.add(
        Transition(
            application_id=app.id,
            action=action,
            from_status=old,
            to_status=app.status,
            actor=str(context.get("actor") or "community")[:64],
            actor_role=str(context.get("actor_role") or "system")[:16],
            reason=reason,
        )
    )


def submit(
    uow: UnitOfWork, card: str, id_number: str, payload: dict, today: date, now: datetime
) -> dict[str, Any]:
    """File an application under the affair's current version; announce it."""
    try:
        affair = catalogue.find(uow.session, payload["affair_code"])
    except NotFound:
        raise invalid("affair_code", "no such affair in the catalogue") from None
    validate_form(affair.form_schema, payload["form"])
    app = Application(
        id=uuid.uuid4(),
        card_number=card,
        id_number=id_number,
        affair_code=affair.code,
        affair_version=affair.version,
        unit=affair.unit,
        status="submitted",
        form=payload["form"],
        document_ids=_documents(uow.session, card, payload.get("document_ids", []), affair),
        submitted_at=now,
        counted_from=today,
        due_on=working_days.add_working_days(today, affair.time_limit_days),
    )
    uow.session.add(app)
    uow.session.flush()
    _record(uow, app, "submit", None, None)
    uow.publish(
        "community.application_submitted",
        {
            "application_id": str(app.id),
            "affair_code": app.affair_code,
            "affair_version": app.affair_version,
            "department": app.unit,
            "card_number": card,
            "submitted_at": now.isoformat(),
            "due_on": app.due_on.isoformat(),
        },
        subject=card,
    )
    uow.record_access(card, "write", RESOURCE, affair.code)
    return views.view(uow.session, app, today)


def _own(session: Session, card: str, application_id: str, lock: bool = False) -> Application:
    app = _find(session, application_id, lock)
    if app is None or app.card_number != card:
        raise NotFound("no such application")
    return app


def _find(session: Session, application_id: str, lock: bool = False) -> Application | None:
    """The application, or None; ``lock``: held (FOR UPDATE) until commit, so that two
    concurrent actions on one application take turns and the second sees the first's state."""
    try:
        key = uuid.UUID(str(application_id))
    except ValueError:
        return None
    return session.get(Application, key, with_for_update=True if lock else None)


def mine(uow: UnitOfWork, card: str, limit: int, offset: int, today: date) -> dict[str, Any]:
    statement = select(Application).where(Application.card_number == card)
    return _page(uow, statement, limit, offset, today)


def my_application(uow: UnitOfWork, card: str, application_id: str, today: date) -> dict:
    app = _own(uow.session, card, application_id)
    uow.record_access(card, "read", RESOURCE)
    return views.view(uow.session, app, today)


def resubmit(
    uow: UnitOfWork, card: str, application_id: str, payload: dict, today: date
) -> dict[str, Any]:
    """A returned application comes back, amended; its time limit counts afresh from today."""
    app = _own(uow.session, card, application_id, lock=True)
    old = app.status
    target = next_state(RESIDENT_ACTIONS, old, "resubmit")
    affair = catalogue.find(uow.session, app.affair_code, app.affair_version)
    if "form" in payload:
        validate_form(affair.form_schema, payload["form"])
        app.form = payload["form"]
    ids = payload.get("document_ids", app.document_ids)
    app.document_ids = _documents(uow.session, card, ids, affair)
    app.status = target
    app.counted_from = today
    app.due_on = working_days.add_working_days(today, affair.time_limit_days)
    _record(uow, app, "resubmit", old, payload.get("note"))
    uow.record_access(card, "write", RESOURCE, app.affair_code)
    return views.view(uow.session, app, today)


# --- the handling unit ------------------------------------------------------------------------


def for_unit(
    session: Session, unit: str | None, application_id: str, lock: bool = False
) -> Application:
    """An application the unit handles; anyone else's answers 404 (existence does not leak)."""
    app = _find(session, application_id, lock)
    if app is None or unit is None or app.unit != unit:
        raise NotFound("no such application")
    return app


def queue(uow: UnitOfWork, unit: str | None, query: dict[str, Any], today: date) -> dict[str, Any]:
    """The unit's applications; ``due`` picks the overdue ones or those due within two
    working days of ``on`` (default today), open ones only."""
    statement = select(Application).where(Application.unit == (unit or ""))
    if query.get("status"):
        statement = statement.where(Application.status == query["status"])
    on = query.get("on") or today
    if query.get("due"):
        statement = statement.where(Application.status.in_(OPEN_STATES))
        if query["due"] == "overdue":
            statement = statement.where(Application.due_on < on)
        else:
            soon = working_days.add_working_days(on, 2)
            statement = statement.where(Application.due_on >= on, Application.due_on <= soon)
    return _page(uow, statement, query["limit"], query["offset"], on)


def unit_application(uow: UnitOfWork, unit: str | None, application_id: str, today: date) -> dict:
    app = for_unit(uow.session, unit, application_id)
    uow.record_access(app.card_number, "read", RESOURCE)
    return views.view(uow.session, app, today)


def credit_purpose(session: Session, app: Application, action: str) -> str | None:
    """The purpose to check credit for before ``action`` (None: no check). Raises the 409 of
    an illegal action first, so that credit is not asked about an action that cannot happen."""
    next_state(DEPARTMENT_ACTIONS, app.status, action)
    if action not in ("accept", "approve"):
        return None
    affair = catalogue.find(session, app.affair_code, app.affair_version)
    return affair.credit_purpose if affair.credit_check else None


def act(
    uow: UnitOfWork,
    app: Application,
    action: str,
    reason: str | None,
    today: date,
    now: datetime,
    check: dict[str, Any] | None = None,
    credit_error: str | None = None,
) -> dict[str, Any]:
    """Apply a department action, with the credit check it needed (``check``) or the reason
    credit could not answer (``credit_error``)."""
    old = app.status
    target = next_state(DEPARTMENT_ACTIONS, old, action)
    if action in REASON_REQUIRED and not reason:
        raise invalid("reason", f"{action} must say why (the applicant reads it)")
    affair = catalogue.find(uow.session, app.affair_code, app.affair_version)
    if check is not None:
        _note_check(uow, app, check)
    if action == "accept" and check is not None and app.credit_verdict == "fast_track":
        target = "in_review"  # joint reward: straight into review, with half the time limit
        app.fast_tracked = True
        app.due_on = working_days.add_working_days(
            app.counted_from, fast_track_limit(affair.time_limit_days)
        )
        _feedback(uow, check, "measures_applied", "fast-tracked into review, half time limit")
    if action == "accept" and credit_error:
        reason = f"{reason or 'accepted'}; no fast track: credit check unavailable"
    if action == "approve" and affair.credit_check:
        if check is None:
            target = "awaiting_credit_check"
            reason = f"credit check unavailable, approval waits: {credit_error}"
        elif app.credit_verdict == "blocked":
            target = "rejected"
            reason = f"blocked by joint punishment: {app.credit_reason}"
            _feedback(uow, check, "service_refused", "application rejected: black list")
        else:
            _feedback(uow, check, "service_granted", "application approved")
    app.status = target
    _record(uow, app, action, old, reason)
    if target in ("approved", "rejected"):
        _decide(uow, app, affair, today, now)
    uow.record_access(app.card_number, "write", RESOURCE, action)
    return views.view(uow.session, app, today)


def _note_check(uow: UnitOfWork, app: Application, check: dict[str, Any]) -> None:
    app.credit_check_id = check["check_id"]
    app.credit_verdict = credit_verdict(check)
    app.credit_reason = credit_reason(check)


def _feedback(uow: UnitOfWork, check: dict[str, Any], action: str, note: str) -> None:
    uow.session.add(CreditFeedback(check_id=check["check_id"], action_taken=action, note=note))


def _decide(
    uow: UnitOfWork, app: Application, affair: AffairVersion, today: date, now: datetime
) -> None:
    app.decided_at = now
    approved = app.status == "approved"
    if approved and affair.valid_years:
        app.valid_until = working_days.years_after(today, affair.valid_years)
    if approved and affair.issues_card == "disability_certificate":
        # The national certificate number: the ID number, the category digit, the grade digit.
        app.certificate_number = (
            f"{app.id_number}{app.form['disability_category']}{app.form['grade']}"
        )
        uow.publish(
            "community.card_linked",
            {
                "card_number": app.card_number,
                "kind": "disability_certificate",
                "linked_number": app.certificate_number,
            },
            subject=app.card_number,
        )
    uow.publish(
        "community.application_decided",
        {
            "application_id": str(app.id),
            "affair_code": app.affair_code,
            "affair_version": app.affair_version,
            "department": app.unit,
            "card_number": app.card_number,
            "outcome": app.status,
            "decided_at": now.isoformat(),
            "valid_until": app.valid_until.isoformat() if app.valid_until else None,
        },
        subject=app.card_number,
    )


def awaiting_credit(session: Session, limit: int = 50) -> list[Application]:
    return list(
        session.scalars(
            select(Application)
            .where(Application.status == "awaiting_credit_check")
            .order_by(Application.submitted_at)
            .limit(limit)
            .with_for_update(skip_locked=True)  # another instance's retry takes the rest
        )
    )


def settle_awaiting(
    uow: UnitOfWork, app: Application, check: dict[str, Any], today: date, now: datetime
) -> None:
    """An approval that waited for credit is decided now that credit answered."""
    affair = catalogue.find(uow.session, app.affair_code, app.affair_version)
    _note_check(uow, app, check)
    old = app.status
    if app.credit_verdict == "blocked":
        app.status = "rejected"
        reason = f"blocked by joint punishment: {app.credit_reason}"
        _feedback(uow, check, "service_refused", "application rejected: black list")
    else:
        app.status = "approved"
        reason = "credit check answered: approval takes effect"
        _feedback(uow, check, "service_granted", "application approved")
    _record(uow, app, "credit_check", old, reason)
    _decide(uow, app, affair, today, now)
    uow.record_access(app.card_number, "write", RESOURCE, "approve")


def pending_feedback(session: Session, limit: int = 50) -> list[CreditFeedback]:
    return list(
        session.scalars(select(CreditFeedback).where(CreditFeedback.sent_at.is_(None)).limit(limit))
    )
