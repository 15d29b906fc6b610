"""The suite as a user runs it: ``smartcity up`` in a subprocess, driven over HTTP and AMQP
(``tests/suite_process.py`` starts and stops it; the browser tests use the same)."""

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import free_port  # noqa: F401  (tests import it from here)
from nameko.testing import rabbit
from suite_process import (  # noqa: F401  (tests import these from here)
    RunningSuite,
    _alive,
    _embedded_postgres_pid,
    default_env,
    make_var_dir,
    remove_broker_users,
    running_suite,
)

SUITE_PATHS = ("embedded-default", "postgresql")
"""Every e2e test runs on both: ``make run``'s path (no database configured: the embedded
PostgreSQL under the var dir) and the configured one (compose, CI: a PostgreSQL server)."""


@pytest.fixture(scope="session", params=SUITE_PATHS)
def suite(request, backing_services) -> Iterator[RunningSuite]:
    with running_suite(request.config, postgresql=request.param == "postgresql") as running:
        yield running


@pytest.fixture
def fresh_vhost(request) -> Iterator[str]:
    """An AMQP URI on a vhost of its own, deleted after the test."""
    manager = rabbit.Client(request.config.getoption("RABBIT_API_URI"))
    vhost = f"e2e_{uuid.uuid4().hex[:8]}"
    manager.create_vhost(vhost)
    manager.set_vhost_permissions(vhost, "guest", ".*", ".*", ".*")
    amqp_base = request.config.getoption("RABBIT_AMQP_URI")
    amqp_uri = amqp_base.replace("pyamqp://", "amqp://").rstrip("/") + f"/{vhost}"
    yield amqp_uri
    remove_broker_users(default_env(AMQP_URI=amqp_uri))
    manager.delete_vhost(vhost)


@pytest.fixture
def var_dir() -> Iterator[Path]:
    path = make_var_dir()
    yield path
    shutil.rmtree(path, ignore_errors=True)
