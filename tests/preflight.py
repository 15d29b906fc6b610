"""What the integration and e2e tests need running, checked before any test starts.

Each check returns what is missing and how to fix it, in one line.
"""

from __future__ import annotations

import socket
from urllib.parse import urlparse

import requests
import sqlalchemy as sa


def missing_servers(amqp_uri: str, rabbit_api_uri: str, postgres_url: str) -> list[str]:
    problems = [
        _check_rabbitmq(amqp_uri),
        _check_management_api(rabbit_api_uri),
        _check_postgres(postgres_url),
    ]
    return [problem for problem in problems if problem]


def _check_rabbitmq(amqp_uri: str) -> str | None:
    url = urlparse(amqp_uri)
    host, port = url.hostname or "localhost", url.port or 5672
    try:
        with socket.create_connection((host, port), timeout=3):
            return None
    except OSError:
        return f"RabbitMQ does not answer on {host}:{port} (start it: rabbitmq-server -detached)"


def _check_management_api(api_uri: str) -> str | None:
    url = urlparse(api_uri)
    where = f"{url.hostname}:{url.port or 15672}"
    try:
        response = requests.get(
            f"{url.scheme}://{where}/api/overview",
            auth=(url.username or "guest", url.password or "guest"),
            timeout=5,
        )
    except requests.RequestException:
        return (
            f"the RabbitMQ management API does not answer on {where}, and the tests create a "
            "vhost each through it (enable it: rabbitmq-plugins enable rabbitmq_management)"
        )
    if response.status_code != 200:
        return (
            f"the RabbitMQ management API on {where} refused the test user ({response.status_code})"
        )
    return None


def _check_postgres(postgres_url: str) -> str | None:
    engine = sa.create_engine(postgres_url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        url = engine.url
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else "no answer"
        return (
            f"PostgreSQL at {url.host}:{url.port or 5432} refused ({reason}); start it, or set "
            "TEST_POSTGRES_URL"
        )
    finally:
        engine.dispose()
    return None
