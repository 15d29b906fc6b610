"""The POST connects to the address that was checked but speaks TLS to the URL's host name:
a certificate for that name is accepted at the checked address, and any other certificate
(or an untrusted one) is refused. A real local TLS server, certificates made by openssl."""

import json
import subprocess
import sys

import eventlet
import eventlet.wsgi
import pytest
from eventlet.green import subprocess as green_subprocess

CLIENT = """
import eventlet, json, sys
eventlet.monkey_patch()  # first, as every smartcity process does
from services.platform.egress import Target, post
host, port, ca = sys.argv[1], int(sys.argv[2]), sys.argv[3] or None
print(json.dumps(post(Target("https", host, port, "127.0.0.1", "/h"), b"{}", {}, 5, ca)))
"""


def post(host: str, port: int, ca_certs: str = "") -> tuple:
    """``egress.post`` to 127.0.0.1 naming ``host``, in a process of its own: pytest's
    plugins import ``ssl`` before eventlet can patch it, which breaks green TLS clients."""
    done = green_subprocess.run(
        [sys.executable, "-W", "ignore", "-c", CLIENT, host, str(port), ca_certs],
        capture_output=True,
        text=True,
        check=True,
    )
    return tuple(json.loads(done.stdout))


@pytest.fixture
def certificate(tmp_path):
    """A self-signed certificate for ``hooks.example`` and its key."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=hooks.example",
            "-addext",
            "subjectAltName=DNS:hooks.example",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return str(cert), str(key)


@pytest.fixture
def tls_server(certificate):
    cert, key = certificate
    seen: list[str] = []

    def app(environ, start_response):
        seen.append(environ.get("HTTP_HOST"))
        start_response("204 No Content", [("Connection", "close")])
        return [b""]

    sock = eventlet.wrap_ssl(
        eventlet.listen(("127.0.0.1", 0)), certfile=cert, keyfile=key, server_side=True
    )
    thread = eventlet.spawn(eventlet.wsgi.server, sock, app, log_output=False)
    yield sock.getsockname()[1], cert, seen
    thread.kill()
    sock.close()


def test_tls_is_verified_for_the_urls_host_at_the_checked_address(tls_server):
    port, cert, seen = tls_server
    assert post("hooks.example", port, cert) == (204, None)
    assert seen == [f"hooks.example:{port}"]  # the URL's name, though no DNS was asked

    status, error = post("evil.example", port, cert)  # a certificate for another name
    assert status is None and "doesn't match 'hooks.example'" in error, error
    status, error = post("hooks.example", port)  # the public CAs do not know this one
    assert status is None and "CERTIFICATE_VERIFY_FAILED" in error
    assert len(seen) == 1
