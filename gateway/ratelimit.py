"""Fixed-window rate limits per client and per IP address.

With ``REDIS_URL`` set the counters live in Redis, so the limit holds across every gateway
instance; without it each instance counts on its own (fine for one instance, documented).
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from typing import Any

from nameko.extensions import DependencyProvider
from werkzeug.wrappers import Request

from gateway.access import Principal
from shared.config import env
from shared.errors import RateLimited

log = logging.getLogger(__name__)

WINDOW_S = 60


class _MemoryCounter:
    def __init__(self) -> None:
        self._counts: dict[str, int] = defaultdict(int)
        self._window = 0

    def hit(self, key: str, window: int) -> int:
        if window != self._window:
            self._counts.clear()
            self._window = window
        self._counts[key] += 1
        return self._counts[key]


class _RedisCounter:
    def __init__(self, url: str, prefix: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=1)
        self._errors = redis.RedisError
        self._prefix = prefix

    def hit(self, key: str, window: int) -> int:
        name = f"{self._prefix}:ratelimit:{key}:{window}"
        try:
            pipe = self._redis.pipeline()
            pipe.incr(name)
            pipe.expire(name, WINDOW_S * 2)
            count, _ = pipe.execute()
        except self._errors as exc:
            # Fail open: a rate limiter that is down must not take the city's API with it.
            log.warning("rate limiter: Redis unavailable (%s); not limiting", exc)
            return 0
        return int(count)


class RateLimiter(DependencyProvider):
    def setup(self) -> None:
        config = self.container.config
        self.per_client = int(
            config.get("RATE_LIMIT_PER_CLIENT", env("RATE_LIMIT_PER_CLIENT", "600"))
        )
        self.per_ip = int(config.get("RATE_LIMIT_PER_IP", env("RATE_LIMIT_PER_IP", "1200")))
        self.behind_proxy = env("BEHIND_PROXY", "0") == "1"
        redis_url = config.get("REDIS_URL", env("REDIS_URL", ""))
        prefix = config.get("RATE_LIMIT_PREFIX", env("RATE_LIMIT_PREFIX", "smartcity"))
        self.counter = _RedisCounter(redis_url, prefix) if redis_url else _MemoryCounter()

    def get_dependency(self, worker_ctx: Any) -> RateLimiter:
        return self

    def check(self, principal: Principal | None, request: Request) -> None:
        now = time.time()
        window = int(now // WINDOW_S)
        retry_after = int(WINDOW_S - now % WINDOW_S) + 1
        # Behind a load balancer the client address is the first X-Forwarded-For hop; trust
        # that header only when told to, or anyone could pick a fresh address per request.
        ip = (request.access_route[0] if self.behind_proxy else request.remote_addr) or "?"
        if self.counter.hit(f"ip:{ip}", window) > self.per_ip:
            raise RateLimited(
                f"too many requests from {ip}; retry in {retry_after} s",
                extra={"retry_after": retry_after},
            )
        if (
            principal is not None
            and self.counter.hit(f"client:{principal.id}", window) > self.per_client
        ):
            raise RateLimited(
                f"too many requests for this client; retry in {retry_after} s",
                extra={"retry_after": retry_after},
            )
