"""The community service running for real on a RabbitMQ vhost and a PostgreSQL database of its
own, reached over RPC as the gateway reaches it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from services.community.service import CommunityService


@pytest.fixture
def community(
    service_config: Callable[..., dict], runner_factory: Callable, tmp_path: Any
) -> Iterator[Any]:
    config = service_config("community", COMMUNITY_DOCUMENTS_DIR=str(tmp_path / "documents"))
    runner_factory(config, CommunityService).start()
    with ClusterRpcProxy(config) as cluster:
        yield cluster.community
