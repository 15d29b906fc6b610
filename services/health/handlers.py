"""The FHIR store's write use cases: create and update resources, and the resident's consent.

Each function takes the worker's ``UnitOfWork``; it reads and writes through ``records`` and
puts the events and audit entries its changes cause in the outbox; the entrypoint
(``service.py``) commits. Reads are in ``reads.py``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from services.health import records
from services.health.domain import access, resources
from services.health.domain.access import Caller
from services.health.models import FhirResource
from services.health.reads import request_purpose
from shared.contracts.health import (
    CARD_NUMBER_SYSTEM,
    DIRECTORY_TYPES,
    PreconditionFailed,
)
from shared.db import UnitOfWork
from shared.errors import Conflict, Forbidden, NotFound, Unprocessable, ValidationFailed

CardCheck = Callable[[str], dict[str, Any]]
"""``platform.verify_card``: ``{"valid": bool, "name": ...}`` for a card number."""


def write(
    uow: UnitOfWork,
    caller: Caller,
    resource_type: str,
    body: Any,
    now: datetime,
    verify_card: CardCheck,
    resource_id: str | None = None,
    if_match: str | None = None,
) -> tuple[dict[str, Any], bool]:
    """Create (``resource_id`` None: POST) or update/create-at-id (PUT) one resource:
    ``(resource, created)``. A Patient sent again for a card the institution already
    registered answers the Patient on record (``created`` False)."""
    resource = resources.validated(resource_type, body, resource_id)
    if resource_id is not None and not resources.ID_PATTERN.match(resource_id):
        raise ValidationFailed("not a FHIR id", fields={f"{resource_type}.id": [resource_id[:64]]})
    target_id = (
        resource_id
        or (caller.organization_id if resource_type == "Organization" else None)
        or str(uuid.uuid4())
    )
    existing = records.get(uow.session, resource_type, target_id, lock=True)
    if existing is not None:
        _check_may_update(caller, existing)
        if if_match is not None and if_match.strip('W/"') != str(existing.version_id):
            raise PreconditionFailed(
                f"If-Match {if_match} is not the current version {existing.version_id}",
                fields={"If-Match": [f"current version is {existing.version_id}"]},
            )
    elif if_match is not None:
        raise PreconditionFailed("If-Match names a resource that does not exist")
    columns, card = _columns(uow, caller, resource_type, resource, target_id, existing, verify_card)
    if resource_type == "Patient" and existing is None:
        registered = records.patient_of(uow.session, columns["author_organization_id"], card)
        if registered is not None:
            row = records.get(uow.session, "Patient", registered.patient_id)
            uow.record_access(card, "read", "health.Patient", request_purpose(uow))
            return row.resource, False  # type: ignore[union-attr]
    row = records.write(uow.session, existing, resource_type, target_id, resource, columns, now)
    _after_write(uow, caller, row, existing is None, now)
    return row.resource, existing is None


def _check_may_update(caller: Caller, existing: FhirResource) -> None:
    if caller.is_resident:
        if existing.resource_type == "Consent" and existing.card_number == caller.card_number:
            return
        raise NotFound(f"{existing.resource_type}/{existing.resource_id} not found")
    if existing.author_organization_id != caller.organization_id:
        # Hidden existence for records; a directory entry of another institution is theirs.
        if existing.resource_type in DIRECTORY_TYPES:
            raise Forbidden("only the institution that wrote it may change it")
        raise Conflict(f"{existing.resource_type}/{existing.resource_id}: id in use")


def _columns(
    uow: UnitOfWork,
    caller: Caller,
    resource_type: str,
    resource: dict[str, Any],
    target_id: str,
    existing: FhirResource | None,
    verify_card: CardCheck,
) -> tuple[dict[str, Any], str | None]:
    """The search and access columns of a resource about to be written, after the checks
    only the store can make: who may write what, about whom."""
    indexed = resources.index(resource_type, resource)
    columns: dict[str, Any] = {
        "category": indexed.category,
        "code": indexed.code,
        "date": indexed.date,
        "patient_id": indexed.patient_id,
    }
    if resource_type == "Consent":
        return _consent_columns(uow, caller, resource, indexed.patient_id, columns)
    organization = access.require_institution(caller)
    columns["author_organization_id"] = organization
    if resource_type == "Organization" and target_id != organization:
        raise Forbidden(f"an institution writes only its own Organization ({organization})")
    if resource_type in DIRECTORY_TYPES:
        return columns, None
    if resource_type == "Patient":
        card = resources.card_number_of(resource)
        if card is None:
            raise Unprocessable(
                "a Patient carries the citizen card number",
                fields={"Patient.identifier": [f"an identifier with system {CARD_NUMBER_SYSTEM}"]},
            )
        if existing is not None and existing.card_number != card:
            raise Unprocessable(
                "a Patient's citizen card cannot change",
                fields={"Patient.identifier": ["differs from the card on record"]},
            )
        if existing is None and not verify_card(card).get("valid"):
            raise Unprocessable(
                "no resident holds this citizen card",
                fields={"Patient.identifier": ["unknown citizen card number"]},
            )
        columns["card_number"] = card
        columns["patient_id"] = None
        return columns, card
    patient = records.get(uow.session, "Patient", indexed.patient_id)  # type: ignore[arg-type]
    if patient is None or patient.author_organization_id != organization:
        where = resources.PATIENT_REFERENCE[resource_type]
        raise Unprocessable(
            f"{resource_type}.{where}: not a patient of this institution",
            fields={
                f"{resource_type}.{where}": ["reference a Patient this institution registered"]
            },
        )
    columns["card_number"] = patient.card_number
    return columns, patient.card_number


def _consent_columns(
    uow: UnitOfWork,
    caller: Caller,
    resource: dict[str, Any],
    patient_id: str | None,
    columns: dict[str, Any],
) -> tuple[dict[str, Any], str | None]:
    if not caller.is_resident:
        raise Forbidden("a consent is given by the resident, not by an institution")
    patient = records.get(uow.session, "Patient", patient_id)  # type: ignore[arg-type]
    if patient is None or patient.card_number != caller.card_number:
        raise Unprocessable(
            "Consent.patient: not one of your Patient records",
            fields={"Consent.patient": ["reference one of your own Patient records"]},
        )
    access.consent_terms("check", resource)  # one institution named, or 422
    columns["card_number"] = caller.card_number
    columns["author_organization_id"] = None
    return columns, caller.card_number


def _after_write(
    uow: UnitOfWork, caller: Caller, row: FhirResource, created: bool, now: datetime
) -> None:
    kind = row.resource_type
    if row.card_number is None:
        return  # a directory entry: no resident's data
    uow.record_access(row.card_number, "write", f"health.{kind}", request_purpose(uow))
    if kind == "Patient":
        demographics = resources.demographics(row.resource)
        records.store_demographics(
            uow.session,
            row.resource_id,
            {
                "card_number": row.card_number,
                "organization_id": row.author_organization_id,
                "gender": demographics.gender,
                "birth_date": demographics.birth_date,
                "district": demographics.district,
            },
        )
        if created:
            uow.publish(
                "health.card_linked",
                {
                    "card_number": row.card_number,
                    "kind": "health_archive",
                    "linked_number": row.resource_id,
                },
                subject=row.card_number,
            )
        return
    if kind == "Consent":
        terms = access.consent_terms(row.resource_id, row.resource)
        records.store_consent_terms(uow.session, row.card_number, terms)
        uow.publish(
            "health.consent_changed",
            {
                "consent_id": row.resource_id,
                "patient_id": row.patient_id,
                "organization_id": terms.organization_id,
                "status": terms.status,
                "provision": terms.provision,
                "changed_at": now.isoformat(),
            },
            subject=terms.organization_id,
        )
        return
    if created:
        consents = records.organizations_consented_by(uow.session, row.card_number)
        notified = sorted(access.consented_keys(consents, now) - {row.author_organization_id})
        uow.publish(
            "health.record_added",
            {
                "resource_type": kind,
                "resource_id": row.resource_id,
                "patient_id": row.patient_id,
                "author_organization_id": row.author_organization_id,
                "notified_organization_ids": notified,
                "recorded_at": now.isoformat(),
            },
            subject=row.patient_id,
        )


def grant_consent(
    uow: UnitOfWork, caller: Caller, form: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """A resident's simple consent form becomes a FHIR Consent on their first Patient."""
    if not caller.is_resident:
        raise Forbidden("a consent is given by the resident")
    patients = records.patient_ids_of_card(uow.session, caller.card_number)  # type: ignore[arg-type]
    if not patients:
        raise Unprocessable("no institution has registered you as a patient yet")
    consent_id = str(uuid.uuid4())
    body = access.consent_resource(
        consent_id,
        sorted(patients)[0],
        form["organization_id"],
        form.get("provision", "permit"),
        form.get("purpose", "TREAT"),
        form.get("starts_on"),
        form.get("ends_on"),
        now,
    )
    resource, _ = write(uow, caller, "Consent", body, now, _no_card_check, resource_id=consent_id)
    return resource


def withdraw_consent(
    uow: UnitOfWork, caller: Caller, consent_id: str, now: datetime
) -> dict[str, Any]:
    row = records.get(uow.session, "Consent", consent_id)
    if row is None or not caller.is_resident or row.card_number != caller.card_number:
        raise NotFound(f"Consent/{consent_id} not found")
    resource, _ = write(
        uow,
        caller,
        "Consent",
        access.withdrawn(row.resource),
        now,
        _no_card_check,
        resource_id=consent_id,
    )
    return resource


def _no_card_check(card: str) -> dict[str, Any]:
    raise AssertionError("a consent never registers a card")  # pragma: no cover
