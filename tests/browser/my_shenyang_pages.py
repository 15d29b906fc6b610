"""Driving My Shenyang's pages from selenium: open a view and wait until it is drawn, fill a
form, log in, register as a newcomer does."""

from conftest import PASSWORD, new_id_number, screenshot, wait_until
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver


def open_view(driver: WebDriver, suite, view: str) -> None:
    """Go to ``#/<view>`` and wait until the app has drawn it."""
    driver.get(f"{suite.url}/my/#/{view}")
    wait_drawn(driver, view.split("/")[0])


def wait_drawn(driver: WebDriver, view: str) -> None:
    wait_until(
        driver,
        lambda d: d.execute_script(
            "const v = document.getElementById('view');"
            "return v.dataset.view === arguments[0] && v.dataset.ready === 'true';",
            view,
        ),
        f"the {view} view was not drawn",
    )


def assert_fits_the_phone(driver: WebDriver) -> None:
    """Nothing is wider than the screen (a page that scrolls sideways is broken on a phone)."""
    widths = driver.execute_script(
        "return [document.documentElement.scrollWidth, window.innerWidth];"
    )
    assert widths[0] <= widths[1], widths


def text_of(driver: WebDriver, css: str) -> str:
    return driver.find_element(By.CSS_SELECTOR, css).text


def fill(driver: WebDriver, form: str, values: dict[str, str]) -> None:
    for name, value in values.items():
        control = driver.find_element(By.CSS_SELECTOR, f"{form} [name='{name}']")
        control.clear()
        control.send_keys(value)


def log_in(driver: WebDriver, suite, username: str) -> None:
    driver.get(f"{suite.url}/my/")
    wait_drawn(driver, "login")
    fill(driver, "#login-form", {"username": username, "password": PASSWORD})
    driver.find_element(By.CSS_SELECTOR, "#login-form button[type=submit]").click()
    wait_drawn(driver, "home")


def register_in_the_page(driver: WebDriver, suite) -> str:
    """Register as a newcomer does, from the first page; returns the card number shown."""
    driver.get(f"{suite.url}/")
    wait_drawn(driver, "login")
    driver.find_element(By.ID, "to-register").click()
    wait_drawn(driver, "register")
    person = {
        "name": "Zhang Wei",
        "id_number": new_id_number(),
        "phone": "13912345678",
        "password": PASSWORD,
    }
    # A phone number that is not one: the page says so next to the field, in words.
    fill(driver, "#register-form", {**person, "phone": "12345"})
    driver.find_element(By.CSS_SELECTOR, "#register-form button[type=submit]").click()
    phone = driver.find_element(By.CSS_SELECTOR, "#register-form [name=phone]")
    wait_until(driver, lambda d: phone.get_attribute("aria-invalid") == "true", "no field error")
    error = driver.find_element(By.ID, f"{phone.get_attribute('id')}-error")
    assert error.text == "请输入 11 位手机号。"
    screenshot(driver, "my-register-error")
    fill(driver, "#register-form", {"phone": person["phone"], "password": PASSWORD})
    driver.find_element(By.CSS_SELECTOR, "#register-form button[type=submit]").click()
    wait_drawn(driver, "home")
    card = text_of(driver, "#card-number")
    assert len(card) == 16 and card.isdigit(), card
    return card
