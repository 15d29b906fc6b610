"""RPC calls with a deadline: nameko 2's ``RpcProxy`` would wait forever.

The request message expires (AMQP ``expiration``) when the caller's deadline passes, so a
callee that comes back later never carries out a write whose caller already gave up.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import eventlet
from nameko.exceptions import UnknownService

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
