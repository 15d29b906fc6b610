"""Fixtures of the platform integration tests: the service on RabbitMQ + PostgreSQL, an RPC
proxy, and units of work on the same database for tests that drive the domain directly."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from platform_samples import JWT_SECRET
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from services.platform.models import Base
from services.platform.service import MIGRATIONS, PlatformService
from shared.db import UnitOfWork, make_engine, migrate


@pytest.fixture(autouse=True)
def jwt_secret(monkeypatch: pytest.MonkeyPatch) -> str:
    """One known secret for the service under test and for the test's own verification."""
    monkeypatch.setenv("JWT_SECRET", JWT_SECRET)
    return JWT_SECRET


@pytest.fixture
def platform_config(service_config: Callable[..., dict]) -> dict:
    return service_config("platform")


@pytest.fixture
def platform_runner(platform_config: dict, runner_factory):
    runner = runner_factory(platform_config, PlatformService)
    runner.start()
    return runner


@pytest.fixture
def platform(platform_config: dict, platform_runner) -> dict:
    """The platform service running; returns its config."""
    return platform_config


@pytest.fixture
def rpc(platform: dict) -> Iterator:
    with ClusterRpcProxy(platform) as cluster:
        yield cluster.platform


@pytest.fixture
def engine(platform_config: dict) -> Iterator[Engine]:
    """The platform database, migrated (whether or not the service runs)."""
    engine = make_engine(platform_config["DATABASE_URLS"]["platform"])
    migrate(engine, "platform", MIGRATIONS, Base.metadata)
    yield engine
    engine.dispose()


@pytest.fixture
def run_domain(engine: Engine) -> Callable[..., Any]:
    """``run_domain(fn, *args, context=None, **kwargs)``: what an entrypoint does with a domain
    function: a fresh unit of work, the call, commit, and the unit closed whatever happened."""
    factory = sessionmaker(engine, expire_on_commit=False)

    def run(
        function: Callable[..., Any], *args: Any, context: dict | None = None, **kwargs: Any
    ) -> Any:
        unit = UnitOfWork(factory, "platform", context=context)
        try:
            result = function(unit, *args, **kwargs)
            unit.commit()
            return result
        finally:
            unit.close()

    return run
