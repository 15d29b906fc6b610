"""The credit service running for real: RabbitMQ vhost and PostgreSQL database per test.

Beside it runs a fake ``platform`` service (the other department the credit service calls to
resolve citizen cards); the broker and the database are real.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from credit_service_support import EventTap, FakePlatformService
from nameko.standalone.rpc import ClusterRpcProxy
from nameko.testing.utils import get_container
from sqlalchemy import Engine

from services.credit.service import CreditService
from shared.db import make_engine


@dataclass
class RunningCredit:
    config: dict[str, Any]
    rpc: Any  # the ``credit`` service proxy of a ClusterRpcProxy
    container: Any
    engine: Engine  # the service's database, to look at what it stored


@pytest.fixture
def credit_config(service_config: Callable[..., dict]) -> dict:
    # Two attempts, quick backoff: a bad event reaches the dead letters in well under a second.
    return service_config("credit", EVENT_RETRY_ATTEMPTS=2, RPC_TIMEOUT=5)


@pytest.fixture
def credit(credit_config: dict, runner_factory: Callable[..., Any]) -> Iterator[RunningCredit]:
    runner = runner_factory(credit_config, CreditService, FakePlatformService)
    runner.start()
    engine = make_engine(credit_config["DATABASE_URLS"]["credit"])
    with ClusterRpcProxy(credit_config) as cluster:
        yield RunningCredit(
            credit_config, cluster.credit, get_container(runner, CreditService), engine
        )
    engine.dispose()


@pytest.fixture
def event_tap(rabbit_config: dict) -> Iterator[Callable[..., EventTap]]:
    taps: list[EventTap] = []

    def make(*event_types: str) -> EventTap:
        tap = EventTap(rabbit_config["AMQP_URI"], *event_types)
        taps.append(tap)
        return tap

    yield make
    for tap in taps:
        tap.close()
