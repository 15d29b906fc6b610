"""My Shenyang in a real browser, as a resident uses it on a phone, against the whole suite.

A resident registers in the page, applies for a community affair with a document, a
department approves it through its API and the page shows it approved; the access log shows
the department's read; a resident reserves a space in a lot a traffic department registered;
an ended session goes to the login page and back with the form as it was typed; stops near a
point are listed and drawn on a map without tiles. Every main page passes axe-core and is
saved as a screenshot (README.md shows them). Tickets, health and credit pages are in
test_my_shenyang_services.py; the page helpers in my_shenyang_pages.py.
"""

import uuid
from pathlib import Path

import pytest
from conftest import PASSWORD, axe_check, new_id_number, screenshot, wait_until
from my_shenyang_pages import (
    assert_fits_the_phone,
    fill,
    log_in,
    open_view,
    register_in_the_page,
    text_of,
    wait_drawn,
)
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from shared.identity import credit_code_check_char

pytestmark = pytest.mark.timeout(600)

FIRST_PAGE_JS_LIMIT = 100 * 1024
MAIN_PAGES = ("home", "affairs", "access", "parking", "stops", "tickets", "health", "credit")
PDF = b"%PDF-1.7\n" + b"1 0 obj\n" * 8
DEMO_FEED = Path(__file__).resolve().parents[2] / "smartcity" / "demo_data" / "sample_gtfs.zip"


def test_first_page_is_small_accessible_and_speaks_english_on_request(suite, browser):
    browser.get(f"{suite.url}/my/")
    wait_drawn(browser, "login")
    scripts = browser.execute_script(
        "return performance.getEntriesByType('resource')"
        ".filter((e) => new URL(e.name).pathname.endsWith('.js'))"
        ".map((e) => [new URL(e.name).pathname, e.decodedBodySize]);"
    )
    paths = [path for path, _ in scripts]
    assert "/my/js/app.js" in paths and "/my/js/views/login.js" in paths, paths
    total = sum(size for _, size in scripts)
    assert 0 < total < FIRST_PAGE_JS_LIMIT, (total, scripts)
    assert not any(path.startswith("/vendor/") for path in paths), "libraries load on demand"
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-CN"
    assert text_of(browser, "h2") == "登录"
    axe_check(browser)
    screenshot(browser, "my-login")

    browser.find_element(By.ID, "lang-toggle").click()
    wait_until(browser, lambda d: d.find_element(By.TAG_NAME, "h2").text == "Log in")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    assert "Username" in text_of(browser, "#login-form")
    axe_check(browser)
    screenshot(browser, "my-login-english")
    # Wrong credentials: said in words, in the language chosen.
    fill(browser, "#login-form", {"username": new_id_number(), "password": "not the password"})
    browser.find_element(By.CSS_SELECTOR, "#login-form button[type=submit]").click()
    wait_until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#login-form .alert"))
    assert "wrong username or password" in text_of(browser, "#login-form .alert")


def test_a_resident_applies_and_sees_the_department_approve_and_read(suite, browser, tmp_path):
    card = register_in_the_page(browser, suite)
    axe_check(browser)
    screenshot(browser, "my-home")

    open_view(browser, suite, "affairs")
    browser.find_element(By.CSS_SELECTOR, "[data-affair='unemployment-registration']").click()
    wait_drawn(browser, "affairs")
    wait_until(browser, lambda d: d.find_elements(By.ID, "apply-form"))
    certificate = tmp_path / "termination.pdf"
    certificate.write_bytes(PDF)
    fill(browser, "#apply-form", {"form.last_employer": "Shenyang Machine Tool Works"})
    # A date input takes the date as typed in the browser's locale; the script sets it whole.
    browser.execute_script(
        "document.querySelector(\"[name='form.employment_ended_on']\").value = '2026-10-30';"
    )
    browser.find_element(By.CSS_SELECTOR, "[name='doc.termination_certificate']").send_keys(
        str(certificate)
    )
    assert_fits_the_phone(browser)
    axe_check(browser)
    screenshot(browser, "my-affair-form")
    browser.find_element(By.CSS_SELECTOR, "#apply-form button[type=submit]").click()
    wait_until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#application-status"))
    status = browser.find_element(By.CSS_SELECTOR, "#application-status [data-status]")
    assert status.get_attribute("data-status") == "submitted"
    application_id = browser.current_url.rsplit("/", 1)[1]

    # The handling office works through its API: it reads the application, then decides.
    office = suite.client(
        "department", "community", scopes=("community.affairs",), unit="human-resources"
    )
    read = suite.call("GET", f"/api/v1/community/applications/{application_id}", office)
    assert read.status_code == 200, read.text
    assert read.json()["card_number"] == card
    for action in ("accept", "review", "approve"):
        moved = suite.call(
            "POST",
            f"/api/v1/community/applications/{application_id}/actions",
            office,
            json={"action": action, "reason": "registered as unemployed"},
        )
        assert moved.status_code == 200, moved.text

    browser.refresh()
    wait_drawn(browser, "affairs")
    status = browser.find_element(By.CSS_SELECTOR, "#application-status [data-status]")
    assert status.get_attribute("data-status") == "approved"
    assert status.text == "已批准"
    history = text_of(browser, "#history")
    assert "受理" in history and "批准" in history
    axe_check(browser)
    screenshot(browser, "my-application-approved")

    open_view(browser, suite, "affairs")
    listed = browser.find_element(By.CSS_SELECTOR, f"[data-application='{application_id}']")
    assert listed.find_element(By.CSS_SELECTOR, "[data-status]").text == "已批准"
    axe_check(browser)
    screenshot(browser, "my-affairs")

    open_view(browser, suite, "access")
    entries = browser.find_elements(By.CSS_SELECTOR, "#access-log [data-department='community']")
    assert entries, text_of(browser, "#view")
    assert "社区服务" in entries[0].text
    axe_check(browser)
    screenshot(browser, "my-access-log")


