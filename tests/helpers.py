"""Small helpers the test suites share (import as ``from helpers import wait_for``)."""

import os
import time
from collections.abc import Callable
from urllib.parse import urlparse

import eventlet
import pytest

# Local servers trust loopback; the compose PostgreSQL wants its password (harmless locally).
POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg2://postgres:postgres@127.0.0.1:5432/postgres"
)


def pika_url(amqp_uri: str) -> str:
    """nameko's test URIs say ``pyamqp://``; pika wants ``amqp://``."""
    parsed = urlparse(amqp_uri)
    return parsed._replace(scheme="amqp").geturl()


def wait_for(check: Callable[[], object], timeout: float = 10, interval: float = 0.05) -> object:
    """Poll ``check`` until it returns something truthy; fail the test after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout} s: {check}")
        eventlet.sleep(interval)
