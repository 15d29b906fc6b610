"""RPC: calls with a deadline, and the ``@rpc`` entrypoint that answers them.

nameko 2's ``RpcProxy`` would wait forever. The request message expires (AMQP ``expiration``)
when the caller's deadline passes, so a callee that comes back later never carries out a write
whose caller already gave up. Every service declares its methods with ``rpc`` from here, not
nameko's: its replies skip two costs (see ``_Responder``); the wire format is nameko's.
"""

from __future__ import annotations

import copy
import inspect
import sys
from collections.abc import Mapping
from typing import Any

import eventlet
import kombu.serialization
from nameko import rpc as nameko_rpc
from nameko.amqp.publish import Publisher
from nameko.constants import (
    AMQP_SSL_CONFIG_KEY,
    AMQP_URI_CONFIG_KEY,
    DEFAULT_SERIALIZER,
    DEFAULT_TRANSPORT_OPTIONS,
    LOGIN_METHOD_CONFIG_KEY,
    SERIALIZER_CONFIG_KEY,
)
from nameko.exceptions import (
    IncorrectSignature,
    MethodNotFound,
    UnknownService,
    UnserializableValueError,
    serialize,
)
from nameko.rpc import Responder, RpcConsumer, get_rpc_exchange

from shared.errors import GatewayTimeout, ServiceUnavailable

DEFAULT_CONSUMER_RPC_TIMEOUT_S = 2.0
"""Deadline of RPCs a service makes to another service: short next to the gateway's
``RPC_TIMEOUT``, so that a dead callee holds a worker briefly, not for the edge's 10 s."""


def consumer_rpc_timeout(config: Mapping[str, Any]) -> float:
    """The deadline of service-to-service calls (``CONSUMER_RPC_TIMEOUT``)."""
    return float(config.get("CONSUMER_RPC_TIMEOUT", DEFAULT_CONSUMER_RPC_TIMEOUT_S))


def call_with_deadline(
    method_proxy: Any, *args: Any, timeout: float, service: str, **kwargs: Any
) -> Any:
    """Call ``proxy.<service>.<method>`` and wait at most ``timeout`` seconds for the answer.

    Raises ``GatewayTimeout`` (504 at the gateway) when the answer does not come in time; the
    request expires in the broker at the same moment, and a late answer is dropped by nameko's
    reply listener. Raises ``ServiceUnavailable`` (503) when no instance of ``service`` ever
    declared its queue (nameko's ``UnknownService``).
    """
    try:
        reply = with_expiry(method_proxy, timeout).call_async(*args, **kwargs)
        with eventlet.Timeout(timeout):
            return reply.result()
    except UnknownService:
        raise ServiceUnavailable(f"{service} is not running", extra={"service": service}) from None
    except eventlet.Timeout:
        raise GatewayTimeout(
            f"{service} did not answer within {timeout:g} s", extra={"service": service}
        ) from None


def with_expiry(method_proxy: Any, seconds: float) -> Any:
    """A copy of a nameko ``MethodProxy`` whose request messages expire after ``seconds``.

    nameko 2's ``_call`` passes no per-call publish options, but its ``Publisher`` sends its
    ``expiration`` attribute with every message; the copy keeps the caller's proxy unchanged.
    A proxy built to expire so already (the gateway's) is used as it is.
    """
    if method_proxy.publisher.expiration == seconds:
        return method_proxy
    expiring = copy.copy(method_proxy)
    expiring.publisher = copy.copy(method_proxy.publisher)
    expiring.publisher.expiration = seconds
    return expiring


# --- the entrypoint that answers ------------------------------------------------------------


class UnconfirmedPublisher(Publisher):
    """nameko's ``Publisher`` without confirms, with a ``transport_options`` dict of its own.

    nameko's publish writes ``confirm_publish`` into its class's dict, which every
    ``Publisher`` of the process shares, and kombu's pooled connections keep a reference to it
    and read it again when they reconnect: sharing it, these replies would turn confirms off
    under the confirmed publishers (the dead-letter copies of ``shared.messaging``)."""

    use_confirms = False
    transport_options = {**DEFAULT_TRANSPORT_OPTIONS, "confirm_publish": False}


