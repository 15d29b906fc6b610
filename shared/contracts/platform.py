"""Request and response shapes of the platform service's RPC methods.

The platform validates every RPC input with these schemas; the gateway uses the same schemas
to validate HTTP bodies before it calls the platform and to describe the API in OpenAPI. A
request schema ``load``s (normalising identifiers); a response schema ``dump``s the service's
result into JSON-ready values (times as ISO 8601 strings with a UTC offset).
"""

from __future__ import annotations

import re
from typing import Any

from marshmallow import (
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from shared.config import SERVICES
from shared.contracts.common import (
    BoundedDate,
    Page,
    Request,
    TrimmedString,
    page_of,
    required_text,
)
from shared.contracts.event_payloads import CARD_KINDS
from shared.identity import CardNumberField, CreditCodeField, ResidentIdField
from shared.passwords import MAX_LENGTH as PASSWORD_MAX_LENGTH
from shared.passwords import MIN_LENGTH as PASSWORD_MIN_LENGTH
from shared.passwords import password_problem

DEPARTMENTS: tuple[str, ...] = SERVICES
"""Departments that can hold API clients: one per sector service."""

CLIENT_ROLES: tuple[str, ...] = ("department", "integrator", "operator", "leadership")
"""``department``: a sector department's system; ``integrator``: a third party consuming open
interfaces; ``operator``: the city's platform operations staff; ``leadership``: the city's
leaders, who read aggregate indicators and live alerts, never personal data."""

LINKED_CARD_KINDS: tuple[str, ...] = CARD_KINDS
LEGAL_ENTITY_KINDS: tuple[str, ...] = ("enterprise", "organisation")

CHINESE_MOBILE = re.compile(r"^1[3-9]\d{9}$")
SCOPE_PATTERN = re.compile(r"^[a-z][a-z0-9_]*([.:][a-z0-9_*]+)*$")
"""``<area>.<permission>``, e.g. ``credit.check``, ``registry.population``."""
UNIT_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


# --- residents and citizen cards --------------------------------------------------------------


class RegisterResidentRequest(Request):
    """Real-name registration: who the resident is and the password they will log in with."""

    name = required_text(50)
    id_number = ResidentIdField(required=True, metadata={"description": "resident ID number"})
    phone = TrimmedString(
        required=True,
        validate=validate.Regexp(CHINESE_MOBILE, error="must be an 11-digit mobile number"),
    )
    password = fields.String(
        required=True,
        load_only=True,
        # The length is checked here too, so it is reported together with the other fields;
        # the rest of the policy needs them (name, ID and phone) and runs once they pass.
        validate=validate.Length(
            min=PASSWORD_MIN_LENGTH,
            max=PASSWORD_MAX_LENGTH,
            error=f"must be {PASSWORD_MIN_LENGTH} to {PASSWORD_MAX_LENGTH} characters",
        ),
        metadata={"description": "hard to guess, and nothing from your own name or numbers"},
    )

    @validates_schema(skip_on_field_errors=True)
    def _password_meets_the_policy(self, data: dict[str, Any], **_kwargs: Any) -> None:
        # Length, zxcvbn's breached and common lists, nothing from the person's own data:
        # the ID number (birth date included), the phone and the name are easy to find.
        problem = password_problem(
            data["password"], id_number=data["id_number"], name=data["name"], phone=data["phone"]
        )
        if problem:
            raise ValidationError(problem, field_name="password")


class RegisterResidentResponse(Schema):
    """What the ``register_resident`` RPC tells a trusted caller; never shown over HTTP."""

    resident_id = fields.UUID(required=True)
    card_number = fields.String(required=True)
    name = fields.String(required=True)
    issued_at = fields.AwareDateTime(required=True, format="iso")


class RegistrationAccepted(Schema):
    """``POST /api/v1/residents`` answers this whether the ID number was new or known, so it
    reveals nobody's registration. The card number is shown at ``/api/v1/me`` after logging
    in with the ID number."""

    status = fields.String(required=True, metadata={"example": "accepted"})
    message = fields.String(required=True)


class LinkedCardSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(LINKED_CARD_KINDS))
    number = fields.String(required=True)
    linked_at = fields.AwareDateTime(required=True, format="iso")


