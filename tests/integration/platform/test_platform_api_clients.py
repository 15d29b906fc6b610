"""API clients: a key shown once, authenticated by prefix and hash, revocable."""

import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.platform.models import ApiClient
from shared import tokens
from shared.errors import NotFound, Unauthorized, ValidationFailed


def test_create_then_authenticate(rpc, engine):
    created = rpc.create_client(
        "Health records exchange", "department", "health", ["population:read", "audit:write"]
    )
    client_id = created["client_id"]
    api_key = created["api_key"]
    # sc_ + the first 12 hex digits of the client id, _, then 43 characters of secret.
    assert created["key_prefix"] == "sc_" + uuid.UUID(client_id).hex[:12]
    assert api_key.startswith(created["key_prefix"] + "_")
    assert len(api_key) == len(created["key_prefix"]) + 1 + 43

    assert rpc.authenticate_api_key(api_key) == {
        "client_id": client_id,
        "role": "department",
        "department": "health",
        "unit": None,
        "scopes": ["audit:write", "population:read"],
    }

    with Session(engine) as session:
        stored = session.get(ApiClient, uuid.UUID(client_id))
    assert stored.key_hash == tokens.token_digest(api_key)
    assert api_key not in (stored.key_hash, stored.key_prefix)


def test_a_department_client_speaks_for_one_unit(rpc):
    school = rpc.create_client("No. 20 Middle School", "department", "education", [], "SY-020")
    assert school["unit"] == "SY-020"
    assert rpc.authenticate_api_key(school["api_key"])["unit"] == "SY-020"
    for role, department, unit in (
        ("integrator", None, "SY-020"),  # only departments have units
        ("department", "education", "no spaces"),
        ("department", "education", "x" * 65),
    ):
        with pytest.raises(ValidationFailed) as caught:
            rpc.create_client("bad unit", role, department, [], unit)
        assert "unit" in caught.value.fields


def test_wrong_keys_are_unauthorized(rpc):
    api_key = rpc.create_client("Open data app", "integrator")["api_key"]
    prefix, _, secret = api_key.rpartition("_")
    forged = prefix + "_" + ("A" if secret[0] != "A" else "B") + secret[1:]
    for candidate in (forged, "sc_000000000000_" + secret, "not-a-key", "sc_", "sc__x"):
        with pytest.raises(Unauthorized) as caught:
            rpc.authenticate_api_key(candidate)
        assert caught.value.message == "invalid API key"


def test_revoked_key_is_refused_and_listed(rpc):
    ops = rpc.create_client("City operations", "operator", None, ["audit:read"])
    tourism = rpc.create_client("Tourism card office", "department", "tourism")

    revoked = rpc.revoke_client(ops["client_id"])
    assert revoked["revoked_at"] is not None
    assert rpc.revoke_client(ops["client_id"])["revoked_at"] == revoked["revoked_at"]
    with pytest.raises(Unauthorized) as caught:
        rpc.authenticate_api_key(ops["api_key"])
    assert caught.value.message == "API key revoked"
    assert rpc.authenticate_api_key(tourism["api_key"])["department"] == "tourism"

    listing = rpc.list_clients()
    assert (listing["total"], listing["limit"], listing["offset"]) == (2, 50, 0)
    assert [(c["name"], c["revoked_at"] is None) for c in listing["items"]] == [
        ("City operations", False),
        ("Tourism card office", True),
    ]
    assert all("api_key" not in item and "key_hash" not in item for item in listing["items"])
    assert [c["name"] for c in rpc.list_clients(1, 1)["items"]] == ["Tourism card office"]


def test_unknown_client_cannot_be_revoked(rpc):
    with pytest.raises(NotFound):
        rpc.revoke_client(str(uuid.uuid4()))


def test_department_client_needs_its_department(rpc, engine):
    with pytest.raises(ValidationFailed) as caught:
        rpc.create_client("Who knows", "department", "police")
    assert list(caught.value.fields) == ["department"]
    with Session(engine) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(ApiClient)) == 0
