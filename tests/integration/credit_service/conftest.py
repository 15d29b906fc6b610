"""The credit service running for real: RabbitMQ vhost and PostgreSQL database per test.

Beside it runs the real ``platform`` service (the department the credit service asks whose
citizen card is whose), with one registered resident.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from credit_service_support import RESIDENT_ID
from nameko.standalone.rpc import ClusterRpcProxy
from nameko.testing.utils import get_container
from sqlalchemy import Engine

from services.credit.service import CreditService
from services.platform.service import PlatformService
from shared.db import make_engine


@dataclass
class RunningCredit:
    config: dict[str, Any]
    rpc: Any  # the ``credit`` service proxy of a ClusterRpcProxy
    container: Any
    engine: Engine  # the service's database, to look at what it stored
    card_number: str  # the registered resident's card (the platform draws it at random)


@pytest.fixture
def credit_config(service_config: Callable[..., dict]) -> dict:
    # Two attempts, quick backoff: a bad event reaches the dead letters in well under a second.
    return service_config("credit", EVENT_RETRY_ATTEMPTS=2, RPC_TIMEOUT=5)


@pytest.fixture
def credit(
    credit_config: dict, service_config: Callable[..., dict], runner_factory: Callable[..., Any]
) -> Iterator[RunningCredit]:
    platform_config = service_config("platform")
    runner_factory(platform_config, PlatformService).start()
    with ClusterRpcProxy(platform_config) as cluster:
        card = cluster.platform.register_resident(
            {
                "name": "Zhang Wei",
                "id_number": RESIDENT_ID,
                "phone": "13800000000",
                "password": "correct horse battery",
            }
        )["card_number"]
    runner = runner_factory(credit_config, CreditService)
    runner.start()
    engine = make_engine(credit_config["DATABASE_URLS"]["credit"])
    with ClusterRpcProxy(credit_config) as cluster:
        yield RunningCredit(
            credit_config, cluster.credit, get_container(runner, CreditService), engine, card
        )
    engine.dispose()
