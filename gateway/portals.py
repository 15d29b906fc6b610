"""The portals' files: each folder of ``portals/`` is a web app the gateway serves as it is.

``portals/<portal>/<path>`` is served at ``/<portal>/<path>`` (``/<portal>/`` gives its
``index.html``) for the portals in ``PORTALS``; browser libraries installed by ``npm ci`` in
``portals/`` are served at ``/vendor/<package>/<path>``, only the files in ``VENDOR_FILES``.
Nothing is built: the pages are plain HTML, CSS and ES modules.

A path is resolved and must stay inside its portal's folder (no ``..``, no hidden files, no
symlink out), so no request can read another file of the machine. ``PORTALS_DIR`` says where
the folder is (the image copies it to ``/opt/smartcity/portals``); by default the checkout's.
"""

from __future__ import annotations

import mimetypes
import os
from pathlib import Path

from shared.errors import NotFound

PORTALS: tuple[str, ...] = ("my", "leaders", "data")
"""My Shenyang (residents), decision support (leaders) and open data: folders of ``portals/``."""

VENDOR_FILES: dict[str, frozenset[str]] = {
    "leaflet": frozenset(
        {
            "dist/leaflet.js",
            "dist/leaflet.css",
            "dist/images/layers.png",
            "dist/images/layers-2x.png",
            "dist/images/marker-icon.png",
            "dist/images/marker-icon-2x.png",
            "dist/images/marker-shadow.png",
        }
    ),
    "chart.js": frozenset({"dist/chart.umd.js"}),
}
"""Package → the files of ``portals/node_modules/<package>/`` a browser may load. Only these:
the rest of node_modules (sources, maps, package manifests) is never served."""

CONTENT_TYPES: dict[str, str] = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".webmanifest": "application/manifest+json",
}
"""By suffix (the platform's ``mimetypes`` table differs between machines); others by
``mimetypes``, else ``application/octet-stream``."""

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        # Styles set from script (Leaflet, Chart.js) are allowed; QR codes arrive as data: URLs.
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
"""No inline script, nothing from another origin (no CDN, no map tiles from the internet)."""


def portals_dir() -> Path:
    return Path(os.environ.get("PORTALS_DIR") or Path(__file__).resolve().parents[1] / "portals")


def content_type(path: Path) -> str:
    known = CONTENT_TYPES.get(path.suffix.lower())
    if known:
        return known
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


def portal_file(portal: str, relative: str) -> Path:
    """The file ``relative`` of ``portal`` (``""`` or a folder: its ``index.html``)."""
    if portal not in PORTALS:
        raise NotFound(f"no portal {portal!r}")
    folder = portals_dir() / portal
    parts = [part for part in relative.split("/") if part]
    if any(part.startswith(".") or "\\" in part for part in parts):
        raise NotFound("no such file")
    path = _inside(folder, folder.joinpath(*parts))
    if path.is_dir():
        path = _inside(folder, path / "index.html")
    if not path.is_file():
        raise NotFound("no such file")
    return path


def vendor_file(package: str, relative: str) -> Path:
    """An allowed file of an npm package installed in ``portals/node_modules``."""
    if relative not in VENDOR_FILES.get(package, ()):
        raise NotFound(f"{package}/{relative} is not served")
    path = portals_dir() / "node_modules" / package / relative
    if not path.is_file():
        raise NotFound(f"{package} is not installed (make install runs npm ci in portals/)")
    return path


def _inside(folder: Path, path: Path) -> Path:
    """``path`` resolved, or NotFound if it leaves ``folder`` (``..``, a symlink out)."""
    resolved = path.resolve()
    if not resolved.is_relative_to(folder.resolve()):
        raise NotFound("no such file")
    return resolved
