"""The leaders' dashboard in a real browser against the whole suite: with a leadership key the
charts draw the indicators of data made through the API, the operations view lists a real dead
letter, the page passes axe-core and switches to English."""

from datetime import timedelta

import pika
import pytest
from conftest import axe_check, screenshot, wait_until
from selenium.webdriver.common.by import By

from shared.broker_rights import identity_of
from shared.clock import city_today
from shared.contracts.envelope import EVENTS_EXCHANGE

pytestmark = pytest.mark.timeout(600)

DESK = (1280, 1800)
"""A leader's desk screen (the portal works on a phone too; the charts are read here)."""
LISTED = "91210100MA0P5L3K2T"
LOT_OPERATOR = "91110000600037341L"
AFFAIR = "unemployment-registration"
LOTS = (("LD-H1", 50, "Heping", 20), ("LD-S1", 40, "Shenhe", 30))


def chart_data(driver, chart_id: str) -> dict:
    """What Chart.js draws on the canvas: its labels and datasets."""
    return driver.execute_script(
        """
        const chart = Chart.getChart(document.getElementById(arguments[0]));
        if (!chart) return null;
        return {labels: chart.data.labels,
                datasets: chart.data.datasets.map((d) => ({label: d.label, data: d.data})),
                title: chart.options.plugins.title.text};
        """,
        chart_id,
    )


def make_city_data(suite) -> None:
    parking = suite.client("department", "traffic", scopes=("traffic.parking",))
    for lot_id, capacity, district, occupied in LOTS:
        lot = {
            "lot_id": lot_id,
            "name": f"Lot {lot_id}",
            "lat": 41.80,
            "lon": 123.43,
            "capacity": capacity,
            "price_per_hour": "3.50",
            "operator_credit_code": LOT_OPERATOR,
            "district": district,
        }
        made = suite.call("POST", "/api/v1/traffic/parking/lots", parking, json=lot)
        assert made.status_code == 201, made.text
        path = f"/api/v1/traffic/parking/lots/{lot_id}/occupancy"
        counted = suite.call("PUT", path, parking, json={"occupied": occupied})
        assert counted.status_code == 200, counted.text
    # A resident registers unemployment; the human-resources office decides it in time.
    _id_number, _card, resident = suite.resident()
    uploaded = suite.call(
        "POST",
        "/api/v1/community/me/documents",
        resident,
        params={"kind": "termination_certificate"},
        data=b"%PDF-1.7\n" + b"1 0 obj\n" * 8,
        headers={"Content-Type": "application/pdf"},
    )
    assert uploaded.status_code == 201, uploaded.text
    form = {"last_employer": "Shenyang Tractor Works", "employment_ended_on": "2026-10-30"}
    body = {"affair_code": AFFAIR, "form": form, "document_ids": [uploaded.json()["document_id"]]}
    filed = suite.call("POST", "/api/v1/community/me/applications", resident, json=body)
    assert filed.status_code == 201, filed.text
    office = suite.client(
        "department", "community", scopes=("community.affairs",), unit="human-resources"
    )
    actions = f"/api/v1/community/applications/{filed.json()['application_id']}/actions"
    for action in (
        {"action": "accept"},
        {"action": "review"},
        {"action": "approve", "reason": "ok"},
    ):
        moved = suite.call("POST", actions, office, json=action)
        assert moved.status_code == 200, moved.text
    records = suite.client("department", "traffic", scopes=("credit.records",))
    penalty = {
        "subject_type": "enterprise",
        "subject_id": LISTED,
        "source_record_id": "LD-1",
        "category": "administrative_penalty",
        "polarity": "negative",
        "severity": "severe",
        "basis": "Decision 2026-17",
        "decided_on": (city_today() - timedelta(days=2)).isoformat(),
        "valid_until": (city_today() + timedelta(days=700)).isoformat(),
    }
    added = suite.call("POST", "/api/v1/credit/records", records, json=penalty)
    assert added.status_code == 201, added.text


