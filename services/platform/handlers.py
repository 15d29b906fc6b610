"""The platform's use cases: registration, citizen cards, login sessions, API clients.

Each RPC-facing function takes the worker's ``UnitOfWork`` (``uow``), validates its raw input
with the schemas of ``shared.contracts.platform`` and returns the JSON-ready response; the
service commits. The base registries are in ``registries.py``, the rules in ``domain.py``.
The few operations that must persist something *and* fail (a failed login
is recorded, a reused refresh token revokes its family) commit before raising.
Functions take an optional ``now`` so tests can fix the clock.
"""

from __future__ import annotations

import hmac
import math
import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from services.platform import audit
from services.platform.domain import (
    API_KEY_PREFIX,
    BAD_CREDENTIALS,
    FAILURE_MEMORY,
    RESIDENT_ROLE,
    RESIDENT_SCOPES,
    hash_password,
    login_backoff,
    mask_id_number,
    mask_phone,
    password_matches,
    password_needs_rehash,
    unknown_user_hash,
)
from services.platform.models import (
    ApiClient,
    CitizenCard,
    LinkedCard,
    LoginAttempt,
    RefreshToken,
    Resident,
)
from shared import tokens
from shared.clock import utcnow
from shared.contracts.common import load
from shared.contracts.platform import (
    ApiKeyRequest,
    CardNumberRequest,
    ClientIdRequest,
    ClientPage,
    ClientSchema,
    CreateClientRequest,
    CreateClientResponse,
    IssueTokenRequest,
    LookupResidentRequest,
    Page,
    PrincipalSchema,
    ProfileResponse,
    RefreshTokenRequest,
    RegisterResidentRequest,
    RegisterResidentResponse,
    ResidentRecordResponse,
    RevokeTokenResponse,
    SessionRequest,
    SessionStatus,
    TokenResponse,
    VerifyCardResponse,
)
from shared.db import fetch_page
from shared.errors import Conflict, NotFound, RateLimited, Unauthorized, invalid
from shared.identity import (
    identify,
    random_card_number,
    resident_birth_date,
    validate_card_number,
)

if TYPE_CHECKING:
    from shared.db import UnitOfWork
    from shared.messaging import Event

CARD_LINK_CONSUMER = "platform.record_card_link"
CARD_NUMBER_ATTEMPTS = 5
"""Random card numbers tried before giving up (a collision among 10^11 is already rare)."""


# --- residents and citizen cards --------------------------------------------------------------


def _already_registered() -> Conflict:
    return Conflict("already registered", fields={"id_number": ["already registered"]})


def register_resident(
    uow: UnitOfWork, payload: dict[str, Any], now: datetime | None = None
) -> dict[str, Any]:
    """Real-name registration: a resident record and their citizen card, announced by
    ``platform.citizen_card_issued`` in the same transaction. One card per ID number.

    An ID number that already holds a card changes nothing: ``platform.registration_repeated``
    (for an SMS to the holder) is committed and ``Conflict`` raised, for trusted RPC callers.
    The gateway answers both cases alike; the password is hashed in both, so they also take
    about the same time. The card number is random (``random_card_number``), retried on a
    collision.
    """
    request = load(RegisterResidentRequest, payload)
    now = now or utcnow()
    session = uow.session
    password_hash = hash_password(request["password"])
    known = _resident_by_id_number(uow, request["id_number"])
    if known is not None:
        _notify_holder(uow, known[0], known[1], now)
        raise _already_registered()
    resident = Resident(
        resident_id=uuid.uuid4(),
        name=request["name"],
        id_number=request["id_number"],
        birth_date=resident_birth_date(request["id_number"]),
        phone=request["phone"],
        password_hash=password_hash,
        registered_at=now,
    )
    session.add(resident)
    try:
        session.flush()  # a concurrent registration of the same number loses here
    except IntegrityError:
        raise _already_registered() from None
    card = _issue_card(uow, resident.resident_id, now)
    uow.publish(
        "platform.citizen_card_issued",
        {
            "resident_id": str(resident.resident_id),
            "card_number": card.card_number,
            "issued_at": now.isoformat(),
        },
        subject=card.card_number,
    )
    audit.record_access(uow, card.card_number, "write", "population.registration", now)
    return RegisterResidentResponse().dump(
        {
            "resident_id": resident.resident_id,
            "card_number": card.card_number,
            "name": resident.name,
            "issued_at": now,
        }
    )


