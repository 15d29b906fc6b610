"""TCP ports: whether one is free to listen on, and a free one to hand out.

nameko's web server (eventlet) binds with ``SO_REUSEPORT``: a second gateway on a busy port
would not fail, it would share the port's connections with the first one silently. A bind
without ``SO_REUSEPORT`` tells. ``SO_REUSEADDR`` lets the connections a stopped process left
in TIME_WAIT pass (as its restart will bind then), while Linux still refuses a port that a
socket listens on.
"""

from __future__ import annotations

import random
import socket
from pathlib import Path


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("", port))
        except OSError:
            return False
    return True


_HANDED_OUT: set[int] = set()
_EPHEMERAL_PORTS = Path("/proc/sys/net/ipv4/ip_local_port_range")
_LOWEST = 20000


def below_ephemeral() -> range:
    """Ports from 20000 up to the kernel's ephemeral range (32768 by default), from which no
    outgoing connection takes its local port."""
    try:
        ephemeral_from = int(_EPHEMERAL_PORTS.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        ephemeral_from = 32768  # Linux's default
    return range(_LOWEST, max(ephemeral_from, _LOWEST + 1000))


def free_port(within: range | None = None) -> int:
    """A port nobody listens on, never the same twice in this process, drawn from ``within``
    (by default ``below_ephemeral()``).

    Not ``bind(0)``: the kernel hands out the ephemeral range, from which the connections to
    the broker and PostgreSQL also take their local ports, so a port picked there could be a
    connection's by the time its server binds it (a suite's community once kept dying on its
    metrics port that way); and it may give a released port out again, when two listeners
    would share it or fail (the bench's two gateways once shared one).
    """
    ports = within or below_ephemeral()
    while True:
        port = random.choice(ports)
        if port not in _HANDED_OUT and port_free(port):
            _HANDED_OUT.add(port)
            return port
