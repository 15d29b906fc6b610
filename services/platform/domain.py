"""The platform's pure rules: masking, password hashing, login lockout. No database, no
messaging (an import-linter contract holds it to that); ``handlers.py`` applies them."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

RESIDENT_ROLE = "resident"
RESIDENT_SCOPES: tuple[str, ...] = ("self:read", "self:write")
"""A resident acts on their own data only; the gateway checks ``sub`` against the resource."""

MAX_LOGIN_FAILURES = 5
LOCKOUT_WINDOW = timedelta(minutes=15)
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
_password_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def hash_password(password: str) -> str:
    """An argon2id hash (random salt and parameters included in the string)."""
    return _password_hasher.hash(password)


def password_needs_rehash(password_hash: str) -> bool:
    """Whether a stored hash was made with weaker parameters than today's."""
    return _password_hasher.check_needs_rehash(password_hash)


def password_matches(password_hash: str, password: str) -> bool:
    try:
        return _password_hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def unknown_user_hash() -> str:
    """A hash nobody knows the password of: checking it makes an unknown username cost as
    much time as a wrong password, so response times do not reveal which accounts exist."""
    return hash_password(secrets.token_urlsafe(32))


def lockout_remaining(failures: Sequence[datetime], now: datetime) -> float | None:
    """Seconds until a login may be tried again, or None when it is not locked.

    ``failures`` are the times of failed attempts since the last success. The account is
    locked while ``MAX_LOGIN_FAILURES`` of them lie within ``LOCKOUT_WINDOW`` before ``now``;
    it opens when the oldest of those leaves the window.
    """
    window_start = now - LOCKOUT_WINDOW
    recent = sorted((at for at in failures if at > window_start), reverse=True)
    if len(recent) < MAX_LOGIN_FAILURES:
        return None
    opens_at = recent[MAX_LOGIN_FAILURES - 1] + LOCKOUT_WINDOW
    return (opens_at - now).total_seconds()
