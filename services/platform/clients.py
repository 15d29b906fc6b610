"""API clients of departments, integrators and operators: keys shown once, stored hashed."""

from __future__ import annotations

import hmac
import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from services.platform.domain import (
    API_KEY_PREFIX,
)
from services.platform.models import (
    ApiClient,
)
from shared import tokens
from shared.clock import utcnow
from shared.contracts.common import load
from shared.contracts.platform import (
    ApiKeyRequest,
    ClientIdRequest,
    ClientPage,
    ClientSchema,
    CreateClientRequest,
    CreateClientResponse,
    Page,
    PrincipalSchema,
)
from shared.db import fetch_page
from shared.errors import NotFound, Unauthorized

if TYPE_CHECKING:
    from shared.db import UnitOfWork


def create_client(
    uow: UnitOfWork,
    name: str,
    role: str,
    department: str | None,
    scopes: Sequence[str] | None,
    unit: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Register an API client; the returned ``api_key`` is never retrievable again.

    The key is ``sc_<12 hex of the client id>_<256 random bits>``: the prefix finds the row,
    the SHA-256 of the whole key authenticates it.
    """
    request = load(
        CreateClientRequest,
        {
            "name": name,
            "role": role,
            "department": department,
            "scopes": list(scopes or []),
            "unit": unit,
        },
    )
    client_id = uuid.uuid4()
    key_prefix = f"{API_KEY_PREFIX}_{client_id.hex[:12]}"
    api_key = f"{key_prefix}_{secrets.token_urlsafe(32)}"
    client = ApiClient(
        client_id=client_id,
        name=request["name"],
        role=request["role"],
        department=request["department"],
        unit=request["unit"],
        scopes=request["scopes"],
        key_prefix=key_prefix,
        key_hash=tokens.token_digest(api_key),
        created_at=now or utcnow(),
        revoked_at=None,
    )
    uow.session.add(client)
    uow.session.flush()
    client_fields = {name: getattr(client, name) for name in ClientSchema().fields}
    return CreateClientResponse().dump({**client_fields, "api_key": api_key})


def authenticate_api_key(uow: UnitOfWork, api_key: str) -> dict[str, Any]:
    """The principal an API key belongs to, or ``Unauthorized``."""
    request = load(ApiKeyRequest, {"api_key": api_key})
    marker, _, rest = request["api_key"].partition("_")
    fragment, _, secret = rest.partition("_")
    if marker != API_KEY_PREFIX or not fragment or not secret:
        raise Unauthorized("invalid API key")
    client = uow.session.scalars(
        select(ApiClient).where(ApiClient.key_prefix == f"{marker}_{fragment}")
    ).first()
    if client is None or not hmac.compare_digest(
        client.key_hash, tokens.token_digest(request["api_key"])
    ):
        raise Unauthorized("invalid API key")
    if client.revoked_at is not None:
        raise Unauthorized("API key revoked")
    return PrincipalSchema().dump(client)


def list_clients(uow: UnitOfWork, limit: int = 50, offset: int = 0) -> dict[str, Any]:
    """API clients, oldest first, revoked ones included (marked by ``revoked_at``)."""
    request = load(Page, {"limit": limit, "offset": offset})
    order = (ApiClient.created_at, ApiClient.client_id)
    return ClientPage().dump(fetch_page(uow.session, select(ApiClient), *order, **request))


def revoke_client(uow: UnitOfWork, client_id: str, now: datetime | None = None) -> dict[str, Any]:
    """Revoke a client's key for good; revoking twice keeps the first ``revoked_at``."""
    request = load(ClientIdRequest, {"client_id": client_id})
    client = uow.session.get(ApiClient, request["client_id"])
    if client is None:
        raise NotFound("API client not found")
    if client.revoked_at is None:
        client.revoked_at = now or utcnow()
    return ClientSchema().dump(client)
