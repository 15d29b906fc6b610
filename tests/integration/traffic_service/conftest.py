"""The traffic service running for real: a RabbitMQ vhost and a PostgreSQL database per test.

``sample_feed`` imports Google's sample GTFS feed into the service's database with the
importer (as the operator's command does) before the service starts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from traffic_service_support import SAMPLE_ZIP

from services.traffic.importer import ImportSummary, import_feed
from services.traffic.models import Base
from services.traffic.service import MIGRATIONS, TrafficService
from shared.db import make_engine, migrate


@dataclass
class RunningTraffic:
    config: dict[str, Any]
    rpc: Any  # the ``traffic`` proxy of a ClusterRpcProxy
    engine: Engine  # the service's database, to look at what it stored


@pytest.fixture
def traffic_config(service_config: Callable[..., dict]) -> dict:
    return service_config("traffic")


@pytest.fixture
def traffic_engine(traffic_config: dict) -> Iterator[Engine]:
    """The traffic database, migrated (whether or not the service runs)."""
    engine = make_engine(traffic_config["DATABASE_URLS"]["traffic"])
    migrate(engine, "traffic", MIGRATIONS, Base.metadata)
    yield engine
    engine.dispose()


@pytest.fixture
def sample_feed(traffic_engine: Engine) -> ImportSummary:
    with Session(traffic_engine) as session:
        summary = import_feed(session, SAMPLE_ZIP, name="sample")
        session.commit()
    return summary


@pytest.fixture
def traffic(
    traffic_config: dict, traffic_engine: Engine, runner_factory: Callable[..., Any]
) -> Iterator[RunningTraffic]:
    runner = runner_factory(traffic_config, TrafficService)
    runner.start()
    with ClusterRpcProxy(traffic_config, timeout=15) as cluster:
        yield RunningTraffic(traffic_config, cluster.traffic, traffic_engine)
    # Before its database is dropped: runner_factory would kill it only after that, and its
    # outbox relay would meet a missing database. (``stop`` takes nameko 2 s; ``kill`` is what
    # runner_factory does anyway.)
    runner.kill()