class ProfileResponse(Schema):
    """A resident's own view of their account; the identifiers are masked."""

    resident_id = fields.UUID(required=True)
    name = fields.String(required=True)
    card_number = fields.String(required=True)
    id_number_masked = fields.String(required=True, metadata={"example": "2101**********123X"})
    phone_masked = fields.String(required=True, metadata={"example": "138****5678"})
    registered_at = fields.AwareDateTime(required=True, format="iso")
    linked_cards = fields.List(fields.Nested(LinkedCardSchema), required=True)


class CardNumberRequest(Request):
    card_number = CardNumberField(required=True)


class VerifyCardResponse(Schema):
    """Whether a card exists; ``resident_id`` and ``name`` are null when it does not."""

    valid = fields.Boolean(required=True)
    resident_id = fields.UUID(required=True, allow_none=True)
    name = fields.String(required=True, allow_none=True)


class LookupResidentRequest(Request):
    """Also the body of ``POST /api/v1/registry/residents/lookup``: the identifier travels in
    the body, never in the URL, so access logs and proxies do not record ID numbers."""

    identifier = TrimmedString(
        required=True,
        validate=validate.Length(min=1, max=32),
        metadata={"description": "citizen card number or resident ID number"},
    )


class ResidentRecordResponse(Schema):
    """What the population registry tells a department about a resident."""

    resident_id = fields.UUID(required=True)
    name = fields.String(required=True)
    card_number = fields.String(required=True)
    birth_date = fields.Date(required=True)
    id_number_masked = fields.String(required=True)


# --- login tokens ---------------------------------------------------------------------------


class LoginRequest(Request):
    """``POST /api/v1/auth/token``: what the resident types."""

    username = fields.String(
        required=True,
        validate=validate.Length(max=32),
        metadata={"description": "citizen card number or resident ID number"},
    )
    password = fields.String(
        required=True, load_only=True, validate=validate.Length(max=PASSWORD_MAX_LENGTH)
    )


class IssueTokenRequest(LoginRequest):
    """The platform RPC: the login plus the address it came from (for lock-out records)."""

    client_ip = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))


class RefreshTokenRequest(Request):
    refresh_token = fields.String(required=True, validate=validate.Length(min=1, max=200))


class TokenResponse(Schema):
    access_token = fields.String(required=True)
    refresh_token = fields.String(required=True)
    token_type = fields.String(required=True, metadata={"example": "Bearer"})
    expires_in = fields.Integer(required=True, metadata={"description": "access token lifetime, s"})


class SessionRequest(Request):
    session_id = fields.UUID(required=True, metadata={"description": "the token's ``sid``"})


class SessionStatus(Schema):
    active = fields.Boolean(
        required=True, metadata={"description": "false once the login is logged out or revoked"}
    )


class RevokeTokenResponse(Schema):
    revoked = fields.Boolean(
        required=True,
        metadata={"description": "false when the token was unknown or already revoked"},
    )


# --- API clients ----------------------------------------------------------------------------


