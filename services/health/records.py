"""Database functions of the FHIR store: resources, their search, consent terms.

Queries on a ``Session``: flush, never commit. Which rows a caller may see is decided by the
pure rules of ``domain.access``; the search filters below only narrow what is fetched to the
rows those rules can allow, and every fetched row is checked again by them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, false, func, or_, select, true
from sqlalchemy.orm import Session

from services.health.domain.access import Caller, ConsentTerms
from services.health.domain.search import DateCondition
from services.health.models import ConsentGrant, FhirResource, PatientDemographics
from shared.contracts.health import DIRECTORY_TYPES


def get(
    session: Session, resource_type: str, resource_id: str, lock: bool = False
) -> FhirResource | None:
    statement = select(FhirResource).where(
        FhirResource.resource_type == resource_type, FhirResource.resource_id == resource_id
    )
    if lock:
        statement = statement.with_for_update()
    return session.scalars(statement).first()


def patient_of(
    session: Session, organization_id: str, card_number: str
) -> PatientDemographics | None:
    """The institution's own Patient for a resident, if it registered one."""
    return session.scalars(
        select(PatientDemographics).where(
            PatientDemographics.organization_id == organization_id,
            PatientDemographics.card_number == card_number,
        )
    ).first()


def consents_for(
    session: Session, card_number: str, organization_id: str | None
) -> list[ConsentTerms]:
    """The consent terms a resident gave one institution (read afresh on every request)."""
    if organization_id is None:
        return []
    rows = session.scalars(
        select(ConsentGrant).where(
            ConsentGrant.card_number == card_number, ConsentGrant.organization_id == organization_id
        )
    ).all()
    return [_terms(row) for row in rows]


def consents_to(session: Session, organization_id: str) -> list[tuple[str, ConsentTerms]]:
    """Every ``(card, terms)`` naming an institution: whose records it may be reading."""
    rows = session.scalars(
        select(ConsentGrant).where(ConsentGrant.organization_id == organization_id)
    ).all()
    return [(row.card_number, _terms(row)) for row in rows]


def organizations_consented_by(
    session: Session, card_number: str
) -> list[tuple[str, ConsentTerms]]:
    rows = session.scalars(
        select(ConsentGrant).where(ConsentGrant.card_number == card_number)
    ).all()
    return [(row.organization_id, _terms(row)) for row in rows]


def _terms(row: ConsentGrant) -> ConsentTerms:
    return ConsentTerms(
        row.consent_id,
        row.organization_id,
        row.provision,
        row.status,
        row.starts_at,
        row.ends_at,
        row.purpose,
    )


def store_consent_terms(session: Session, card_number: str, terms: ConsentTerms) -> None:
    row = session.get(ConsentGrant, terms.consent_id) or ConsentGrant(consent_id=terms.consent_id)
    row.card_number = card_number
    row.organization_id = terms.organization_id
    row.provision = terms.provision
    row.status = terms.status
    row.starts_at = terms.starts_at
    row.ends_at = terms.ends_at
    row.purpose = terms.purpose
    session.add(row)
    session.flush()


def visibility(
    caller: Caller, consented_cards: set[str], break_glass_cards: set[str]
) -> ColumnElement[bool]:
    """The rows ``caller`` can possibly be allowed (checked again row by row)."""
    directory = FhirResource.resource_type.in_(DIRECTORY_TYPES)
    if caller.is_resident:
        return or_(directory, FhirResource.card_number == caller.card_number)
    if not caller.is_institution:
        return false()
    return or_(
        directory,
        FhirResource.author_organization_id == caller.organization_id,
        FhirResource.card_number.in_(consented_cards | break_glass_cards)
        if consented_cards or break_glass_cards
        else false(),
    )


def search(
    session: Session,
    resource_type: str,
    where: Sequence[ColumnElement[bool]],
    sort: str | None,
    count: int,
    offset: int,
) -> tuple[int, list[FhirResource]]:
    statement: Select = select(FhirResource).where(
        FhirResource.resource_type == resource_type, *where
    )
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    if count == 0:
        return total, []
    rows = session.scalars(statement.order_by(*_order(sort)).limit(count).offset(offset)).all()
    return total, list(rows)


def _order(sort: str | None) -> tuple[Any, ...]:
    column = FhirResource.date if sort in ("date", "-date") else FhirResource.last_updated
    ordered = column.desc().nulls_last() if sort and sort.startswith("-") else column.asc()
    return ordered, FhirResource.resource_id


def conditions(
    patient_ids: list[str] | None,
    card_number: str | None,
    category: str | None,
    code: str | None,
    dates: list[DateCondition],
    resource_id: str | None,
) -> list[ColumnElement[bool]]:
    """SQL conditions of the search parameters (``None``: not given)."""
    where: list[ColumnElement[bool]] = []
    if patient_ids is not None:
        where.append(FhirResource.patient_id.in_(patient_ids) if patient_ids else false())
    if card_number is not None:
        where.append(FhirResource.card_number == card_number)
    if category is not None:
        where.append(FhirResource.category == category)
    if code is not None:
        where.append(FhirResource.code == code)
    if resource_id is not None:
        where.append(FhirResource.resource_id == resource_id)
    for condition in dates:
        if condition.low is not None:
            where.append(FhirResource.date >= condition.low)
        if condition.high is not None:
            where.append(FhirResource.date < condition.high)
    return where or [true()]


def archive(session: Session, card_number: str, limit: int) -> list[FhirResource]:
    """Every resource about one resident, across institutions, oldest first."""
    return list(
        session.scalars(
            select(FhirResource)
            .where(FhirResource.card_number == card_number)
            .order_by(
                FhirResource.resource_type, FhirResource.last_updated, FhirResource.resource_id
            )
            .limit(limit)
        ).all()
    )


def write(
    session: Session,
    row: FhirResource | None,
    resource_type: str,
    resource_id: str,
    resource: dict[str, Any],
    columns: dict[str, Any],
    now: datetime,
) -> FhirResource:
    """Insert or update one resource; ``meta.versionId`` and ``meta.lastUpdated`` follow."""
    if row is None:
        row = FhirResource(resource_type=resource_type, resource_id=resource_id, version_id=0)
    row.version_id += 1
    row.last_updated = now
    meta = {
        **resource.get("meta", {}),
        "versionId": str(row.version_id),
        "lastUpdated": now.isoformat(),
    }
    row.resource = {**resource, "id": resource_id, "meta": meta}
    for name, value in columns.items():
        setattr(row, name, value)
    session.add(row)
    session.flush()
    return row


def store_demographics(session: Session, patient_id: str, values: dict[str, Any]) -> None:
    row = session.get(PatientDemographics, patient_id) or PatientDemographics(patient_id=patient_id)
    for name, value in values.items():
        setattr(row, name, value)
    session.add(row)
    session.flush()


def patient_ids_of_card(session: Session, card_number: str) -> list[str]:
    return list(
        session.scalars(
            select(PatientDemographics.patient_id).where(
                PatientDemographics.card_number == card_number
            )
        ).all()
    )
