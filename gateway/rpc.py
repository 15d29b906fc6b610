"""RPC from the gateway to the services, with a deadline and a fast 'service is down'.

nameko 2's ``RpcProxy`` waits forever; the gateway must answer. ``Services`` gives each worker
``self.services.<name>.<method>(...)`` that raises ``ServiceUnavailable`` (503) at once when no
instance of the service consumes its RPC queue (or the broker cannot be reached: the message
says which), and ``GatewayTimeout`` (504) when the answer does not come within ``RPC_TIMEOUT``
seconds; the request then expires in the broker, never to be carried out late.
"""

from __future__ import annotations

import logging
from typing import Any

import eventlet
from eventlet.semaphore import Semaphore
from kombu import Connection
from nameko.constants import NON_PERSISTENT
from nameko.extensions import DependencyProvider, SharedExtension
from nameko.rpc import MethodProxy, ReplyListener

from shared.errors import GatewayTimeout, ServiceUnavailable
from shared.event_consumer import apply_reconnect_policy
from shared.rpc import call_with_deadline

apply_reconnect_policy()  # the gateway's reply consumer too reconnects within a second

log = logging.getLogger(__name__)

UP, DOWN, BROKER_DOWN = "up", "down", "broker_down"
CHECK_INTERVAL_S = 0.5
"""How often the directory re-counts the RPC consumers of the services it was asked about."""


class ServiceDirectory(SharedExtension):
    """Knows, without a request waiting for it, whether a service has a live RPC consumer.

    A background thread counts consumers every ``CHECK_INTERVAL_S`` over one kept connection;
    a request only reads the last answer. A call that timed out marks its service down at
    once, so the requests behind it get 503 instead of waiting out the deadline too, until the
    next count sees a consumer again. A broker that cannot be reached is told apart.
    """

    def setup(self) -> None:
        self._status: dict[str, str] = {}
        self._connection: Connection | None = None
        self._channel: Any = None  # kept open: opening one per count cost ~10 % of the gateway
        self._connection_lock = Semaphore()  # one AMQP connection, one green thread at a time
        self._running = False

    def start(self) -> None:
        self._running = True
        self.container.spawn_managed_thread(self._watch, identifier="service_directory")

    def stop(self) -> None:
        self._running = False
        # The watcher may be counting on this connection: closing it under that read raised
        # "Second simultaneous read", failed the container's stop, and the process was killed
        # only by `smartcity up`'s 20 s deadline.
        with self._connection_lock:
            self._close()

    def status(self, service: str) -> str:
        if service not in self._status:  # the first question about a service is answered now
            self._status[service] = self._count(service)
        return self._status[service]

    def mark_down(self, service: str) -> None:
        self._status[service] = DOWN

    def refresh(self) -> None:
        for service in list(self._status):
            self._status[service] = self._count(service)

    def _watch(self) -> None:
        while self._running:
            eventlet.sleep(CHECK_INTERVAL_S)
            if self._running:  # not after stop: it would open the connection again
                self.refresh()

    def _count(self, service: str) -> str:
        with self._connection_lock:
            return self._count_consumers(service)

    def _count_consumers(self, service: str) -> str:
        try:
            channel = self._open_channel()
            _name, _count, consumers = channel.queue_declare(f"rpc-{service}", passive=True)
            return UP if consumers > 0 else DOWN
        except Exception as exc:
            self._drop_channel()  # the broker closes a channel whose passive declare failed
            if self._connection is not None and self._connection.connected:
                return DOWN  # the channel failed: the queue was never declared
            log.warning("service directory: broker unreachable: %s", exc)
            self._close()
            return BROKER_DOWN

    def _connect(self) -> Connection:
        if self._connection is None:
            self._connection = Connection(self.container.config["AMQP_URI"], connect_timeout=1)
        self._connection.ensure_connection(max_retries=1)
        return self._connection

    def _open_channel(self) -> Any:
        connection = self._connect()
        if self._channel is not None and self._channel.connection is not connection.connection:
            self._drop_channel()  # a channel of the connection before a reconnect
        if self._channel is None:
            self._channel = connection.channel()
        return self._channel

    def _drop_channel(self) -> None:
        channel, self._channel = self._channel, None
        if channel is not None:
            try:
                channel.close()
            except Exception:  # already closed by the broker, or the connection is gone
                log.debug("service directory: channel already closed", exc_info=True)

    def _close(self) -> None:
        self._drop_channel()
        if self._connection is not None:
            self._connection.release()
            self._connection = None


class _TimedMethod:
    def __init__(self, method_proxy: Any, service: str, timeout: float, directory: Any):
        self._method_proxy = method_proxy
        self._service = service
        self._timeout = timeout
        self._directory = directory

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return call_with_deadline(
                self._method_proxy, *args, timeout=self._timeout, service=self._service, **kwargs
            )
        except GatewayTimeout:
            self._directory.mark_down(self._service)
            raise


class _TimedService:
    def __init__(
        self, worker_ctx: Any, reply_listener: Any, service: str, timeout: float, directory: Any
    ):
        self._worker_ctx = worker_ctx
        self._reply_listener = reply_listener
        self._service = service
        self._timeout = timeout
        self._directory = directory

    def __getattr__(self, method: str) -> _TimedMethod:
        status = self._directory.status(self._service)
        if status == BROKER_DOWN:
            raise ServiceUnavailable(
                "the message broker is unavailable; try again shortly",
                extra={"service": self._service, "cause": "broker"},
            )
        if status == DOWN:
            raise ServiceUnavailable(
                f"the {self._service} service is not running; try again shortly",
                extra={"service": self._service},
            )
        method_proxy = MethodProxy(
            self._worker_ctx,
            self._service,
            method,
            self._reply_listener,
            # Built to expire with the deadline (no copy per call), and transient: a request
            # that expires within seconds need not be written to the broker's disk first,
            # which publisher confirms of a persistent message would wait for.
            expiration=self._timeout,
            delivery_mode=NON_PERSISTENT,
        )
        return _TimedMethod(method_proxy, self._service, self._timeout, self._directory)


class _WorkerServices:
    def __init__(self, provider: Services, worker_ctx: Any):
        self._provider = provider
        self._worker_ctx = worker_ctx

    @property
    def context(self) -> dict[str, Any]:
        """Context data sent with every call: request id, and the caller once authenticated."""
        return self._worker_ctx.data

    def __getattr__(self, service: str) -> _TimedService:
        provider = self._provider
        return _TimedService(
            self._worker_ctx, provider.reply_listener, service, provider.timeout, provider.directory
        )


class Services(DependencyProvider):
    reply_listener = ReplyListener()
    directory = ServiceDirectory()

    def setup(self) -> None:
        self.timeout = float(self.container.config.get("RPC_TIMEOUT", 10))

    def get_dependency(self, worker_ctx: Any) -> _WorkerServices:
        return _WorkerServices(self, worker_ctx)
