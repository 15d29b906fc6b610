"""The community service running for real on a RabbitMQ vhost and a PostgreSQL database of its
own, reached over RPC as the gateway reaches it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from services.community.service import CommunityService


@pytest.fixture
def community_config(service_config: Callable[..., dict], tmp_path: Any) -> dict:
    return service_config("community", COMMUNITY_DOCUMENTS_DIR=str(tmp_path / "documents"))


@pytest.fixture
def community(community_config: dict, runner_factory: Callable) -> Iterator[Any]:
    runner_factory(community_config, CommunityService).start()
    with ClusterRpcProxy(community_config) as cluster:
        yield cluster.community
