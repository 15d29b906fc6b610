"""The gateway serves the portals' files and an allow-list of browser libraries, and nothing
else of the machine: every way out of a portal's folder is a 404."""

import http.client
import json
from urllib.parse import urlparse

import pytest

from gateway.portals import CONTENT_SECURITY_POLICY, portals_dir


@pytest.fixture
def portals(tmp_path, monkeypatch):
    """A portals folder of its own, with a secret beside it and a symlink pointing out."""
    root = tmp_path / "portals"
    (root / "my" / "js").mkdir(parents=True)
    (root / "my" / "index.html").write_text("<!doctype html><title>my</title>")
    (root / "my" / "js" / "app.js").write_text("export const answer = 42;\n")
    (root / "my" / "app.css").write_text("body { margin: 0 }\n")
    (root / "my" / ".env").write_text("hidden")
    (root / "leaders").mkdir()
    (root / "leaders" / "index.html").write_text("<!doctype html><title>leaders</title>")
    (tmp_path / "secret.txt").write_text("SECRET")
    (root / "my" / "out").symlink_to(tmp_path)
    vendor = root / "node_modules" / "leaflet" / "dist"
    vendor.mkdir(parents=True)
    (vendor / "leaflet.js").write_text("/* leaflet */")
    (vendor / "leaflet.js.map").write_text("{}")
    (root / "node_modules" / "leaflet" / "package.json").write_text("{}")
    monkeypatch.setenv("PORTALS_DIR", str(root))
    return root


def test_portal_pages_and_files_with_their_types_and_policy(stack, portals):
    page = stack.call("GET", "/my/")
    assert page.status_code == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert page.text == (portals / "my" / "index.html").read_text()
    assert page.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    script = stack.call("GET", "/my/js/app.js")
    assert script.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert script.text == "export const answer = 42;\n"
    assert stack.call("GET", "/my/app.css").headers["Content-Type"].startswith("text/css")
    # A new folder is a new portal page, with nothing else to change.
    assert stack.call("GET", "/leaders/").text.endswith("<title>leaders</title>")
    # Unknown portals and files answer with the gateway's error body.
    for path in ("/data/", "/my/nothing.js", "/other/index.html"):
        response = stack.call("GET", path)
        assert response.status_code == 404, path
        assert response.json()["error"] == "not_found"


def test_home_and_a_portal_without_its_slash_redirect(stack, portals):
    home = stack.call("GET", "/", allow_redirects=False)
    assert home.status_code == 302
    assert home.headers["Location"].endswith("/my/")
    bare = stack.call("GET", "/my", allow_redirects=False)
    assert bare.status_code in (301, 308)
    assert bare.headers["Location"].endswith("/my/")
    assert stack.call("GET", "/").text == (portals / "my" / "index.html").read_text()


@pytest.mark.parametrize(
    "path",
    [
        "/my/../secret.txt",
        "/my/%2e%2e/secret.txt",
        "/my/..%2Fsecret.txt",
        "/my/js/..%2F..%2F..%2Fsecret.txt",
        "/my/%2e%2e%2f%2e%2e%2fsecret.txt",
        "/my/out/secret.txt",
        "/my/.env",
        "/my/js/%5C..%5C..%5Csecret.txt",
        "/my/js/app.js%00.html",
        "/vendor/leaflet/dist/leaflet.js.map",
        "/vendor/leaflet/package.json",
        "/vendor/leaflet/dist/../package.json",
        "/vendor/leaflet/..%2F..%2F..%2Fsecret.txt",
        "/vendor/..%2F..%2Fsecret.txt/x",
    ],
)
def test_no_path_leaves_the_portals_folder(stack, portals, path):
    status, text = raw_get(stack.url, path)
    assert status in (400, 404), (path, status)
    assert "SECRET" not in text
    assert "hidden" not in text
    assert json.loads(text)["error"] in ("not_found", "validation_failed")


def test_doubled_slashes_redirect_inside_the_portal(stack, portals):
    for path in ("/my//etc/passwd", "/my/%2Fetc%2Fpasswd"):
        assert raw_get(stack.url, path)[0] == 308, path
    assert stack.call("GET", "/my//etc/passwd").status_code == 404


def raw_get(base_url: str, path: str) -> tuple[int, str]:
    """GET ``path`` exactly as written (an HTTP client would remove the dot segments)."""
    address = urlparse(base_url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=15)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode(errors="replace")
    finally:
        connection.close()


def test_vendor_files_come_from_the_allow_list(stack, portals):
    script = stack.call("GET", "/vendor/leaflet/dist/leaflet.js")
    assert script.status_code == 200
    assert script.text == "/* leaflet */"
    assert script.headers["Content-Type"] == "text/javascript; charset=utf-8"
    # Allowed but not installed: the answer says how to install it.
    missing = stack.call("GET", "/vendor/chart.js/dist/chart.umd.js")
    assert missing.status_code == 404
    assert "npm ci" in missing.json()["message"]


def test_the_installed_libraries_are_served(stack):
    # The checkout's own portals folder, as `make install` left it.
    assert (portals_dir() / "node_modules" / "leaflet").is_dir(), "run make install"
    for path, kind in (
        ("/vendor/leaflet/dist/leaflet.js", "text/javascript"),
        ("/vendor/leaflet/dist/leaflet.css", "text/css"),
        ("/vendor/leaflet/dist/images/marker-icon.png", "image/png"),
        ("/vendor/chart.js/dist/chart.umd.js", "text/javascript"),
    ):
        response = stack.call("GET", path)
        assert response.status_code == 200, path
        assert response.headers["Content-Type"].startswith(kind), path
        assert len(response.content) > 1000, path
