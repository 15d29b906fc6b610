"""Test rig shared by the unit, integration and e2e suites.

- Unit tests need nothing running.
- Integration tests run services in-process (nameko ``runner_factory``) against a real RabbitMQ
  (a fresh vhost per test, nameko's ``rabbit_config``) and a real PostgreSQL (a fresh database
  per service per test, ``database_url``).
- When a Docker engine answers, pytest-docker starts RabbitMQ and PostgreSQL from
  ``docker-compose.yml`` first; otherwise the local servers are used (``TEST_AMQP_URI``,
  ``TEST_POSTGRES_URL``, ``TEST_RABBIT_API_URI`` override the defaults).
"""

import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

# nameko's pytest plugin no longer monkey-patches: without this first, tests hang.
import eventlet  # noqa: E402

eventlet.monkey_patch()

import os  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import uuid  # noqa: E402
import zlib  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

# Import hypothesis now, not lazily when its plugin reports at session end: compiling it then,
# on a green thread's stack, trips CPython 3.11's "AST constructor recursion depth mismatch".
import hypothesis  # noqa: E402, F401
import preflight  # noqa: E402
import pytest  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from helpers import POSTGRES_ADMIN_URL, EventTap  # noqa: E402

from smartcity import broker  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


def docker_engine_available() -> bool:
    if os.environ.get("SMARTCITY_TEST_DOCKER") == "0" or not shutil.which("docker"):
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def pytest_configure(config: pytest.Config) -> None:
    config.option.suppress_eventlet_notification = True
    amqp = os.environ.get("TEST_AMQP_URI")
    if amqp:
        config.option.RABBIT_AMQP_URI = amqp
    api = os.environ.get("TEST_RABBIT_API_URI")
    if api:
        config.option.RABBIT_API_URI = api


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--shard",
        default=None,
        help="K/N: run only the K-th of N disjoint parts of the selected tests (by test id), so "
        "that N pytest processes can share the run (tests/run_parallel.py)",
    )


def _keep_shard(config: pytest.Config, items: list[pytest.Item]) -> None:
    shard = config.getoption("--shard")
    if not shard:
        return
    index, _, count = shard.partition("/")
    kept = [
        item for item in items if zlib.crc32(item.nodeid.encode()) % int(count) == int(index) - 1
    ]
    deselected = [item for item in items if item not in kept]
    config.hook.pytest_deselected(items=deselected)
    items[:] = kept


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    _keep_shard(config, items)
    needs_servers = False
    for item in items:
        path = str(item.fspath)
        if f"{os.sep}integration{os.sep}" in path:
            item.add_marker(pytest.mark.integration)
            needs_servers = True
        elif f"{os.sep}e2e{os.sep}" in path:
            item.add_marker(pytest.mark.e2e)
            needs_servers = True
        elif f"{os.sep}browser{os.sep}" in path:
            item.add_marker(pytest.mark.browser)
            needs_servers = True
    # A test that restarts the broker goes last: every other test would see it vanish.
    items.sort(key=lambda item: item.get_closest_marker("broker_restart") is not None)
    if needs_servers and not docker_engine_available():
        missing = preflight.missing_servers(
            config.getoption("RABBIT_AMQP_URI"),
            config.getoption("RABBIT_API_URI"),
            POSTGRES_ADMIN_URL,
        )
        if missing:
            # One line instead of a hundred errors from fixtures that cannot start.
            pytest.exit("cannot run the integration tests: " + "; ".join(missing), returncode=3)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> object:
    """In CI a skip is a failure: CI installs everything its tests need (.ci/run)."""
    report = yield
    if os.environ.get("CI") and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where everything must be installed: {reason}"
    return report


@pytest.fixture(scope="session")
def docker_compose_file() -> list[str]:
    # The ports file publishes RabbitMQ and PostgreSQL on loopback, where the tests look.
    return [str(ROOT / "docker-compose.yml"), str(ROOT / "docker-compose.ports.yml")]