class _Responder(Responder):
    """nameko's reply, less two costs that buy a caller nothing.

    - **No publisher confirm.** A reply goes to the caller's own reply queue, which lives only
      as long as the caller's connection. Whatever could lose the reply (the broker or that
      connection going away) also loses the queue, so a confirm cannot make it arrive: the
      caller times out either way, and a write the callee committed stays committed. Waiting
      for the confirm kept each worker for one more broker round trip and made the broker
      send one more frame per call.
    - **One encoding.** nameko encodes ``result`` once to check it and once more to send it;
      here the reply is encoded once, and only an answer that cannot be encoded is replaced by
      the ``UnserializableValueError`` that nameko would send.
    """

    publisher_cls = UnconfirmedPublisher

    def send_response(self, result: Any, exc_info: Any) -> tuple[Any, Any]:
        error = serialize(exc_info[1]) if exc_info is not None else None
        serializer = kombu.serialization.registry.type_to_name[
            self.message.properties["content_type"]  # answered as the request was encoded
        ]
        try:
            encoded = kombu.serialization.dumps({"result": result, "error": error}, serializer)
        except Exception:
            exc_info = sys.exc_info()
            error, result = serialize(UnserializableValueError(result)), None
            encoded = kombu.serialization.dumps({"result": None, "error": error}, serializer)
        content_type, content_encoding, body = encoded
        self.publisher_cls(self.amqp_uri, ssl=self.ssl, login_method=self.login_method).publish(
            body,
            content_type=content_type,
            content_encoding=content_encoding,
            exchange=self.exchange,
            routing_key=self.message.properties["reply_to"],
            correlation_id=self.message.properties.get("correlation_id"),
        )
        return result, exc_info


class _RpcConsumer(RpcConsumer):
    """nameko's RPC consumer with ``_Responder``, and its method found by a dict lookup (nameko
    formats a key for every method of the service on every message)."""

    def __init__(self) -> None:
        super().__init__()
        self._by_routing_key: dict[str, Any] = {}  # filled as the entrypoints set up

    def setup(self) -> None:
        super().setup()
        plain = [
            entrypoint.method_name
            for entrypoint in self.container.entrypoints
            if isinstance(entrypoint, nameko_rpc.Rpc) and not isinstance(entrypoint, Rpc)
        ]
        if plain:
            # nameko's own consumer would compete for the same queue and answer "method not
            # found" for every method it does not hold.
            raise TypeError(
                f"{self.container.service_name}: {', '.join(sorted(plain))} use nameko.rpc.rpc; "
                "declare every method with shared.rpc.rpc"
            )

    def register_provider(self, provider: Any) -> None:
        super().register_provider(provider)
        self._by_routing_key[f"{self.container.service_name}.{provider.method_name}"] = provider

    def get_provider_for_method(self, routing_key: str) -> Any:
        try:
            return self._by_routing_key[routing_key]
        except KeyError:
            raise MethodNotFound(routing_key.split(".")[-1]) from None

    def handle_result(self, message: Any, result: Any, exc_info: Any) -> tuple[Any, Any]:
        config = self.container.config
        responder = _Responder(
            config[AMQP_URI_CONFIG_KEY],
            get_rpc_exchange(config),
            config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER),
            message,
            ssl=config.get(AMQP_SSL_CONFIG_KEY),
            login_method=config.get(LOGIN_METHOD_CONFIG_KEY),
        )
        result, exc_info = responder.send_response(result, exc_info)
        self.queue_consumer.ack_message(message)
        return result, exc_info


class Rpc(nameko_rpc.Rpc):
    """``@rpc`` of every service: nameko's, answered by ``_RpcConsumer``, and with the
    method's signature read once (``inspect.getcallargs`` read it anew for every call)."""

    rpc_consumer = _RpcConsumer()

    def setup(self) -> None:
        super().setup()
        method = getattr(self.container.service_cls, self.method_name)
        # The method's own parameters, not a decorated function's: as getcallargs reads them.
        self._signature = inspect.signature(method, follow_wrapped=False)

    def check_signature(self, args: tuple, kwargs: dict) -> None:
        try:
            self._signature.bind(None, *args, **kwargs)  # None: the unbound method's self
        except TypeError as exc:
            raise IncorrectSignature(str(exc)) from None


rpc = Rpc.decorator
