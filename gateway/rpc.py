"""RPC from the gateway to the services, with a deadline and a fast 'service is down'.

nameko 2's ``RpcProxy`` waits forever; the gateway must answer. ``Services`` gives each worker
``self.services.<name>.<method>(...)`` that raises ``ServiceUnavailable`` (503) at once when no
instance of the service consumes its RPC queue, and ``GatewayTimeout`` (504) when the answer
does not come within ``RPC_TIMEOUT`` seconds.
"""

from __future__ import annotations

import time
from typing import Any

from kombu import Connection
from nameko.extensions import DependencyProvider, SharedExtension
from nameko.rpc import ReplyListener, ServiceProxy

from shared.errors import ServiceUnavailable
from shared.rpc import call_with_deadline

_CONSUMER_CHECK_TTL_S = 2.0


class ServiceDirectory(SharedExtension):
    """Knows, within a couple of seconds, whether a service has a live RPC consumer."""

    def setup(self) -> None:
        self._seen: dict[str, tuple[float, bool]] = {}

    def is_up(self, service: str) -> bool:
        checked_at, up = self._seen.get(service, (0.0, False))
        if time.monotonic() - checked_at < _CONSUMER_CHECK_TTL_S:
            return up
        up = self._has_consumers(service)
        self._seen[service] = (time.monotonic(), up)
        return up

    def _has_consumers(self, service: str) -> bool:
        try:
            with Connection(self.container.config["AMQP_URI"], connect_timeout=2) as conn:
                channel = conn.channel()
                _name, _count, consumers = channel.queue_declare(f"rpc-{service}", passive=True)
                return consumers > 0
        except Exception:  # queue never declared (service never ran) or broker away
            return False


class _TimedMethod:
    def __init__(self, method_proxy: Any, service: str, timeout: float):
        self._method_proxy = method_proxy
        self._service = service
        self._timeout = timeout

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return call_with_deadline(
            self._method_proxy, *args, timeout=self._timeout, service=self._service, **kwargs
        )


class _TimedService:
    def __init__(self, proxy: ServiceProxy, service: str, timeout: float, directory: Any):
        self._proxy = proxy
        self._service = service
        self._timeout = timeout
        self._directory = directory

    def __getattr__(self, method: str) -> _TimedMethod:
        if not self._directory.is_up(self._service):
            raise ServiceUnavailable(
                f"the {self._service} service is not running; try again shortly",
                extra={"service": self._service},
            )
        return _TimedMethod(getattr(self._proxy, method), self._service, self._timeout)


class _WorkerServices:
    def __init__(self, provider: Services, worker_ctx: Any):
        self._provider = provider
        self._worker_ctx = worker_ctx

    @property
    def context(self) -> dict[str, Any]:
        """Context data sent with every call: request id, and the caller once authenticated."""
        return self._worker_ctx.data

    def __getattr__(self, service: str) -> _TimedService:
        proxy = ServiceProxy(self._worker_ctx, service, self._provider.reply_listener)
        return _TimedService(proxy, service, self._provider.timeout, self._provider.directory)


class Services(DependencyProvider):
    reply_listener = ReplyListener()
    directory = ServiceDirectory()

    def setup(self) -> None:
        self.timeout = float(self.container.config.get("RPC_TIMEOUT", 10))

    def get_dependency(self, worker_ctx: Any) -> _WorkerServices:
        return _WorkerServices(self, worker_ctx)