def _issue_card(uow: UnitOfWork, resident_id: uuid.UUID, now: datetime) -> CitizenCard:
    """A card with a random number; a number already taken is drawn again (in a savepoint,
    so the registration's transaction survives the collision)."""
    for _attempt in range(CARD_NUMBER_ATTEMPTS):
        card = CitizenCard(resident_id=resident_id, card_number=random_card_number(), issued_at=now)
        try:
            with uow.session.begin_nested():
                uow.session.add(card)
        except IntegrityError:
            continue
        return card
    raise RuntimeError(f"no free card number after {CARD_NUMBER_ATTEMPTS} random draws")


def _notify_holder(uow: UnitOfWork, resident: Resident, card: CitizenCard, now: datetime) -> None:
    """Tell the holder of a known ID number that someone tried to register it (committed,
    although the call then fails)."""
    uow.publish(
        "platform.registration_repeated",
        {"card_number": card.card_number, "phone": resident.phone, "attempted_at": now.isoformat()},
        subject=card.card_number,
    )
    uow.commit()


def _resident_by_card(uow: UnitOfWork, card_number: str) -> tuple[Resident, CitizenCard] | None:
    return _resident_where(uow, CitizenCard.card_number == card_number)


def _resident_by_id_number(uow: UnitOfWork, id_number: str) -> tuple[Resident, CitizenCard] | None:
    return _resident_where(uow, Resident.id_number == id_number)


def _resident_where(uow: UnitOfWork, condition: Any) -> tuple[Resident, CitizenCard] | None:
    row = uow.session.execute(
        select(Resident, CitizenCard)
        .join(CitizenCard, CitizenCard.resident_id == Resident.resident_id)
        .where(condition)
    ).first()
    return (row[0], row[1]) if row else None


def card_exists(uow: UnitOfWork, card_number: str) -> bool:
    serial = select(CitizenCard.serial).where(CitizenCard.card_number == card_number)
    return uow.session.scalar(serial) is not None


def get_profile(uow: UnitOfWork, card_number: str) -> dict[str, Any]:
    """The resident's own account: masked identifiers and the sector cards linked to it."""
    request = load(CardNumberRequest, {"card_number": card_number})
    found = _resident_by_card(uow, request["card_number"])
    if found is None:
        raise NotFound("citizen card not found")
    resident, card = found
    audit.record_access(uow, card.card_number, "read", "population.profile")
    linked = uow.session.scalars(
        select(LinkedCard)
        .where(LinkedCard.card_number == card.card_number)
        .order_by(LinkedCard.linked_at, LinkedCard.id)
    ).all()
    return ProfileResponse().dump(
        {
            "resident_id": resident.resident_id,
            "name": resident.name,
            "card_number": card.card_number,
            "id_number_masked": mask_id_number(resident.id_number),
            "phone_masked": mask_phone(resident.phone),
            "registered_at": resident.registered_at,
            "linked_cards": linked,
        }
    )


def verify_card(uow: UnitOfWork, card_number: str) -> dict[str, Any]:
    """Whether a well-formed card number belongs to a registered resident (for services)."""
    request = load(CardNumberRequest, {"card_number": card_number})
    found = _resident_by_card(uow, request["card_number"])
    if found is None:
        return VerifyCardResponse().dump({"valid": False, "resident_id": None, "name": None})
    resident, _card = found
    return VerifyCardResponse().dump(
        {"valid": True, "resident_id": resident.resident_id, "name": resident.name}
    )


def link_card_from_event(uow: UnitOfWork, event: Event) -> LinkedCard | None:
    """Record a ``*.card_linked`` event once. A sector card re-linked to another citizen card
    (a correction) moves there if the event is newer than the link on record.

    An unknown citizen card raises ``NotFound``: the event is retried and then dead-lettered
    for an operator, rather than dropped.
    """
    if not uow.claim(event.event_id, CARD_LINK_CONSUMER):
        return None
    card_number = event.data["card_number"]
    if not card_exists(uow, card_number):
        raise NotFound(f"card_linked names unknown citizen card {card_number}")
    link = uow.session.scalars(
        select(LinkedCard).where(
            LinkedCard.kind == event.data["kind"], LinkedCard.number == event.data["linked_number"]
        )
    ).first()
    if link is None:
        link = LinkedCard(
            card_number=card_number,
            kind=event.data["kind"],
            number=event.data["linked_number"],
            linked_at=event.occurred_at,
        )
        uow.session.add(link)
    elif link.card_number != card_number and event.occurred_at > link.linked_at:
        link.card_number = card_number
        link.linked_at = event.occurred_at
    uow.session.flush()
    return link


