"""Who is calling: a resident's access token (JWT, verified here) or an API client's key.

Every failed authentication (a malformed header, a bad or revoked key, a bad, expired or
logged-out token) spends the caller's address's ``AUTH_FAILURES`` budget; an address over it
is refused with 429 before anything is verified or the platform is asked.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from nameko.extensions import DependencyProvider
from werkzeug.wrappers import Request

from gateway.access import Principal
from gateway.ratelimit import AUTH_FAILURES, SourceCounters
from shared.errors import Unauthorized
from shared.tokens import verify_access_token

API_KEY_PREFIX = "sc_"
# A revoked key keeps working for at most this long on each gateway instance.
API_KEY_CACHE_TTL_S = 30.0
# An unknown key is refused without a platform RPC for this long after the first refusal.
BAD_KEY_CACHE_TTL_S = 5.0
# A logged-out (or reuse-revoked) login's access tokens stop working within this long.
SESSION_CACHE_TTL_S = 5.0
_CACHE_ENTRIES_BEFORE_CLEARING = 10_000


class _TtlCache:
    """A small per-process cache of recent answers; cleared whole when it grows too big."""

    def __init__(self, ttl_s: float) -> None:
        self._ttl_s = ttl_s
        self._entries: dict[str, tuple[float, Any]] = {}

    def get(self, key: str) -> Any | None:
        entry = self._entries.get(key)
        if entry and time.monotonic() - entry[0] < self._ttl_s:
            return entry[1]
        return None

    def put(self, key: str, value: Any) -> None:
        if len(self._entries) > _CACHE_ENTRIES_BEFORE_CLEARING:
            self._entries.clear()
        self._entries[key] = (time.monotonic(), value)


class Authenticator(DependencyProvider):
    counters = SourceCounters()

    def setup(self) -> None:
        self._api_keys = _TtlCache(API_KEY_CACHE_TTL_S)
        self._bad_keys = _TtlCache(BAD_KEY_CACHE_TTL_S)
        self._sessions = _TtlCache(SESSION_CACHE_TTL_S)

    def get_dependency(self, worker_ctx: Any) -> Authenticator:
        return self

    def authenticate(self, request: Request, services: Any) -> Principal | None:
        header = request.headers.get("Authorization")
        if not header:
            return None
        ip = self.counters.client_ip(request)
        self.counters.refuse_if_spent(AUTH_FAILURES, ip)
        try:
            return self._principal(header, services)
        except Unauthorized:
            self.counters.spend(AUTH_FAILURES, ip)
            raise

    def _principal(self, header: str, services: Any) -> Principal:
        scheme, _, credential = header.partition(" ")
        credential = credential.strip()
        if scheme.lower() != "bearer" or not credential:
            raise Unauthorized("Authorization must be 'Bearer <access token or API key>'")
        if credential.startswith(API_KEY_PREFIX):
            return self._api_client(credential, services)
        claims = verify_access_token(credential)
        if not self._session_active(claims["sid"], services):
            raise Unauthorized("access token revoked: the login has ended")
        return Principal(
            id=claims["sub"], role=claims["role"], scopes=frozenset(claims.get("scopes", ()))
        )

    def _session_active(self, session_id: str, services: Any) -> bool:
        """Whether the token's login is still live, asked of the platform at most once per
        ``SESSION_CACHE_TTL_S`` per login on this instance: logging out ends it within that."""
        active = self._sessions.get(session_id)
        if active is None:
            active = services.platform.session_active(session_id)["active"]
            self._sessions.put(session_id, active)
        return active

    def _api_client(self, api_key: str, services: Any) -> Principal:
        digest = hashlib.sha256(api_key.encode()).hexdigest()
        cached = self._api_keys.get(digest)
        if cached is not None:
            return cached
        refusal = self._bad_keys.get(digest)
        if refusal is not None:
            raise Unauthorized(refusal)
        try:
            client = services.platform.authenticate_api_key(api_key)
        except Unauthorized as exc:
            self._bad_keys.put(digest, exc.message)
            raise
        principal = Principal(
            id=client["client_id"],
            role=client["role"],
            department=client.get("department"),
            unit=client.get("unit"),
            scopes=frozenset(client.get("scopes") or ()),
        )
        self._api_keys.put(digest, principal)
        return principal
