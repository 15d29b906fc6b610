"""The portals in a real browser: Debian's Chromium, driven by selenium, against the suite.

- ``suite``: the whole suite as ``smartcity up`` runs it (``tests/suite_process.py``, as the
  e2e tests start it), fresh databases and vhost, no demo data; ``suite.url`` is the gateway,
  ``suite.call`` speaks HTTP to it, ``suite.cli(...)`` runs the operator's CLI against it,
  ``suite.client(...)`` makes an API client with it and ``suite.resident()`` registers and
  logs someone in through the API.
- ``browser``: a headless Chromium at a phone's width with a fresh profile, closed after the
  test.
- ``screenshot(driver, name)`` writes ``var/screenshots/<name>.png`` (CI keeps them);
  ``axe_check(driver)`` runs axe-core in the page and fails on serious or critical violations.
- ``wait_until(driver, condition)``: an explicit wait (never a sleep) that allows for a loaded
  machine.

They run in ``make test`` as a lane of their own (``tests/run_parallel.py``): one suite and
one browser beside the e2e and integration lanes, which finishes well within the e2e lane's
time, rather than adding minutes after it.
"""

import json
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait
from suite_process import RunningSuite, running_suite

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "screenshots"
AXE = ROOT / "portals" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
PHONE = (390, 844)
"""A phone's CSS pixels: the portals are mobile-first, so that is how they are tested."""
PASSWORD = "a long enough Shenyang passphrase"
WAIT_S = 45
"""How long an explicit wait may take on a loaded 2-core machine (it returns at once when met)."""
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",  # run as root in CI
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    f"--window-size={PHONE[0]},{PHONE[1]}",
    "--lang=zh-CN",
)
"""Headless and silent: a closed network, no update or sync traffic."""


@dataclass
class PortalSuite:
    running: RunningSuite
    http: requests.Session = field(default_factory=requests.Session)

    @property
    def url(self) -> str:
        return self.running.gateway_url

    def call(self, method: str, path: str, token: str | None = None, **kwargs: Any):
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.http.request(method, self.url + path, headers=headers, timeout=30, **kwargs)

    def cli(self, *args: str) -> str:
        """``smartcity …`` as the operator runs it against this suite; what it printed."""
        result = subprocess.run(
            [sys.executable, "-m", "smartcity", *args],
            env=self.running.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def client(
        self, role: str, department: str | None = None, scopes: tuple = (), unit: str | None = None
    ) -> str:
        """An API client's key, made as the operator makes one (``smartcity clients create``)."""
        args = ["clients", "create", "--role", role, "--json"]
        if department:
            args += ["--department", department]
        if scopes:
            args += ["--scopes", ",".join(scopes)]
        if unit:
            args += ["--unit", unit]
        return json.loads(self.cli(*args))["api_key"]

    def resident(self, name: str = "Wang Xiaoming") -> tuple[str, str, str]:
        """Someone new registered through the API: (ID number, card number, access token)."""
        id_number = new_id_number()
        person = {"name": name, "id_number": id_number, "phone": "13712345678"}
        registered = self.call("POST", "/api/v1/residents", json={**person, "password": PASSWORD})
        assert registered.status_code == 202, registered.text
        login = self.call(
            "POST", "/api/v1/auth/token", json={"username": id_number, "password": PASSWORD}
        )
        assert login.status_code == 200, login.text
        token = login.json()["access_token"]
        me = self.call("GET", "/api/v1/me", token)
        assert me.status_code == 200, me.text
        return id_number, me.json()["card_number"], token


def new_id_number() -> str:
    """A fresh, valid resident ID number (GB 11643 check digit) for each call."""
    serial = uuid.uuid4().int
    born = date(1960, 1, 1) + timedelta(days=serial % 15000)
    body17 = f"210102{born:%Y%m%d}{serial % 1000:03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body17, weights, strict=True)) % 11]
    return body17 + check


@pytest.fixture(scope="session")
def suite(request, backing_services) -> Iterator[PortalSuite]:
    with running_suite(request.config, postgresql=True) as running:
        yield PortalSuite(running)


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    for tool in (CHROMIUM, CHROMEDRIVER):
        assert Path(tool).exists(), f"{tool} missing: apt-get install chromium chromium-driver"
    profile = tempfile.mkdtemp(prefix="smartcity-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    # A phone's viewport (a headless window is at least 500 px wide).
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": PHONE[0], "height": PHONE[1], "deviceScaleFactor": 1, "mobile": True},
    )
    driver.set_script_timeout(120)
    driver.set_page_load_timeout(120)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_until(driver: WebDriver, condition: Callable[[WebDriver], Any], message: str = "") -> Any:
    """``condition(driver)`` once it is truthy (selenium's explicit wait). An element not there
    yet, or replaced while the condition read it (the app redraws), is tried again."""
    return WebDriverWait(
        driver,
        WAIT_S,
        poll_frequency=0.2,
        ignored_exceptions=(NoSuchElementException, StaleElementReferenceException),
    ).until(condition, message)


def screenshot(driver: WebDriver, name: str) -> Path:
    """The page as it is now, in ``var/screenshots/<name>.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    assert driver.save_screenshot(str(path)), path
    return path


def axe_check(driver: WebDriver) -> list[dict]:
    """axe-core's WCAG checks on the current page; fails on serious or critical violations.
    Returns the minor and moderate ones (for a test that wants to look at them)."""
    assert AXE.exists(), "axe-core missing: make install (npm ci in portals/)"
    driver.execute_script(AXE.read_text())
    outcome = driver.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        axe.run(document, {resultTypes: ["violations"]})
          .then((result) => done({violations: result.violations}))
          .catch((error) => done({error: String(error)}));
        """
    )
    assert "error" not in outcome, outcome
    violations = outcome["violations"]
    serious = [
        {
            "id": found["id"],
            "impact": found["impact"],
            "help": found["help"],
            "nodes": [node["target"] for node in found["nodes"]][:5],
        }
        for found in violations
        if found["impact"] in ("serious", "critical")
    ]
    assert serious == [], json.dumps(serious, indent=1, ensure_ascii=False)
    return violations
