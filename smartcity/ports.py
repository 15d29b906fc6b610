"""TCP ports: whether one is free to listen on, and a free one to hand out.

nameko's web server (eventlet) binds with ``SO_REUSEPORT``: a second gateway on a busy port
would not fail, it would share the port's connections with the first one silently. A bind
without ``SO_REUSEPORT`` tells. ``SO_REUSEADDR`` lets the connections a stopped process left
in TIME_WAIT pass (as its restart will bind then), while Linux still refuses a port that a
socket listens on.
"""

from __future__ import annotations

import socket


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("", port))
        except OSError:
            return False
    return True


_HANDED_OUT: set[int] = set()


def free_port() -> int:
    """A port nobody listens on, never the same twice in this process: the kernel may give a
    released port 0 again, and two listeners handed one port would share it or fail (the
    bench's two gateways once shared one: its uncached row measured the cached gateway too)."""
    while True:
        with socket.socket() as sock:
            sock.bind(("", 0))
            port = sock.getsockname()[1]
        if port not in _HANDED_OUT:
            _HANDED_OUT.add(port)
            return port
