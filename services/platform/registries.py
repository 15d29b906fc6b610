"""The platform's base registries: legal entities (the enterprise and organisation registry)
and housing. Same rules as ``handlers.py``: each function takes the worker's ``UnitOfWork``,
validates its input with ``shared.contracts.platform`` and returns the JSON-ready response;
the service commits."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from services.platform import audit
from services.platform.handlers import card_exists
from services.platform.models import (
    Housing,
    LegalEntity,
)
from shared.clock import utcnow
from shared.contracts.common import load
from shared.contracts.platform import (
    CreditCodeRequest,
    HousingIdRequest,
    HousingOfOwnerRequest,
    HousingPage,
    HousingSchema,
    LegalEntityPage,
    LegalEntitySchema,
    Page,
    RegisterHousingRequest,
    RegisterLegalEntityRequest,
)
from shared.db import fetch_page
from shared.errors import Conflict, NotFound, invalid
from shared.identity import (
    REGISTRATION_AUTHORITIES,
    credit_code_subject_type,
)

if TYPE_CHECKING:
    from shared.db import UnitOfWork

# --- legal entities -------------------------------------------------------------------------


def _entity_taken() -> Conflict:
    return Conflict("already registered", fields={"credit_code": ["already registered"]})


def register_legal_entity(
    uow: UnitOfWork, payload: dict[str, Any], now: datetime | None = None
) -> dict[str, Any]:
    """Add an enterprise or organisation to the legal-entity registry.

    ``kind`` must agree with the registration authority encoded in the credit code's first
    character (only ``9``, industry and commerce, registers enterprises).
    """
    request = load(RegisterLegalEntityRequest, payload)
    code = request["credit_code"]
    implied_kind = credit_code_subject_type(code)
    if request["kind"] not in (None, implied_kind):
        authority = REGISTRATION_AUTHORITIES.get(code[0], "an unknown authority")
        raise invalid("kind", f"credit code is issued by {authority}: must be {implied_kind}")
    if request["established_on"] > (now or utcnow()).date():
        raise invalid("established_on", "is in the future")
    if uow.session.get(LegalEntity, code) is not None:
        raise _entity_taken()
    entity = LegalEntity(
        credit_code=code,
        name=request["name"],
        kind=implied_kind,
        legal_representative=request["legal_representative"],
        registered_address=request["registered_address"],
        established_on=request["established_on"],
        registered_at=now or utcnow(),
    )
    uow.session.add(entity)
    try:
        uow.session.flush()
    except IntegrityError:
        raise _entity_taken() from None
    uow.publish(
        "platform.legal_entity_registered",
        {
            "credit_code": code,
            "name": entity.name,
            "kind": entity.kind,
            "established_on": entity.established_on.isoformat(),
        },
        subject=code,
    )
    return LegalEntitySchema().dump(entity)


def get_legal_entity(uow: UnitOfWork, credit_code: str) -> dict[str, Any]:
    request = load(CreditCodeRequest, {"credit_code": credit_code})
    entity = uow.session.get(LegalEntity, request["credit_code"])
    if entity is None:
        raise NotFound("legal entity not found")
    return LegalEntitySchema().dump(entity)


def list_legal_entities(uow: UnitOfWork, limit: int = 50, offset: int = 0) -> dict[str, Any]:
    """Legal entities in credit-code order."""
    request = load(Page, {"limit": limit, "offset": offset})
    entities = select(LegalEntity)
    return LegalEntityPage().dump(
        fetch_page(uow.session, entities, LegalEntity.credit_code, **request)
    )


# --- housing --------------------------------------------------------------------------------


def _dwelling_taken() -> Conflict:
    return Conflict("dwelling already registered", fields={"address": ["already registered"]})


def register_housing(
    uow: UnitOfWork, payload: dict[str, Any], now: datetime | None = None
) -> dict[str, Any]:
    """Add a dwelling to the housing registry; its owner must hold a citizen card."""
    request = load(RegisterHousingRequest, payload)
    owner = request["owner_card_number"]
    if not card_exists(uow, owner):
        raise invalid("owner_card_number", "is not a registered citizen card")
    dwelling = {name: request[name] for name in ("district", "address", "building", "unit", "room")}
    duplicate = uow.session.scalar(select(Housing.housing_id).filter_by(**dwelling))
    if duplicate is not None:
        raise _dwelling_taken()
    housing = Housing(
        housing_id=uuid.uuid4(), owner_card_number=owner, registered_at=now or utcnow(), **dwelling
    )
    uow.session.add(housing)
    try:
        uow.session.flush()
    except IntegrityError:
        raise _dwelling_taken() from None
    audit.record_access(uow, owner, "write", "housing.dwelling", now)
    return HousingSchema().dump(housing)


def get_housing(uow: UnitOfWork, housing_id: str) -> dict[str, Any]:
    request = load(HousingIdRequest, {"housing_id": housing_id})
    housing = uow.session.get(Housing, request["housing_id"])
    if housing is None:
        raise NotFound("housing not found")
    audit.record_access(uow, housing.owner_card_number, "read", "housing.dwelling")
    return HousingSchema().dump(housing)


def housing_of_owner(
    uow: UnitOfWork, card_number: str, limit: int = 50, offset: int = 0
) -> dict[str, Any]:
    """The dwellings a resident owns, in order of registration."""
    request = load(
        HousingOfOwnerRequest, {"card_number": card_number, "limit": limit, "offset": offset}
    )
    audit.record_access(uow, request["card_number"], "read", "housing.dwelling")
    homes = select(Housing).where(Housing.owner_card_number == request["card_number"])
    order = (Housing.registered_at, Housing.housing_id)
    return HousingPage().dump(
        fetch_page(uow.session, homes, *order, limit=request["limit"], offset=request["offset"])
    )
