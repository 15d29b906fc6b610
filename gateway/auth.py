"""Who is calling: a resident's access token (JWT, verified here) or an API client's key."""

from __future__ import annotations

import hashlib
import time
from typing import Any

from nameko.extensions import DependencyProvider
from werkzeug.wrappers import Request

from gateway.access import Principal
from shared.errors import Unauthorized
from shared.tokens import verify_access_token

API_KEY_PREFIX = "sc_"
# A revoked key keeps working for at most this long on each gateway instance.
API_KEY_CACHE_TTL_S = 30.0


class Authenticator(DependencyProvider):
    def setup(self) -> None:
        self._api_keys: dict[str, tuple[float, Principal]] = {}

    def get_dependency(self, worker_ctx: Any) -> Authenticator:
        return self

    def authenticate(self, request: Request, services: Any) -> Principal | None:
        header = request.headers.get("Authorization")
        if not header:
            return None
        scheme, _, credential = header.partition(" ")
        credential = credential.strip()
        if scheme.lower() != "bearer" or not credential:
            raise Unauthorized("Authorization must be 'Bearer <access token or API key>'")
        if credential.startswith(API_KEY_PREFIX):
            return self._api_client(credential, services)
        claims = verify_access_token(credential)
        return Principal(
            id=claims["sub"], role=claims["role"], scopes=frozenset(claims.get("scopes", ()))
        )

    def _api_client(self, api_key: str, services: Any) -> Principal:
        digest = hashlib.sha256(api_key.encode()).hexdigest()
        cached = self._api_keys.get(digest)
        if cached and time.monotonic() - cached[0] < API_KEY_CACHE_TTL_S:
            return cached[1]
        client = services.platform.authenticate_api_key(api_key)
        principal = Principal(
            id=client["client_id"],
            role=client["role"],
            department=client.get("department"),
            scopes=frozenset(client.get("scopes") or ()),
        )
        self._api_keys[digest] = (time.monotonic(), principal)
        return principal