# --- population registry --------------------------------------------------------------------


def lookup_resident(
    uow: UnitOfWork, identifier: str, now: datetime | None = None
) -> dict[str, Any]:
    """A department looks a resident up by card number or ID number; the read is audited in
    the same transaction, on behalf of the caller named in the nameko context."""
    request = load(LookupResidentRequest, {"identifier": identifier})
    kind, value = identify(request["identifier"], "identifier")
    if kind == "credit_code":
        raise invalid("identifier", "must be a citizen card number or a resident ID number")
    by_kind = _resident_by_card if kind == "card_number" else _resident_by_id_number
    found = by_kind(uow, value)
    if found is None:
        raise NotFound("resident not found")
    resident, card = found
    audit.record_access(uow, card.card_number, "read", "population.resident", now)
    return ResidentRecordResponse().dump(
        {
            "resident_id": resident.resident_id,
            "name": resident.name,
            "card_number": card.card_number,
            "birth_date": resident.birth_date,
            "id_number_masked": mask_id_number(resident.id_number),
        }
    )


def resolve_card(uow: UnitOfWork, card_number: str, now: datetime | None = None) -> dict[str, str]:
    """Service to service: whose ID number is behind a citizen card (e.g. credit files of
    people are keyed by ID number). Never exposed through the gateway; audited like a lookup."""
    card_number = validate_card_number(card_number, "card_number")
    found = _resident_by_card(uow, card_number)
    if found is None:
        raise NotFound("no such resident", fields={"card_number": ["no resident holds it"]})
    resident, card = found
    audit.record_access(uow, card.card_number, "read", "population.identity_link", now)
    return {"card_number": card.card_number, "id_number": resident.id_number}


# --- login sessions -------------------------------------------------------------------------


def _failures_of_pair(
    uow: UnitOfWork, login_key: str, client_ip: str | None, now: datetime
) -> tuple[int, datetime | None]:
    """How often this address failed on this account since its last success there (within
    ``FAILURE_MEMORY``), and when it last did. Other addresses' failures do not count."""
    same_address = (
        LoginAttempt.client_ip == client_ip if client_ip else LoginAttempt.client_ip.is_(None)
    )
    of_pair = (LoginAttempt.username == login_key, same_address)
    since = now - FAILURE_MEMORY
    last_success = uow.session.scalar(
        select(func.max(LoginAttempt.attempted_at)).where(
            *of_pair, LoginAttempt.outcome == "success", LoginAttempt.attempted_at > since
        )
    )
    since = max(since, last_success) if last_success else since
    count, last_failure = uow.session.execute(
        select(func.count(), func.max(LoginAttempt.attempted_at)).where(
            *of_pair, LoginAttempt.outcome == "failure", LoginAttempt.attempted_at > since
        )
    ).one()
    return count, last_failure


def _record_attempt(
    uow: UnitOfWork, login_key: str, outcome: str, client_ip: str | None, now: datetime
) -> None:
    uow.session.add(
        LoginAttempt(username=login_key, outcome=outcome, client_ip=client_ip, attempted_at=now)
    )


def _new_session(
    uow: UnitOfWork, card_number: str, family_id: uuid.UUID, now: datetime
) -> dict[str, Any]:
    """An access token and a new refresh token of ``family_id``; the access token names the
    family as its ``sid``, so revoking the family ends the access token too."""
    refresh = tokens.new_opaque_token()
    uow.session.add(
        RefreshToken(
            token_hash=tokens.token_digest(refresh),
            family_id=family_id,
            card_number=card_number,
            issued_at=now,
            expires_at=now + timedelta(seconds=tokens.refresh_token_ttl()),
        )
    )
    uow.session.flush()
    return TokenResponse().dump(
        {
            "access_token": tokens.issue_access_token(
                card_number, RESIDENT_ROLE, RESIDENT_SCOPES, session_id=str(family_id), now=now
            ),
            "refresh_token": refresh,
            "token_type": tokens.TOKEN_TYPE,
            "expires_in": tokens.access_token_ttl(),
        }
    )