def publish_undecodable(suite) -> None:
    """Traffic's broker user publishes a body nobody can decode: its subscribers (credit, and
    the platform's '#') dead-letter it."""
    uri = suite.running.traffic_uri
    connection = pika.BlockingConnection(pika.URLParameters(uri))
    channel = connection.channel()
    channel.confirm_delivery()
    channel.basic_publish(
        EVENTS_EXCHANGE,
        "traffic.administrative_penalty_issued",
        b"not json",
        pika.BasicProperties(
            content_type="application/json", delivery_mode=2, user_id=identity_of(uri)[0]
        ),
    )
    connection.close()


def test_leaders_read_the_city_at_a_glance(suite, browser):
    leadership = suite.client("leadership")
    make_city_data(suite)
    publish_undecodable(suite)

    def credit_dead_letters() -> int:
        overview = suite.call("GET", "/api/v1/ops/overview", leadership).json()
        return next(s["dead_letters"] for s in overview["services"] if s["service"] == "credit")

    wait_until(browser, lambda _d: credit_dead_letters() >= 1, "no dead letter for credit")

    browser.set_window_size(*DESK)
    browser.get(suite.url + "/leaders/")
    key = wait_until(browser, lambda d: d.find_element(By.ID, "api-key"))
    wait_until(browser, lambda _d: key.is_displayed(), "no API key form")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-CN"
    key.send_keys(leadership)
    browser.find_element(By.CSS_SELECTOR, "#login-form button[type=submit]").click()
    wait_until(browser, lambda d: d.execute_script("return document.body.dataset.loaded"))
    assert browser.execute_script("return sessionStorage.getItem('leaders.apiKey')") == leadership

    parking = chart_data(browser, "chart-parking")
    assert parking["title"] == "各区停车场占用率"
    assert parking["labels"] == ["Heping", "Shenhe"]
    assert parking["datasets"][0]["data"] == [40, 75]  # 20 of 50, 30 of 40 spaces (%)
    limits = chart_data(browser, "chart-time-limits")
    [affair] = limits["labels"]
    assert affair.startswith("Unemployment registration")
    assert limits["datasets"][0]["data"] == [100]  # decided within its limit (%)
    credit = chart_data(browser, "chart-credit-lists")
    assert len(credit["labels"]) == 30
    by_label = {d["label"]: d["data"] for d in credit["datasets"]}
    assert by_label["列入黑名单"][-1] == 1 and sum(by_label["列入黑名单"]) == 1
    events = chart_data(browser, "chart-events")
    assert len(events["labels"]) == 24
    sources = {d["label"]: sum(d["data"]) for d in events["datasets"]}
    assert sources.get("credit", 0) >= 2  # the record and the black listing
    consultations = chart_data(browser, "chart-consultations")
    assert consultations["labels"] == ["常规", "加急", "急诊"]
    assert [sum(d["data"]) for d in consultations["datasets"]] == [0, 0]
    dead = chart_data(browser, "chart-dead-letters")
    assert dict(zip(dead["labels"], dead["datasets"][0]["data"], strict=True))["credit"] >= 1
    # Each chart has its numbers as a table too.
    rows = browser.find_elements(By.CSS_SELECTOR, "#figure-parking table tbody tr")
    assert [row.find_element(By.TAG_NAME, "th").get_attribute("textContent") for row in rows] == [
        "Heping",
        "Shenhe",
    ]
    axe_check(browser)
    screenshot(browser, "leaders-dashboard")

    browser.find_element(By.ID, "nav-ops").click()
    alert = wait_until(
        browser,
        lambda d: d.find_elements(
            By.CSS_SELECTOR, "#alerts li[data-kind=dead_letters][data-service=credit]"
        ),
        "no dead-letter alert",
    )[0]
    assert alert.is_displayed() and "credit.dead_letters" in alert.text
    assert not browser.find_element(By.ID, "dashboard").is_displayed()
    service_rows = browser.find_elements(By.CSS_SELECTOR, "#services tbody tr")
    assert "credit" in [row.find_element(By.TAG_NAME, "th").text for row in service_rows]
    axe_check(browser)
    screenshot(browser, "leaders-ops")

    browser.find_element(By.ID, "lang-toggle").click()
    wait_until(browser, lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en")
    assert browser.find_element(By.ID, "ops-title").text == "Operations and emergency"
    assert chart_data(browser, "chart-parking")["title"] == "Parking occupancy by district"
