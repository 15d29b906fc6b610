"""Whether a TCP port is free to listen on, asked before a process binds it.

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
