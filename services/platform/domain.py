"""The platform's pure rules: masking, password hashing, login backoff. No database, no
messaging (an import-linter contract holds it to that); ``handlers.py`` applies them."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from functools import cache
from typing import Any

RESIDENT_ROLE = "resident"
RESIDENT_SCOPES: tuple[str, ...] = ("self:read", "self:write")
"""A resident acts on their own data only; the gateway checks ``sub`` against the resource."""

FREE_LOGIN_FAILURES = 5
"""Failures of one account from one address before that address has to wait."""
BACKOFF_BASE = timedelta(seconds=30)
MAX_BACKOFF = timedelta(minutes=15)
FAILURE_MEMORY = timedelta(hours=24)
"""Failures older than this are forgotten (so is everything before a success)."""
BAD_CREDENTIALS = "wrong username or password"
"""One message for an unknown user and a wrong password: no account enumeration."""

API_KEY_PREFIX = "sc"


def mask_id_number(id_number: str) -> str:
    """All but the first 4 and last 4 characters hidden: ``2101**********123X``."""
    return id_number[:4] + "*" * (len(id_number) - 8) + id_number[-4:]


def mask_phone(phone: str) -> str:
    """The middle four digits of a mobile number hidden: ``138****5678``."""
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


# argon2id at OWASP's recommended minimum (19 MiB, 2 passes, 1 lane): about 40 ms here. The
# hash runs on the worker's green thread and holds the whole process for that long, so the
# library's heavier RFC 9106 default (64 MiB, 3 passes, ~160 ms) would stall every other
# request; ``check_needs_rehash`` upgrades stored hashes if these parameters are raised.
@cache
def _password_hasher() -> Any:
    # argon2 (with cffi: 0.35 MB) is imported on the first password checked or set, not at
    # start-up: most of the platform's calls never touch a password (bench/README.md "Memory").
    from argon2 import PasswordHasher

    return PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def hash_password(password: str) -> str:
    """An argon2id hash (random salt and parameters included in the string)."""
    return _password_hasher().hash(password)


def password_needs_rehash(password_hash: str) -> bool:
    """Whether a stored hash was made with weaker parameters than today's."""
    return _password_hasher().check_needs_rehash(password_hash)


def password_matches(password_hash: str, password: str) -> bool:
    hasher = _password_hasher()
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def unknown_user_hash() -> str:
    """A hash nobody knows the password of: checking it makes an unknown username cost as
    much time as a wrong password, so response times do not reveal which accounts exist."""
    return hash_password(secrets.token_urlsafe(32))


def login_backoff(failures: int, last_failure: datetime | None, now: datetime) -> float | None:
    """Seconds until one address may try one account again, or None when it may now.

    ``failures`` counts the failed attempts of this (account, address) pair since its last
    success (within ``FAILURE_MEMORY``); ``last_failure`` is the newest of them. The first
    ``FREE_LOGIN_FAILURES`` cost nothing; from then on each further try waits
    ``BACKOFF_BASE`` doubled per failure beyond that, up to ``MAX_BACKOFF``, after the last one.
    Only this pair waits: the owner logging in from another address is never locked out.
    """
    if failures < FREE_LOGIN_FAILURES or last_failure is None:
        return None
    doublings = min(failures - FREE_LOGIN_FAILURES, 16)  # 30 s * 2**16 is far past the cap
    delay = min(BACKOFF_BASE * 2**doublings, MAX_BACKOFF)
    remaining = (last_failure + delay - now).total_seconds()
    return remaining if remaining > 0 else None
