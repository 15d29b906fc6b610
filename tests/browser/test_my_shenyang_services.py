"""My Shenyang's service pages in a real browser: a venue ticket with its QR code, health
records with their consents, the credit report with an objection.
"""

import json
import uuid
from datetime import timedelta

import pytest
from conftest import axe_check, screenshot, wait_until
from my_shenyang_pages import (
    fill,
    log_in,
    open_view,
    text_of,
)
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from shared.clock import city_today
from shared.contracts.health import CARD_NUMBER_SYSTEM

pytestmark = pytest.mark.timeout(600)


def test_a_resident_books_a_venue_and_shows_the_tickets_qr_code(suite, browser):
    venue_id = f"BR-{uuid.uuid4().hex[:8]}"
    office = suite.client("department", "tourism", scopes=("tourism.venues",))
    venue = {
        "venue_id": venue_id,
        "name": "Mukden Palace",
        "category": "scenic_spot",
        "lat": 41.7968,
        "lon": 123.4510,
        "opens_at": "00:00",
        "closes_at": "23:59",
        "daily_capacity": 500,
        "price": "50.00",
        "operator_credit_code": "91110000600037341L",
    }
    registered = suite.call("POST", "/api/v1/tourism/venues", office, json=venue)
    assert registered.status_code == 201, registered.text
    id_number, _card, _token = suite.resident()
    log_in(browser, suite, id_number)
    open_view(browser, suite, "tickets")
    # The card follows the citizen card's event; if it has not come yet, the page asks for it.
    if browser.find_elements(By.ID, "get-card"):
        browser.find_element(By.ID, "get-card").click()
    wait_until(browser, lambda d: d.find_elements(By.ID, "book-form"))
    Select(browser.find_element(By.CSS_SELECTOR, "#book-form [name=venue_id]")).select_by_value(
        venue_id
    )
    browser.find_element(By.CSS_SELECTOR, "#book-form button[type=submit]").click()
    wait_until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#tickets [data-ticket]"))
    ticket = browser.find_element(By.CSS_SELECTOR, "#tickets [data-ticket]")
    assert ticket.find_element(By.CSS_SELECTOR, "[data-status]").get_attribute("data-status") == (
        "booked"
    )
    assert "¥50.00" in ticket.text
    ticket.find_element(By.CSS_SELECTOR, "button.show-qr").click()
    wait_until(browser, lambda d: ticket.find_elements(By.CSS_SELECTOR, ".qr img"))
    image = ticket.find_element(By.CSS_SELECTOR, ".qr img")
    assert image.get_attribute("src").startswith("data:image/svg+xml"), image.get_attribute("src")[
        :60
    ]
    # Drawn, not a broken image: the browser decoded the SVG the API rendered.
    wait_until(
        browser,
        lambda d: d.execute_script(
            "return arguments[0].complete && arguments[0].naturalWidth > 0;", image
        ),
        "the QR code did not render",
    )
    axe_check(browser)
    screenshot(browser, "my-tickets")


def test_a_resident_reads_their_records_and_grants_and_withdraws_a_consent(suite, browser):
    id_number, card, _token = suite.resident()
    # A hospital registers the resident as its patient and records a blood pressure; a
    # second hospital is the one the resident lets read the archive.
    hospital = institution(suite, "shengjing")
    institution(suite, "medical-university")
    patient = fhir(suite, hospital, "Patient", patient_of(card))
    fhir(suite, hospital, "Observation", blood_pressure(patient["id"]))

    log_in(browser, suite, id_number)
    open_view(browser, suite, "health")
    assert "2026-03-04" in text_of(browser, "#records")
    fill(browser, "#consent-form", {"organization_id": "medical-university"})
    browser.find_element(By.CSS_SELECTOR, "#consent-form button[type=submit]").click()
    wait_until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#consents [data-consent]"))
    consent = browser.find_element(By.CSS_SELECTOR, "#consents [data-consent]")
    assert "medical-university" in consent.text, consent.text
    assert consent.find_element(By.CSS_SELECTOR, "[data-status]").get_attribute("data-status") == (
        "active"
    )
    axe_check(browser)
    screenshot(browser, "my-health")
    consent.find_element(By.TAG_NAME, "button").click()
    wait_until(
        browser,
        lambda d: (
            d.find_element(By.CSS_SELECTOR, "#consents [data-consent] [data-status]").get_attribute(
                "data-status"
            )
            != "active"
        ),
    )


def institution(suite, unit: str) -> str:
    key = suite.client("department", "health", scopes=("health.records",), unit=unit)
    organization = {"resourceType": "Organization", "id": unit, "name": f"Hospital {unit}"}
    response = suite.call(
        "PUT",
        f"/api/v1/health/fhir/Organization/{unit}",
        key,
        data=json.dumps(organization),
        headers={"Content-Type": "application/fhir+json"},
    )
    assert response.status_code == 201, response.text
    return key


def fhir(suite, key: str, resource_type: str, body: dict) -> dict:
    response = suite.call(
        "POST",
        f"/api/v1/health/fhir/{resource_type}",
        key,
        data=json.dumps(body),
        headers={"Content-Type": "application/fhir+json"},
    )
    assert response.status_code == 201, response.text
    return response.json()


def patient_of(card: str) -> dict:
    return {
        "resourceType": "Patient",
        "identifier": [{"system": CARD_NUMBER_SYSTEM, "value": card}],
        "name": [{"family": "Wang", "given": ["Xiaoming"]}],
        "gender": "male",
        "birthDate": "1985-04-12",
    }


def blood_pressure(patient_id: str) -> dict:
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
        "subject": {"reference": f"Patient/{patient_id}"},
        "effectiveDateTime": "2026-03-04T08:00:00+08:00",
        "valueQuantity": {"value": 120, "unit": "mmHg"},
    }


def test_a_resident_reads_the_credit_report_and_objects_to_a_record(suite, browser):
    id_number, card, _token = suite.resident()
    traffic = suite.client("department", "traffic", scopes=("credit.records",))
    today = city_today()
    posted = suite.call(
        "POST",
        "/api/v1/credit/records",
        traffic,
        json={
            "subject_type": "individual",
            "subject_id": card,
            "source_record_id": f"BR-{uuid.uuid4().hex[:8]}",
            "category": "administrative_penalty",
            "polarity": "negative",
            "severity": "minor",
            "basis": "Parking decision 2026-17",
            "decided_on": (today - timedelta(days=10)).isoformat(),
            "valid_until": (today + timedelta(days=700)).isoformat(),
        },
    )
    assert posted.status_code == 201, posted.text
    record_id = posted.json()["record_id"]

    log_in(browser, suite, id_number)
    open_view(browser, suite, "credit")
    record = browser.find_element(By.CSS_SELECTOR, f"[data-record='{record_id}']")
    assert "Parking decision 2026-17" in record.text
    record.find_element(By.TAG_NAME, "summary").click()
    reason = record.find_element(By.NAME, "reason")
    reason.send_keys("I was not parked there that day")
    record.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#objections [data-status]"))
    assert (
        browser.find_element(By.CSS_SELECTOR, "#objections [data-status]").get_attribute(
            "data-status"
        )
        == "pending"
    )
    axe_check(browser)
    screenshot(browser, "my-credit")