def test_a_resident_reserves_parking_in_a_lot_the_department_registered(suite, browser):
    lot_id = f"BR-{uuid.uuid4().hex[:8]}"
    code17 = "91210102000000010"
    registered = suite.call(
        "POST",
        "/api/v1/traffic/parking/lots",
        suite.client("department", "traffic", scopes=("traffic.parking",)),
        json={
            "lot_id": lot_id,
            "name": "Zhongshan Square car park",
            "lat": 41.8050,
            "lon": 123.4310,
            "capacity": 12,
            "price_per_hour": "4.00",
            "operator_credit_code": code17 + credit_code_check_char(code17),
        },
    )
    assert registered.status_code == 201, registered.text
    id_number, _card, _token = suite.resident()
    log_in(browser, suite, id_number)

    open_view(browser, suite, "parking")
    lot = browser.find_element(By.CSS_SELECTOR, f"#lots [data-lot='{lot_id}']")
    assert "12/12" in lot.text
    Select(browser.find_element(By.CSS_SELECTOR, "#reserve-form [name=lot_id]")).select_by_value(
        lot_id
    )
    browser.find_element(By.CSS_SELECTOR, "#reserve-form button[type=submit]").click()
    wait_until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#reservations [data-lot]"))
    reservation = browser.find_element(By.CSS_SELECTOR, f"#reservations [data-lot='{lot_id}']")
    assert reservation.find_element(By.CSS_SELECTOR, "[data-status]").get_attribute(
        "data-status"
    ) == ("reserved")
    assert "Zhongshan Square car park" in reservation.text
    axe_check(browser)
    screenshot(browser, "my-parking")


def test_an_ended_session_goes_to_login_and_back_with_the_form_kept(suite, browser):
    id_number, _card, _token = suite.resident()
    log_in(browser, suite, id_number)
    open_view(browser, suite, "affairs/apply/disability-certificate")
    wait_until(browser, lambda d: d.find_elements(By.ID, "apply-form"))
    # An expired access token alone is renewed through the refresh route, unseen.
    browser.execute_script(
        "const t = JSON.parse(sessionStorage.getItem('my.tokens'));"
        "t.access_token = 'expired'; sessionStorage.setItem('my.tokens', JSON.stringify(t));"
    )
    open_view(browser, suite, "home")
    assert text_of(browser, "#card-number")
    open_view(browser, suite, "affairs/apply/disability-certificate")
    wait_until(browser, lambda d: d.find_elements(By.ID, "apply-form"))
    fill(browser, "#apply-form", {"form.grade": "2", "form.assessing_hospital": "Shengjing"})
    # Now the whole login has ended (the refresh token is refused too).
    browser.execute_script(
        "sessionStorage.setItem('my.tokens', "
        "JSON.stringify({access_token: 'expired', refresh_token: 'revoked'}));"
    )
    browser.find_element(By.CSS_SELECTOR, "#apply-form button[type=submit]").click()
    wait_drawn(browser, "login")
    assert "登录已过期" in text_of(browser, "#view .alert")
    fill(browser, "#login-form", {"username": id_number, "password": PASSWORD})
    browser.find_element(By.CSS_SELECTOR, "#login-form button[type=submit]").click()
    wait_drawn(browser, "affairs")
    wait_until(browser, lambda d: d.find_elements(By.ID, "apply-form"))
    assert "/affairs/apply/disability-certificate" in browser.current_url
    form = browser.find_element(By.ID, "apply-form")
    assert form.find_element(By.NAME, "form.grade").get_attribute("value") == "2"
    assert form.find_element(By.NAME, "form.assessing_hospital").get_attribute("value") == (
        "Shengjing"
    )


def test_every_main_page_passes_axe_and_is_saved(suite, browser):
    id_number, _card, _token = suite.resident()
    log_in(browser, suite, id_number)
    for view in MAIN_PAGES:
        open_view(browser, suite, view)
        assert not browser.find_elements(By.CSS_SELECTOR, "#view .alert"), (
            view,
            text_of(browser, "#view"),
        )
        assert_fits_the_phone(browser)
        axe_check(browser)
        screenshot(browser, f"my-{view}-page")


def test_stops_near_a_point_on_a_tile_free_map_with_next_arrivals(suite, browser):
    assert "stops" in suite.cli("traffic", "import-gtfs", str(DEMO_FEED))
    id_number, _card, _token = suite.resident()
    log_in(browser, suite, id_number)
    open_view(browser, suite, "stops")
    # The demo timetable is Google's sample feed (Beatty, Nevada): ask near its airport stop.
    fill(browser, "#place-form", {"lat": "36.868", "lon": "-116.784"})
    browser.find_element(By.CSS_SELECTOR, "#place-form button[type=submit]").click()
    wait_until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "[data-stop='BEATTY_AIRPORT']"))
    wait_until(
        browser,
        lambda d: d.find_element(By.ID, "map").get_attribute("data-map") == "leaflet",
        "the map was not drawn",
    )
    stop = browser.find_element(By.CSS_SELECTOR, "[data-stop='BEATTY_AIRPORT']")
    stop.find_element(By.TAG_NAME, "button").click()
    wait_until(browser, lambda d: stop.find_elements(By.CSS_SELECTOR, "ul.arrivals, p.muted"))
    # No tiles, no CDN: every file the page loaded came from the gateway.
    origins = browser.execute_script(
        "return performance.getEntriesByType('resource').map((e) => new URL(e.name).origin);"
    )
    assert set(origins) == {suite.url}, origins
    axe_check(browser)
    screenshot(browser, "my-stops")
