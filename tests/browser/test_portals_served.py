"""The portals are served to a real browser under their policy: the page loads its own files
(no inline script, nothing from elsewhere) and passes axe-core's checks."""

from urllib.parse import urlparse

import pytest
from conftest import axe_check, wait_until

pytestmark = pytest.mark.timeout(300)


def test_the_home_address_opens_my_shenyang(suite, browser):
    browser.get(suite.url + "/")
    wait_until(browser, lambda d: urlparse(d.current_url).path == "/my/", "no redirect to /my/")
    assert browser.title
    wait_until(browser, lambda d: d.execute_script("return document.readyState") == "complete")
    styles = browser.execute_script(
        "return getComputedStyle(document.querySelector('header')).backgroundColor"
    )
    assert styles != "rgba(0, 0, 0, 0)", "the stylesheet was not applied"
    axe_check(browser)
