"""RPC calls with a deadline: nameko 2's ``RpcProxy`` would wait forever."""

from __future__ import annotations

from typing import Any

import eventlet

from shared.errors import GatewayTimeout


def call_with_deadline(
    method_proxy: Any, *args: Any, timeout: float, service: str, **kwargs: Any
) -> Any:
    """Call ``proxy.<service>.<method>`` and wait at most ``timeout`` seconds for the answer.

    Raises ``GatewayTimeout`` (504 at the gateway) when the answer does not come in time; a late
    answer is dropped by nameko's reply listener.
    """
    reply = method_proxy.call_async(*args, **kwargs)
    try:
        with eventlet.Timeout(timeout):
            return reply.result()
    except eventlet.Timeout:
        raise GatewayTimeout(
            f"{service} did not answer within {timeout:g} s", extra={"service": service}
        ) from None
