"""The tourism service running for real beside the credit service (its venue checks): a
RabbitMQ vhost and PostgreSQL databases per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import Engine
from tourism_support import TICKET_SECRET

from services.credit.service import CreditService
from services.tourism.service import TourismService
from shared.db import make_engine


@dataclass
class RunningTourism:
    config: dict[str, Any]
    rpc: Any  # the ``tourism`` proxy of a ClusterRpcProxy
    credit: Any  # the ``credit`` proxy
    engine: Engine  # the tourism database, to look at what it stored
    amqp_uri: str


@pytest.fixture
def tourism(
    service_config: Callable[..., dict], runner_factory: Callable[..., Any], monkeypatch
) -> Iterator[RunningTourism]:
    monkeypatch.setenv("TOURISM_TICKET_SECRET", TICKET_SECRET)
    runner_factory(service_config("credit"), CreditService).start()
    config = service_config("tourism", EVENT_RETRY_ATTEMPTS=2, MAX_WORKERS=20)
    runner_factory(config, TourismService).start()
    engine = make_engine(config["DATABASE_URLS"]["tourism"])
    with ClusterRpcProxy(config) as cluster:
        yield RunningTourism(config, cluster.tourism, cluster.credit, engine, config["AMQP_URI"])
    engine.dispose()