def issue_token(
    uow: UnitOfWork,
    username: str,
    password: str,
    client_ip: str | None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Log a resident in with card number or ID number and password.

    Failures are counted per (account, client address): after ``FREE_LOGIN_FAILURES`` the
    address is refused with ``RateLimited`` (``extra.retry_after`` in seconds) without the
    password being checked, for a wait that doubles with each further failure
    (``login_backoff``). The account stays open to every other address, so failed guesses
    cannot lock its owner out. Every attempt is recorded, and committed even when refused.
    """
    request = load(
        IssueTokenRequest, {"username": username, "password": password, "client_ip": client_ip}
    )
    now = now or utcnow()
    kind, value = identify(request["username"], "username")
    found = None
    if kind == "card_number":
        found = _resident_by_card(uow, value)
    elif kind == "id_number":
        found = _resident_by_id_number(uow, value)
    login_key = found[1].card_number if found else value

    failures, last_failure = _failures_of_pair(uow, login_key, request["client_ip"], now)
    retry_after = login_backoff(failures, last_failure, now)
    if retry_after is not None:
        _record_attempt(uow, login_key, "locked", request["client_ip"], now)
        uow.commit()
        raise RateLimited(
            "too many failed logins; try again later",
            extra={"retry_after": math.ceil(retry_after)},
        )
    if found is None:
        password_matches(unknown_user_hash(), request["password"])
        authenticated = False
    else:
        authenticated = password_matches(found[0].password_hash, request["password"])
    if not authenticated:
        _record_attempt(uow, login_key, "failure", request["client_ip"], now)
        uow.commit()
        raise Unauthorized(BAD_CREDENTIALS)

    resident, card = found
    if password_needs_rehash(resident.password_hash):
        resident.password_hash = hash_password(request["password"])
    _record_attempt(uow, login_key, "success", request["client_ip"], now)
    return _new_session(uow, card.card_number, uuid.uuid4(), now)


def _refresh_row(uow: UnitOfWork, token: str) -> RefreshToken | None:
    """The stored refresh token, locked: two rotations of one token take turns."""
    request = load(RefreshTokenRequest, {"refresh_token": token})
    return uow.session.scalars(
        select(RefreshToken)
        .where(RefreshToken.token_hash == tokens.token_digest(request["refresh_token"]))
        .with_for_update()
    ).first()


def _revoke_family(uow: UnitOfWork, family_id: uuid.UUID, now: datetime) -> int:
    result = uow.session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return result.rowcount


def refresh_token(uow: UnitOfWork, token: str, now: datetime | None = None) -> dict[str, Any]:
    """Rotate a refresh token: the presented one is revoked, a new pair is issued.

    Presenting a revoked token again means it leaked (or was replayed): every token of its
    login is revoked, the legitimate holder has to log in again, and the thief is out too.
    """
    now = now or utcnow()
    row = _refresh_row(uow, token)
    if row is None:
        raise Unauthorized("refresh token invalid")
    if row.revoked_at is not None:
        _revoke_family(uow, row.family_id, now)
        uow.commit()
        raise Unauthorized("refresh token already used; the session has been revoked")
    if row.expires_at <= now:
        raise Unauthorized("refresh token expired")
    row.revoked_at = now
    return _new_session(uow, row.card_number, row.family_id, now)


def session_active(uow: UnitOfWork, session_id: str, now: datetime | None = None) -> dict[str, Any]:
    """Whether a login (refresh-token family, an access token's ``sid``) still holds a live
    refresh token: false once it was logged out, revoked for reuse, or ran out."""
    request = load(SessionRequest, {"session_id": session_id})
    live = uow.session.scalar(
        select(RefreshToken.token_id)
        .where(
            RefreshToken.family_id == request["session_id"],
            RefreshToken.revoked_at.is_(None),
            RefreshToken.expires_at > (now or utcnow()),
        )
        .limit(1)
    )
    return SessionStatus().dump({"active": live is not None})


def revoke_refresh_token(
    uow: UnitOfWork, token: str, now: datetime | None = None
) -> dict[str, Any]:
    """Log out: revoke the token and every other token of the same login. Idempotent."""
    row = _refresh_row(uow, token)
    revoked = row is not None and _revoke_family(uow, row.family_id, now or utcnow()) > 0
    return RevokeTokenResponse().dump({"revoked": revoked})


# --- API clients ----------------------------------------------------------------------------


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
