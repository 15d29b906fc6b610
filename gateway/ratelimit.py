"""Fixed-window rate limits per client and per IP address, and failure budgets per IP.

Two kinds of limit, all counted per window:

- requests: at most ``RATE_LIMIT_PER_IP`` per address and ``RATE_LIMIT_PER_CLIENT`` per
  authenticated client a minute (``RateLimiter.check``, on every route but the probes);
- budgets (``Budget``): what one address may spend across every account, before the platform
  is even asked: failed logins, failed authentications (bad API keys, bad or revoked
  tokens) and registrations. Over budget is 429 with ``Retry-After``.

With ``REDIS_URL`` set the counters live in Redis, so the limits hold across every gateway
instance; without it each instance counts on its own (fine for one instance, documented).
The counters are one ``SourceCounters`` per gateway process, shared by the rate limiter and
the authenticator.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from nameko.extensions import DependencyProvider, SharedExtension
from werkzeug.wrappers import Request

from gateway.access import Principal
from shared.config import env
from shared.errors import RateLimited

log = logging.getLogger(__name__)

WINDOW_S = 60
_MEMORY_KEYS_BEFORE_PRUNING = 10_000


@dataclass(frozen=True)
class Budget:
    """At most ``default`` events of one kind per client address per ``window_s`` seconds;
    the limit is the nameko config key or environment variable ``setting``."""

    name: str
    setting: str
    default: int
    window_s: int
    refusal: str


LOGIN_FAILURES = Budget(
    "login_failures",
    "LOGIN_FAILURES_PER_IP",
    20,
    600,
    "too many failed logins from this address",
)
"""Password spraying: 20 wrong passwords per 10 minutes from one address, whatever the
accounts (the platform also slows each account down per address)."""
AUTH_FAILURES = Budget(
    "auth_failures",
    "AUTH_FAILURES_PER_IP",
    30,
    60,
    "too many failed authentications from this address",
)
"""Bad API keys and bad, expired or revoked tokens: 30 a minute from one address, each of
which could otherwise cost a platform RPC."""
REGISTRATIONS = Budget(
    "registrations",
    "REGISTRATIONS_PER_IP",
    10,
    3600,
    "too many registrations from this address",
)
"""Real-name registrations (successful or not): 10 an hour from one address."""


class _MemoryCounter:
    """Counts per (key, window) in this process; old windows are pruned as it grows."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, int, int], int] = {}

    def hit(self, key: str, window_s: int, amount: int = 1) -> int:
        now = time.time()
        if len(self._counts) > _MEMORY_KEYS_BEFORE_PRUNING:
            self._counts = {
                slot: count for slot, count in self._counts.items() if (slot[2] + 1) * slot[1] > now
            }
        slot = (key, window_s, int(now // window_s))
        self._counts[slot] = self._counts.get(slot, 0) + amount
        return self._counts[slot]


class _RedisCounter:
    def __init__(self, url: str, prefix: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=1)
        self._errors = redis.RedisError
        self._prefix = prefix

    def hit(self, key: str, window_s: int, amount: int = 1) -> int:
        name = f"{self._prefix}:ratelimit:{key}:{window_s}:{int(time.time() // window_s)}"
        try:
            pipe = self._redis.pipeline()
            pipe.incrby(name, amount)
            pipe.expire(name, window_s * 2)
            count, _ = pipe.execute()
        except self._errors as exc:
            # Fail open: a rate limiter that is down must not take the city's API with it.
            log.warning("rate limiter: Redis unavailable (%s); not limiting", exc)
            return 0
        return int(count)


def _setting(config: dict[str, Any], name: str, default: int) -> int:
    """A limit: the nameko config key, else the environment variable, else ``default``."""
    return int(config.get(name, env(name, str(default))))


def _retry_after(window_s: int) -> int:
    return int(window_s - time.time() % window_s) + 1


class SourceCounters(SharedExtension):
    """The counters of one gateway process, and who the client is."""

    def setup(self) -> None:
        config = self.container.config
        self.behind_proxy = env("BEHIND_PROXY", "0") == "1"
        redis_url = config.get("REDIS_URL", env("REDIS_URL", ""))
        prefix = config.get("RATE_LIMIT_PREFIX", env("RATE_LIMIT_PREFIX", "smartcity"))
        self.counter = _RedisCounter(redis_url, prefix) if redis_url else _MemoryCounter()

    def client_ip(self, request: Request) -> str:
        # Behind a load balancer the client address is the first X-Forwarded-For hop; trust
        # that header only when told to, or anyone could pick a fresh address per request.
        return (request.access_route[0] if self.behind_proxy else request.remote_addr) or "?"

    def refuse_if_spent(self, budget: Budget, ip: str) -> None:
        """``RateLimited`` when ``ip`` has used up ``budget`` in this window (spends nothing)."""
        limit = _setting(self.container.config, budget.setting, budget.default)
        if self.counter.hit(f"{budget.name}:{ip}", budget.window_s, 0) >= limit:
            retry_after = _retry_after(budget.window_s)
            raise RateLimited(
                f"{budget.refusal}; retry in {retry_after} s", extra={"retry_after": retry_after}
            )

    def spend(self, budget: Budget, ip: str) -> None:
        self.counter.hit(f"{budget.name}:{ip}", budget.window_s)


class RateLimiter(DependencyProvider):
    counters = SourceCounters()

    def setup(self) -> None:
        self.per_client = _setting(self.container.config, "RATE_LIMIT_PER_CLIENT", 600)
        self.per_ip = _setting(self.container.config, "RATE_LIMIT_PER_IP", 1200)

    def get_dependency(self, worker_ctx: Any) -> RateLimiter:
        return self

    def client_ip(self, request: Request) -> str:
        return self.counters.client_ip(request)

    def refuse_if_spent(self, budget: Budget, request: Request) -> None:
        self.counters.refuse_if_spent(budget, self.client_ip(request))

    def spend(self, budget: Budget, request: Request) -> None:
        self.counters.spend(budget, self.client_ip(request))

    def check(self, principal: Principal | None, request: Request) -> None:
        retry_after = _retry_after(WINDOW_S)
        ip = self.client_ip(request)
        if self.counters.counter.hit(f"ip:{ip}", WINDOW_S) > self.per_ip:
            raise RateLimited(
                f"too many requests from {ip}; retry in {retry_after} s",
                extra={"retry_after": retry_after},
            )
        if (
            principal is not None
            and self.counters.counter.hit(f"client:{principal.id}", WINDOW_S) > self.per_client
        ):
            raise RateLimited(
                f"too many requests for this client; retry in {retry_after} s",
                extra={"retry_after": retry_after},
            )
