"""Every nameko consumer reconnects to a returning broker within about a second."""

from types import SimpleNamespace

import pytest
from kombu.exceptions import OperationalError
from nameko.messaging import QueueConsumer
from nameko.rpc import ReplyListener, RpcConsumer

import shared.service  # noqa: F401  (importing the service base applies the policy)
from shared.event_consumer import RECONNECT_POLICY, EventQueueConsumer


def _retry_intervals(consumer_cls: type) -> list[float]:
    """The waits a consumer announces while no broker answers (port 1 refuses at once)."""
    consumer = consumer_cls()
    consumer.container = SimpleNamespace(config={"AMQP_URI": "amqp://guest:guest@127.0.0.1:1//"})
    consumer.connect_max_retries = 4
    intervals: list[float] = []
    consumer.on_connection_error = lambda _exc, interval: intervals.append(interval)
    with pytest.raises(OperationalError), consumer.establish_connection():
        pass
    return intervals


@pytest.mark.parametrize("consumer_cls", [QueueConsumer, EventQueueConsumer])
def test_consumers_retry_at_once_then_at_most_every_second(consumer_cls):
    assert _retry_intervals(consumer_cls) == [0, 0.5, 1.0, 1.0]


def test_rpc_and_reply_consumers_use_the_patched_queue_consumer():
    assert type(RpcConsumer.queue_consumer) is QueueConsumer
    assert type(ReplyListener.queue_consumer) is QueueConsumer
    assert RECONNECT_POLICY["interval_max"] <= 1.0
