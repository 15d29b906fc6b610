"""Resident access tokens (JWT, HS256) and refresh-token values.

The platform issues access tokens; the gateway verifies them on every request without a
round trip, so both must use the same secret: ``JWT_SECRET``, or else a random secret created
once in ``var_dir()/jwt-secret`` (mode 0600) that every process of one machine shares. A
deployment on several hosts must set ``JWT_SECRET`` (at least 32 characters) on all of them.

Pure (no database, no nameko): the gateway verifies tokens with it, the platform issues them.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import tempfile
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shared.config import env, var_dir
from shared.errors import Unauthorized

ALGORITHM = "HS256"
ISSUER = "smartcity-platform"
TOKEN_TYPE = "Bearer"  # noqa: S105 - the OAuth token type, not a secret
DEFAULT_ACCESS_TOKEN_TTL_S = 900
DEFAULT_REFRESH_TOKEN_TTL_S = 14 * 24 * 3600
MIN_SECRET_LENGTH = 32
# A verifier whose clock runs a little behind the issuer's must still accept a fresh token.
CLOCK_SKEW_S = 30
SECRET_FILE_NAME = "jwt-secret"  # noqa: S105 - a file name, not a secret
REQUIRED_CLAIMS = ("sub", "role", "scopes", "exp", "iat", "jti", "iss", "sid")

_file_secrets: dict[Path, str] = {}


def jwt_secret() -> str:
    """The HMAC key of access tokens: ``JWT_SECRET``, else this machine's generated one."""
    return machine_secret("JWT_SECRET", SECRET_FILE_NAME)


def machine_secret(variable: str, file_name: str) -> str:
    """An HMAC key: the environment variable ``variable``, else a random key created once in
    ``var_dir()/<file_name>`` that every process of this machine shares.

    Raises ``ValueError`` for a configured secret shorter than 32 characters: HS256 with a
    short key can be brute-forced offline from anything it signed.
    """
    configured = os.environ.get(variable)
    if configured:
        if len(configured) < MIN_SECRET_LENGTH:
            raise ValueError(f"{variable} must be at least {MIN_SECRET_LENGTH} characters")
        return configured
    path = var_dir() / file_name
    if path not in _file_secrets:
        _file_secrets[path] = _read_or_create_secret(path)
    return _file_secrets[path]


def _read_or_create_secret(path: Path) -> str:
    """Create the secret file atomically, or read the one another process created first.

    The secret is written to a private temporary file that is then hard-linked into place:
    the link either succeeds with complete content or fails because the file already exists,
    so no process ever reads a half-written secret.
    """
    if not path.exists():
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".jwt-secret-")
        try:
            with os.fdopen(descriptor, "w") as handle:  # mkstemp creates it with mode 0600
                handle.write(secrets.token_urlsafe(48))
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(temporary)
    secret = path.read_text().strip()
    if len(secret) < MIN_SECRET_LENGTH:
        raise ValueError(f"{path} holds a secret shorter than {MIN_SECRET_LENGTH} characters")
    return secret


def access_token_ttl() -> int:
    """Lifetime of an access token in seconds (``ACCESS_TOKEN_TTL``, default 900)."""
    return int(env("ACCESS_TOKEN_TTL", str(DEFAULT_ACCESS_TOKEN_TTL_S)))


def refresh_token_ttl() -> int:
    """Lifetime of a refresh token in seconds (``REFRESH_TOKEN_TTL``, default 14 days)."""
    return int(env("REFRESH_TOKEN_TTL", str(DEFAULT_REFRESH_TOKEN_TTL_S)))


def issue_access_token(
    subject: str,
    role: str,
    scopes: Sequence[str],
    *,
    session_id: str,
    now: datetime | None = None,
    ttl_seconds: int | None = None,
    secret: str | None = None,
) -> str:
    """A signed access token for ``subject`` (a citizen card number).

    Claims: ``sub``, ``role``, ``scopes``, ``iat``, ``exp`` (``iat`` + TTL), ``jti`` (unique,
    for log correlation and deny lists), ``iss`` and ``sid``: the login (refresh-token
    family) it belongs to, which the gateway checks so that logging out ends it at once.
    """
    # PyJWT is imported by the two functions that sign and check tokens, not with the module:
    # a platform process that issues none does not carry it (bench/README.md "Memory").
    import jwt

    issued_at = int((now or datetime.now(UTC)).timestamp())
    claims = {
        "sub": subject,
        "role": role,
        "scopes": list(scopes),
        "iat": issued_at,
        "exp": issued_at + (access_token_ttl() if ttl_seconds is None else ttl_seconds),
        "jti": uuid.uuid4().hex,
        "iss": ISSUER,
        "sid": session_id,
    }
    return jwt.encode(claims, secret or jwt_secret(), algorithm=ALGORITHM)


def verify_access_token(
    token: str, *, now: datetime | None = None, secret: str | None = None
) -> dict[str, Any]:
    """The claims of a valid token; ``Unauthorized`` saying whether it expired or is invalid.

    Only HS256 is accepted (never ``none`` or an algorithm named by the token). The time
    checks are done here against ``now`` rather than by PyJWT, so tests can fix the clock.
    A token may not live longer than ``access_token_ttl()`` (``exp - iat``) nor be issued in
    the future beyond ``CLOCK_SKEW_S``: a correctly signed 10-year token is still refused.
    """
    import jwt

    if not isinstance(token, str) or not token:
        raise Unauthorized("access token missing")
    try:
        claims = jwt.decode(
            token,
            secret or jwt_secret(),
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={
                "require": list(REQUIRED_CLAIMS),
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
    except jwt.InvalidSignatureError:
        raise Unauthorized("access token invalid: bad signature") from None
    except jwt.MissingRequiredClaimError as exc:
        raise Unauthorized(f"access token invalid: missing claim {exc.claim}") from None
    except jwt.InvalidIssuerError:
        raise Unauthorized("access token invalid: wrong issuer") from None
    except jwt.InvalidTokenError:
        raise Unauthorized("access token invalid: malformed") from None
    if not isinstance(claims["exp"], int) or not isinstance(claims["iat"], int):
        raise Unauthorized("access token invalid: exp and iat must be integers")
    current = int((now or datetime.now(UTC)).timestamp())
    if claims["exp"] <= current:
        raise Unauthorized("access token expired")
    if claims["iat"] > current + CLOCK_SKEW_S:
        raise Unauthorized("access token invalid: issued in the future")
    if claims["exp"] - claims["iat"] > access_token_ttl():
        raise Unauthorized("access token invalid: lifetime longer than allowed")
    if not isinstance(claims["sid"], str) or not claims["sid"]:
        raise Unauthorized("access token invalid: sid must be a session id")
    return claims


def new_opaque_token() -> str:
    """A refresh-token value: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def token_digest(value: str) -> str:
    """SHA-256 (hex) of a high-entropy token or API key: what the database stores.

    A fast hash is right here, unlike for passwords: the value has 256 random bits, so there
    is nothing to guess.
    """
    return hashlib.sha256(value.encode()).hexdigest()
