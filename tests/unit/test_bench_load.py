"""``bench.load`` sends real concurrent requests from its own process and counts what came back.

A loopback HTTP server in a thread answers; nothing about speed is asserted.
"""

import http.server
import threading

import pytest

pytest.importorskip("aiohttp")  # the `bench` extra: `make bench` installs it

from bench.load import run_load


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen_bodies: list[bytes] = []

    def _answer(self, status: int) -> None:
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def do_GET(self) -> None:
        self._answer(200 if self.path == "/ok" else 404)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Handler.seen_bodies.append(body)
        self._answer(201 if self.headers.get("X-Bench") == "yes" else 400)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_successes_count_with_percentiles_and_failures_as_errors(server):
    requests = [
        ("GET", f"{server}/ok", None, None),
        ("GET", f"{server}/missing", None, None),
        ("POST", f"{server}/write", {"X-Bench": "yes"}, b'{"n": 1}'),
    ]
    result = run_load(requests, concurrency=3, seconds=1.0, warmup=0.2)
    statuses = result.statuses
    assert set(statuses) == {"200", "404", "201"}
    assert result.errors == statuses["404"]
    assert result.requests == sum(statuses.values())
    assert result.requests_per_s == (statuses["200"] + statuses["201"]) / 1.0
    assert result.p50_ms <= result.p90_ms <= result.p99_ms
    assert b'{"n": 1}' in _Handler.seen_bodies
    assert result.as_dict()["errors"] == result.errors


def test_a_refused_connection_is_an_error_not_a_crash():
    result = run_load(lambda: iter([("GET", "http://127.0.0.1:9/", None, None)]), 2, 0.5, 0.1)
    assert result.requests > 0
    assert result.errors == result.requests
    assert result.statuses == {"error": result.requests}
    assert result.p50_ms is None
