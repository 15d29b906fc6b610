"""Supervision: public-health statistics (small cells suppressed) and institutions' ratings
inputs. Aggregates only: nothing here names a resident, so nothing here is audited."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from typing import Any

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from services.health.domain import statistics
from services.health.domain.consultations import OPEN_STATES
from services.health.models import Consultation, FhirResource, PatientDemographics
from shared.contracts.health import URGENCIES

COMPLETE_RECORD_TYPES = ("Encounter", "Observation", "Condition", "MedicationStatement")
"""Records whose completeness counts in a rating: coded, dated (and categorised where the type
has a category)."""


def counts(session: Session, dimension: str, code: str | None, today: date) -> dict[str, Any]:
    """Distinct residents per value of ``dimension`` (optionally: those with Condition
    ``code``); per-institution activity counts records instead."""
    if dimension == "institution":
        rows = session.execute(
            select(FhirResource.author_organization_id, func.count())
            .where(
                FhirResource.card_number.is_not(None),
                FhirResource.author_organization_id.is_not(None),
            )
            .group_by(FhirResource.author_organization_id)
        ).all()
        return statistics.suppressed(dimension, [(org, n) for org, n in rows])
    conditions = select(FhirResource.card_number).where(FhirResource.resource_type == "Condition")
    if code is not None:
        conditions = conditions.where(FhirResource.code == code)
    if dimension == "condition":
        rows = session.execute(
            select(FhirResource.code, func.count(distinct(FhirResource.card_number)))
            .where(FhirResource.resource_type == "Condition", FhirResource.code.is_not(None))
            .where(*([FhirResource.code == code] if code else []))
            .group_by(FhirResource.code)
        ).all()
        return statistics.suppressed(dimension, [(value, n) for value, n in rows])
    if dimension == "month":
        month = func.to_char(func.timezone("Asia/Shanghai", FhirResource.date), "YYYY-MM")
        rows = session.execute(
            select(month, func.count(distinct(FhirResource.card_number)))
            .where(FhirResource.resource_type == "Condition", FhirResource.date.is_not(None))
            .where(*([FhirResource.code == code] if code else []))
            .group_by(month)
        ).all()
        return statistics.suppressed(dimension, [(value, n) for value, n in rows])
    people = select(
        PatientDemographics.card_number,
        func.min(PatientDemographics.gender),
        func.min(PatientDemographics.birth_date),
        func.min(PatientDemographics.district),
    ).group_by(PatientDemographics.card_number)
    if code is not None:
        people = people.where(PatientDemographics.card_number.in_(conditions))
    tally: Counter[str] = Counter()
    for _card, gender, birth_date, district in session.execute(people).all():
        value = {
            "sex": gender,
            "district": district,
            "age_band": statistics.age_band(birth_date, today),
        }[dimension]
        tally[value or "unknown"] += 1
    return statistics.suppressed(dimension, tally.items())


def ratings(session: Session, now: datetime) -> dict[str, Any]:
    """Per institution: how complete its records are, how fast its specialists answer."""
    complete = FhirResource.code.is_not(None) & FhirResource.date.is_not(None)
    record_rows = session.execute(
        select(
            FhirResource.author_organization_id,
            func.count(),
            func.count().filter(complete),
        )
        .where(
            FhirResource.resource_type.in_(COMPLETE_RECORD_TYPES),
            FhirResource.author_organization_id.is_not(None),
        )
        .group_by(FhirResource.author_organization_id)
    ).all()
    minutes = func.extract("epoch", Consultation.answered_at - Consultation.assigned_at) / 60
    consultation_rows = session.execute(
        select(
            Consultation.assigned_organization_id,
            func.count(Consultation.answered_at),
            func.avg(minutes),
            func.count().filter(
                Consultation.state.in_(("requested", "assigned")), Consultation.due_at < now
            ),
        )
        .where(Consultation.assigned_organization_id.is_not(None))
        .group_by(Consultation.assigned_organization_id)
    ).all()
    by_org: dict[str, dict[str, Any]] = {}
    for org, total, good in record_rows:
        by_org[org] = {"records": total, "complete_records": good}
    answered = {org: (n, avg, late) for org, n, avg, late in consultation_rows}
    items = []
    for org in sorted(set(by_org) | set(answered)):
        total, good = (
            by_org.get(org, {}).get("records", 0),
            by_org.get(org, {}).get("complete_records", 0),
        )
        n, avg, late = answered.get(org, (0, None, 0))
        items.append(
            {
                "organization_id": org,
                "records": total,
                "complete_records": good,
                "completeness": statistics.completeness(total, good),
                "consultations_answered": n,
                "mean_response_minutes": round(float(avg), 1) if avg is not None else None,
                "consultations_overdue": late,
            }
        )
    return {"items": items}


def consultation_backlog(session: Session, now: datetime) -> dict[str, Any]:
    """Open consultations (requested or assigned) per urgency, and how many of them are past
    their time limit: counts only, for the leaders' dashboard."""
    rows = session.execute(
        select(
            Consultation.urgency,
            func.count(),
            func.count().filter(Consultation.due_at < now),
        )
        .where(Consultation.state.in_(OPEN_STATES))
        .group_by(Consultation.urgency)
    ).all()
    counted = {urgency: (open_, overdue) for urgency, open_, overdue in rows}
    urgencies = [
        {
            "urgency": urgency,
            "open": counted.get(urgency, (0, 0))[0],
            "overdue": counted.get(urgency, (0, 0))[1],
        }
        for urgency in URGENCIES
    ]
    return {
        "as_of": now.isoformat(),
        "urgencies": urgencies,
        "open": sum(item["open"] for item in urgencies),
        "overdue": sum(item["overdue"] for item in urgencies),
    }
