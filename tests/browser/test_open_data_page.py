"""The open-data portal's page in a real browser: it lists the datasets of the CKAN API,
searches them, and opens one with its download links and a preview of its records."""

import pytest
from conftest import axe_check, screenshot, wait_until
from selenium.webdriver.common.by import By

pytestmark = pytest.mark.timeout(300)


def _titles(driver) -> list[str]:
    # Read in one script: the list is replaced while a search runs (no stale elements).
    return driver.execute_script(
        "return [...document.querySelectorAll('#dataset-list h3')].map((h) => h.textContent)"
    )


def _action(suite, name: str, **params) -> object:
    answer = suite.call("POST", f"/api/3/action/{name}", json=params)
    assert answer.status_code == 200, answer.text
    return answer.json()["result"]


def test_the_page_lists_searches_and_opens_a_dataset(suite, browser):
    everything = _action(suite, "package_search", rows=100, sort="title asc")
    browser.get(suite.url + "/data/")
    wait_until(browser, lambda d: len(_titles(d)) == everything["count"], "the list")
    assert _titles(browser) == [package["title"] for package in everything["results"]]

    found = _action(suite, "package_search", q="affairs", rows=100, sort="title asc")
    assert found["count"] >= 1
    search = browser.find_element(By.ID, "q")
    search.send_keys("affairs")
    browser.find_element(By.CSS_SELECTOR, "#search button[type=submit]").click()
    expected = [package["title"] for package in found["results"]]
    wait_until(browser, lambda d: _titles(d) == expected, "the search's results")

    catalogue = _action(suite, "package_show", id="community-affairs")
    browser.find_element(By.LINK_TEXT, catalogue["title"]).click()
    wait_until(
        browser,
        lambda d: d.execute_script("return document.querySelectorAll('#preview td').length"),
        "a preview",
    )
    assert browser.find_element(By.ID, "dataset-title").text == catalogue["title"]
    links = browser.find_elements(By.CSS_SELECTOR, "#resource-list a.download")
    assert sorted(link.get_attribute("data-format") for link in links) == ["CSV", "JSON"]
    for link in links:
        download = suite.http.get(link.get_attribute("href"), timeout=30)
        assert download.status_code == 200 and download.content
    table = _action(suite, "datastore_search", resource_id=catalogue["resources"][0]["id"])
    rows = browser.find_elements(By.CSS_SELECTOR, "#preview tr")
    assert len(rows) == 1 + min(10, table["total"])  # the header, then the first records

    axe_check(browser)
    screenshot(browser, "open-data")
