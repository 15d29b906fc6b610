"""Reading the FHIR store: read, search, ``$everything`` and the resident's own archive.

Every row fetched is checked by ``domain.access.read_decision`` with the consents read in
this very request (no cache: a withdrawn or expired consent stops access at once), and every
read is audited with its purpose in the resident's access log.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.health import records
from services.health.domain import access, resources
from services.health.domain.access import Caller, Decision
from services.health.domain.search import date_condition, token
from services.health.models import FhirResource
from shared.contracts.health import CARD_NUMBER_SYSTEM, DIRECTORY_TYPES, MAX_EVERYTHING_ENTRIES
from shared.db import UnitOfWork
from shared.errors import Forbidden, NotFound, Unprocessable, ValidationFailed


def request_purpose(uow: UnitOfWork) -> str:
    """Why this request reads or writes records: the caller's ``X-Purpose``, else treatment."""
    return uow.context.get("purpose") or "treatment"


def decide(
    uow: UnitOfWork, caller: Caller, row: FhirResource, now: datetime, break_glass: str | None
) -> Decision:
    """May ``caller`` read ``row``: the consents of this very request decide."""
    if row.resource_type in DIRECTORY_TYPES:
        return Decision(True, "directory", request_purpose(uow))
    consents = records.consents_for(uow.session, row.card_number or "", caller.organization_id)
    return access.read_decision(
        caller,
        row.card_number,
        row.author_organization_id,
        consents,
        now,
        request_purpose(uow),
        break_glass,
    )


def audit_reads(uow: UnitOfWork, reads: list[tuple[FhirResource, Decision]]) -> None:
    """One audit entry per resident, resource type and purpose read in this request."""
    seen = {
        (row.card_number, row.resource_type, decision.purpose)
        for row, decision in reads
        if row.card_number is not None
    }
    for card, kind, purpose in sorted(seen):
        uow.record_access(card, "read", f"health.{kind}", purpose)  # type: ignore[arg-type]


def read(
    uow: UnitOfWork,
    caller: Caller,
    resource_type: str,
    resource_id: str,
    now: datetime,
    break_glass: str | None,
) -> dict[str, Any]:
    resources.require_known_type(resource_type)
    row = records.get(uow.session, resource_type, resource_id)
    decision = decide(uow, caller, row, now, break_glass) if row is not None else None
    if row is None or not decision.allowed:  # type: ignore[union-attr]
        raise NotFound(
            f"{resource_type}/{resource_id} not found", fields={resource_type: [resource_id]}
        )
    audit_reads(uow, [(row, decision)])  # type: ignore[list-item]
    return row.resource


def search(
    uow: UnitOfWork,
    caller: Caller,
    resource_type: str,
    params: dict[str, Any],
    now: datetime,
    break_glass: str | None,
) -> dict[str, Any]:
    """A page of ``resource_type`` matching ``params`` that ``caller`` may read:
    ``{"total", "resources", "offset", "count"}``."""
    resources.require_known_type(resource_type)
    patient_ids, card = _patient_filter(resource_type, params)
    break_glass_cards: set[str] = set()
    if break_glass and resource_type not in DIRECTORY_TYPES:
        if patient_ids is None and card is None:
            raise ValidationFailed(
                "break-glass reads name the patient (patient, subject, _id or identifier)",
                fields={"patient": ["required with X-Break-Glass"]},
            )
        break_glass_cards = {card} if card else _cards_of(uow, patient_ids or [])
    consented = (
        access.consented_keys(records.consents_to(uow.session, caller.organization_id), now)
        if caller.is_institution
        else set()
    )
    is_patient = resource_type == "Patient"
    where = records.conditions(
        None if is_patient else patient_ids,
        card,
        _token(params, "category"),
        _token(params, "code"),
        [date_condition(value) for value in params.get("date", [])],
        patient_ids[0] if is_patient and patient_ids else params.get("_id"),
    )
    where.append(records.visibility(caller, consented, break_glass_cards))
    total, rows = records.search(
        uow.session, resource_type, where, params.get("_sort"), params["_count"], params["_offset"]
    )
    reads = [
        (row, decision)
        for row in rows
        if (
            decision := decide(
                uow, caller, row, now, break_glass if row.card_number in break_glass_cards else None
            )
        ).allowed
    ]
    audit_reads(uow, reads)
    return {
        "total": total,
        "resources": [row.resource for row, _ in reads],
        "offset": params["_offset"],
        "count": params["_count"],
    }


def _token(params: dict[str, Any], name: str) -> str | None:
    return token(params[name]) if params.get(name) else None


def _patient_filter(
    resource_type: str, params: dict[str, Any]
) -> tuple[list[str] | None, str | None]:
    """``(patient ids, card number)`` that ``patient``/``subject`` (``_id`` on Patient) and
    ``identifier`` restrict the search to (``None``: no restriction)."""
    card = None
    if params.get("identifier"):
        if resource_type != "Patient":
            raise ValidationFailed(
                "identifier is searched on Patient", fields={"identifier": ["Patient only"]}
            )
        system, _, card = params["identifier"].rpartition("|")
        if system not in ("", CARD_NUMBER_SYSTEM):
            raise ValidationFailed(
                "identifier: unknown system", fields={"identifier": [f"use {CARD_NUMBER_SYSTEM}"]}
            )
    reference = params.get("_id") if resource_type == "Patient" else None
    reference = reference or params.get("patient") or params.get("subject")
    if reference is None:
        return None, card
    return [reference.removeprefix("Patient/")], card


def _cards_of(uow: UnitOfWork, patient_ids: list[str]) -> set[str]:
    found = (records.get(uow.session, "Patient", patient_id) for patient_id in patient_ids)
    return {row.card_number for row in found if row is not None and row.card_number}


def everything(
    uow: UnitOfWork, caller: Caller, patient_id: str, now: datetime, break_glass: str | None
) -> dict[str, Any]:
    """``Patient/<id>/$everything``: the resident's regional archive that ``caller`` may
    read (across institutions, under consent or break-glass)."""
    patient = records.get(uow.session, "Patient", patient_id)
    if patient is None or not decide(uow, caller, patient, now, break_glass).allowed:
        raise NotFound(f"Patient/{patient_id} not found", fields={"Patient": [patient_id]})
    return _archive(uow, caller, patient.card_number, now, break_glass)  # type: ignore[arg-type]


def my_records(uow: UnitOfWork, caller: Caller, now: datetime) -> dict[str, Any]:
    if not caller.is_resident:
        raise Forbidden("only a resident has their own records")
    return _archive(uow, caller, caller.card_number, now, None)  # type: ignore[arg-type]


def _archive(
    uow: UnitOfWork, caller: Caller, card: str, now: datetime, break_glass: str | None
) -> dict[str, Any]:
    rows = records.archive(uow.session, card, MAX_EVERYTHING_ENTRIES + 1)
    if len(rows) > MAX_EVERYTHING_ENTRIES:
        raise Unprocessable(
            f"more than {MAX_EVERYTHING_ENTRIES} resources: search each type with _count paging",
            fields={"_count": [f"at most {MAX_EVERYTHING_ENTRIES} in one $everything"]},
        )
    reads = [
        (row, decision)
        for row in rows
        if (decision := decide(uow, caller, row, now, break_glass)).allowed
    ]
    audit_reads(uow, reads)
    return {
        "total": len(reads),
        "resources": [row.resource for row, _ in reads],
        "offset": 0,
        "count": len(reads),
    }