class CreateClientRequest(Request):
    name = required_text(100)
    role = fields.String(required=True, validate=validate.OneOf(CLIENT_ROLES))
    department = fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf(DEPARTMENTS)
    )
    scopes = fields.List(
        fields.String(validate=validate.Regexp(SCOPE_PATTERN, error="is not a scope name")),
        load_default=list,
        validate=validate.Length(max=50),
    )
    unit = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Regexp(UNIT_PATTERN, error="is not a unit id (A-Z a-z 0-9 . _ -)"),
        metadata={"description": "the hospital, school or office inside the department"},
    )

    @validates_schema(skip_on_field_errors=True)
    def _department_matches_role(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if data["role"] == "department" and data["department"] is None:
            raise ValidationError("required for department clients", field_name="department")
        if data["role"] != "department" and data["department"] is not None:
            raise ValidationError(
                "only department clients belong to a department", field_name="department"
            )
        if data["role"] != "department" and data["unit"] is not None:
            raise ValidationError("only department clients belong to a unit", field_name="unit")

    @post_load
    def _unique_scopes(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        data["scopes"] = sorted(set(data["scopes"]))
        return data


class PrincipalSchema(Schema):
    """Who an API key belongs to: what the gateway authorises requests against."""

    client_id = fields.UUID(required=True)
    role = fields.String(required=True, validate=validate.OneOf(CLIENT_ROLES))
    department = fields.String(required=True, allow_none=True)
    unit = fields.String(load_default=None, allow_none=True)
    scopes = fields.List(fields.String(), required=True)


class ClientSchema(PrincipalSchema):
    name = fields.String(required=True)
    key_prefix = fields.String(required=True, metadata={"description": "identifies the key"})
    created_at = fields.AwareDateTime(required=True, format="iso")
    revoked_at = fields.AwareDateTime(required=True, allow_none=True, format="iso")


class CreateClientResponse(ClientSchema):
    api_key = fields.String(
        required=True, metadata={"description": "shown once; only its hash is stored"}
    )


class ApiKeyRequest(Request):
    api_key = fields.String(required=True, validate=validate.Length(min=1, max=200))


class ClientIdRequest(Request):
    client_id = fields.UUID(required=True)


ClientPage = page_of(ClientSchema)


# --- legal entities -------------------------------------------------------------------------


class RegisterLegalEntityRequest(Request):
    credit_code = CreditCodeField(required=True)
    name = required_text(200)
    kind = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(LEGAL_ENTITY_KINDS),
        metadata={"description": "defaults to what the credit code's first character says"},
    )
    legal_representative = required_text(50)
    registered_address = required_text(300)
    established_on = BoundedDate(required=True)


class LegalEntitySchema(Schema):
    credit_code = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(LEGAL_ENTITY_KINDS))
    legal_representative = fields.String(required=True)
    registered_address = fields.String(required=True)
    established_on = fields.Date(required=True)
    registered_at = fields.AwareDateTime(required=True, format="iso")


class CreditCodeRequest(Request):
    credit_code = CreditCodeField(required=True)


LegalEntityPage = page_of(LegalEntitySchema)


# --- housing --------------------------------------------------------------------------------


class RegisterHousingRequest(Request):
    """A dwelling: ``building``, ``unit`` and ``room`` may be empty (a detached house)."""

    address = required_text(300)
    district = required_text(50)
    building = TrimmedString(load_default="", validate=validate.Length(max=20))
    unit = TrimmedString(load_default="", validate=validate.Length(max=20))
    room = TrimmedString(load_default="", validate=validate.Length(max=20))
    owner_card_number = CardNumberField(required=True)


class HousingSchema(Schema):
    housing_id = fields.UUID(required=True)
    address = fields.String(required=True)
    district = fields.String(required=True)
    building = fields.String(required=True)
    unit = fields.String(required=True)
    room = fields.String(required=True)
    owner_card_number = fields.String(required=True)
    registered_at = fields.AwareDateTime(required=True, format="iso")


class HousingIdRequest(Request):
    housing_id = fields.UUID(required=True)


class HousingOfOwnerRequest(Page):
    card_number = CardNumberField(required=True)


HousingPage = page_of(HousingSchema)


EVENT_LOG_HOURS = 7 * 24
"""The event log keeps a week (``EVENT_LOG_RETENTION_DAYS``): the widest throughput window."""


class ThroughputRequest(Request):
    hours = fields.Integer(required=True, validate=validate.Range(min=1, max=EVENT_LOG_HOURS))


class SourceThroughput(Schema):
    source = fields.String(required=True, metadata={"description": "the publishing service"})
    counts = fields.List(fields.Integer(), required=True, metadata={"description": "per hour"})
    total = fields.Integer(required=True)


class EventThroughput(Schema):
    """``platform.event_throughput(hours)``: events received per hour and source."""

    as_of = fields.AwareDateTime(required=True)
    hours = fields.List(
        fields.AwareDateTime(),
        required=True,
        metadata={"description": "each hour's start (UTC), the current hour last"},
    )
    sources = fields.List(fields.Nested(SourceThroughput), required=True)
