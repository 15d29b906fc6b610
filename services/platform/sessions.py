"""Login sessions: access and refresh tokens, failure budgets, rotation and revocation.

Each function takes the worker's ``UnitOfWork``; the service commits. A failed login is
recorded, and a reused refresh token revokes its whole family, before the error is raised.
Functions take an optional ``now`` so tests can fix the clock.
"""

from __future__ import annotations

import math
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update

from services.platform.domain import (
    BAD_CREDENTIALS,
    FAILURE_MEMORY,
    RESIDENT_ROLE,
    RESIDENT_SCOPES,
    hash_password,
    login_backoff,
    password_matches,
    password_needs_rehash,
    unknown_user_hash,
)
from services.platform.handlers import resident_by_card, resident_by_id_number
from services.platform.models import (
    LoginAttempt,
    RefreshToken,
)
from shared import tokens
from shared.clock import utcnow
from shared.contracts.common import load
from shared.contracts.platform import (
    IssueTokenRequest,
    RefreshTokenRequest,
    RevokeTokenResponse,
    SessionRequest,
    SessionStatus,
    TokenResponse,
)
from shared.errors import RateLimited, Unauthorized
from shared.identity import (
    identify,
)

if TYPE_CHECKING:
    from shared.db import UnitOfWork


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
        found = resident_by_card(uow, value)
    elif kind == "id_number":
        found = resident_by_id_number(uow, value)
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