@pytest.fixture(scope="session")
def docker_setup() -> list[str]:
    """Only the backing services: the tests run the suite's own processes themselves."""
    return ["up -d rabbitmq postgres"]


@pytest.fixture(scope="session")
def backing_services(request: pytest.FixtureRequest) -> None:
    """RabbitMQ and PostgreSQL from compose when Docker answers, else the local ones."""
    if not docker_engine_available():
        return
    # A private test broker and database: the credentials the tests use by default, and
    # throw-away passwords for the users compose declares (it refuses to start without them).
    os.environ.setdefault("RABBITMQ_ADMIN_USER", "guest")
    os.environ.setdefault("RABBITMQ_ADMIN_PASSWORD", "guest")
    os.environ.setdefault("POSTGRES_PASSWORD", "postgres")
    for line in broker.env_file_lines()[3:]:
        os.environ.setdefault(*line.split("=", 1))
    docker_services = request.getfixturevalue("docker_services")
    docker_services.wait_until_responsive(
        timeout=90, pause=1, check=lambda: _port_open("127.0.0.1", 5672)
    )
    docker_services.wait_until_responsive(
        timeout=90, pause=1, check=lambda: _port_open("127.0.0.1", 5432)
    )


def _port_open(host: str, port: int) -> bool:
    import socket

    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, port)) == 0


@pytest.fixture
def database_url(backing_services: None) -> Iterator[Callable[[str], str]]:
    """``database_url("credit")`` → URL of a new, empty PostgreSQL database, dropped after."""
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    created: list[str] = []

    def make(service: str) -> str:
        name = f"test_{service}_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        created.append(name)
        return str(
            sa.engine.make_url(POSTGRES_ADMIN_URL)
            .set(database=name)
            .render_as_string(hide_password=False)
        )

    yield make
    with admin.connect() as conn:
        for name in created:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def runner_factory(database_url: Callable[[str], str], rabbit_config: dict) -> Iterator:
    """nameko's ``runner_factory``, set up after the databases and the vhost so that its
    runners are killed before those are dropped (no relay left talking to a dropped database).

    Each service's database is migrated first, as ``smartcity run`` does in a child process:
    a service only checks at start-up that its schema is current."""
    from nameko.runners import ServiceRunner

    from shared.config import database_url as configured_url
    from smartcity.migrations import migrate_service_class

    runners: list[ServiceRunner] = []

    def make(config: dict, *service_classes: type) -> ServiceRunner:
        runner = ServiceRunner(config)
        for service_cls in service_classes:
            if hasattr(service_cls, "db"):
                name = service_cls.name
                url = config.get("DATABASE_URLS", {}).get(name) or configured_url(name)
                migrate_service_class(service_cls, url)
            runner.add_service(service_cls)
        runners.append(runner)
        return runner

    yield make
    for runner in runners:
        runner.kill()


@pytest.fixture
def service_config(rabbit_config: dict, database_url: Callable[[str], str]) -> Callable[..., dict]:
    """The nameko config of one service under test: its own database, the test vhost."""
    from shared.config import nameko_config

    def make(service: str, **overrides: object) -> dict:
        config = nameko_config(
            service,
            AMQP_URI=rabbit_config["AMQP_URI"],
            DATABASE_URLS={service: database_url(service)},
            METRICS_PORT=0,
            EVENT_RETRY_BACKOFF=0.05,
            OUTBOX_POLL_INTERVAL=0.2,
        )
        config.update(overrides)
        return config

    return make


@pytest.fixture
def event_tap(rabbit_config: dict) -> Iterator[Callable[..., EventTap]]:
    """``event_tap("credit.list_changed")``: a subscriber of our own bound to those types."""
    taps: list[EventTap] = []

    def make(*patterns: str) -> EventTap:
        tap = EventTap(rabbit_config["AMQP_URI"], *patterns)
        taps.append(tap)
        return tap

    yield make
    for tap in taps:
        tap.close()
