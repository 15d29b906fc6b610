"""The gateway's broker user may listen for its cache's invalidations, and for nothing else."""

import uuid

import pytest
from amqp.exceptions import AccessRefused
from kombu import Connection, Queue, binding

from gateway.cache import INVALIDATED_BY, QUEUE_PREFIX
from shared.outbox import events_exchange


def cache_queue(*patterns: str) -> Queue:
    return Queue(
        f"{QUEUE_PREFIX}{uuid.uuid4().hex}",
        bindings=[binding(events_exchange, routing_key=pattern) for pattern in patterns],
        exclusive=True,
        auto_delete=True,
        durable=False,
    )


def consume(uri: str, queue: Queue) -> str:
    with (
        Connection(uri) as connection,
        connection.Consumer(queue, on_message=lambda _message: None, no_ack=True),
    ):
        return queue.name


@pytest.fixture
def gateway_uri(broker_users: dict[str, str], rabbit_config: dict) -> str:
    with Connection(rabbit_config["AMQP_URI"]) as connection:  # as a publisher would have
        events_exchange(connection.default_channel).declare()
    return broker_users["gateway"]


def test_the_gateway_binds_its_own_queue_to_exactly_its_invalidations(gateway_uri):
    assert consume(gateway_uri, cache_queue(*INVALIDATED_BY)).startswith(QUEUE_PREFIX)


@pytest.mark.parametrize("pattern", ["*.personal_data_accessed", "#", "credit.record_added"])
def test_the_gateway_may_not_listen_to_anything_else(gateway_uri, pattern):
    with pytest.raises(AccessRefused):
        consume(gateway_uri, cache_queue(pattern))


def test_the_gateway_may_not_read_another_services_queue(gateway_uri):
    with pytest.raises(AccessRefused):
        consume(gateway_uri, Queue("credit.on_penalty_issued", durable=True, no_declare=True))
