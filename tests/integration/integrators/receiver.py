"""An integrator's HTTP endpoint for tests: records every request, answers from a script per
path (default 200), and can hang on a path until released."""

import hashlib
import hmac
import json
import time

import eventlet
import eventlet.wsgi
from eventlet.event import Event

FRESHNESS_S = 300


class Receiver:
    def __init__(self):
        self.requests: list[dict] = []
        self.scripts: dict[str, list[int]] = {}
        self.hanging: set[str] = set()
        self.waiting: dict[str, int] = {}
        self.release = Event()
        self.sock = eventlet.listen(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = eventlet.spawn(eventlet.wsgi.server, self.sock, self.app, log_output=False)

    def close(self):
        self.release.send()
        self.thread.kill()
        self.sock.close()

    def app(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length)
        path = environ["PATH_INFO"]
        if path in self.hanging:
            self.waiting[path] = self.waiting.get(path, 0) + 1
            self.release.wait()  # a receiver that hangs (until the test ends)
        script = self.scripts.get(path) or []
        status = script.pop(0) if script else 200
        self.requests.append(
            {
                "path": path,
                "body": body,
                "status": status,
                "envelope": json.loads(body),
                "event": environ.get("HTTP_X_SMARTCITY_EVENT"),
                "delivery": environ.get("HTTP_X_SMARTCITY_DELIVERY"),
                "timestamp": environ.get("HTTP_X_SMARTCITY_TIMESTAMP"),
                "signature": environ.get("HTTP_X_SMARTCITY_SIGNATURE"),
                "replay": environ.get("HTTP_X_SMARTCITY_REPLAY"),
            }
        )
        # Connection: close, so no keep-alive green thread outlives the test.
        start_response(f"{status} X", [("Content-Type", "text/plain"), ("Connection", "close")])
        return [b"ok"]

    def received(self, path: str, event_type: str | None = None) -> list[dict]:
        """Every request to ``path`` (of ``event_type``), in arrival order."""
        return [
            r
            for r in self.requests
            if r["path"] == path and (event_type is None or r["event"] == event_type)
        ]

    def accepted(self, path: str) -> list[dict]:
        """The requests to ``path`` answered 200."""
        return [r for r in self.received(path) if r["status"] == 200]

    def event_ids(self, path: str) -> list[str]:
        return [r["envelope"]["event_id"] for r in self.accepted(path)]


def verified(request: dict, secret: str) -> bool:
    """What an integrator's server does, written independently of the platform's code:
    HMAC-SHA256 over "<timestamp>." + body, one of the offered signatures, a fresh timestamp."""
    timestamp = int(request["timestamp"])
    if abs(time.time() - timestamp) > FRESHNESS_S:
        return False
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + request["body"], hashlib.sha256)
    expected = "sha256=" + mac.hexdigest()
    offered = [s.strip() for s in request["signature"].split(",")]
    return any(hmac.compare_digest(expected, s) for s in offered)
