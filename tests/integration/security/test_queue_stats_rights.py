"""The gateway's own broker user may count another service's queues (passive declares, the ops
overview) but still may not take a message from them."""

import pytest
from amqp.exceptions import AccessRefused
from broker_client import call_rpc
from kombu import Connection

from shared.queue_stats import read_overview, read_queues
from smartcity.registry import load

CREDIT_QUEUES = ("rpc-credit", "credit.on_penalty_issued", "credit.dead_letters", "credit.retry")


@pytest.fixture
def credit_running(config_as, runner_factory, broker_users) -> dict[str, str]:
    for service in ("platform", "credit"):
        runner_factory(config_as(service, RPC_TIMEOUT=5), load(service)).start()
    return broker_users


def test_the_gateway_user_reads_the_figures_of_credits_queues(credit_running):
    gateway = credit_running["gateway"]
    stats = read_queues(gateway, [*CREDIT_QUEUES, "credit.no_such_queue"])
    assert stats["rpc-credit"].consumers == 1
    assert stats["credit.on_penalty_issued"].consumers == 1
    assert stats["credit.dead_letters"].messages == 0
    assert stats["credit.no_such_queue"] is None

    # The whole overview, with health asked as the gateway asks it (its own reply queue).
    body = read_overview(
        gateway,
        ("platform", "credit", "traffic"),
        lambda service: call_rpc(gateway, "gateway", f"{service}.health")["result"],
    )
    rows = {row["service"]: row for row in body["services"]}
    assert rows["credit"]["status"] == "ok" and rows["credit"]["instances"] == 1
    assert rows["credit"]["event_queue_depth"] == 0
    assert rows["traffic"]["instances"] == 0


@pytest.mark.parametrize("queue", CREDIT_QUEUES)
def test_the_gateway_user_cannot_consume_or_get_from_credits_queues(credit_running, queue):
    gateway = credit_running["gateway"]
    with Connection(gateway) as connection:
        with pytest.raises(AccessRefused, match=queue):
            connection.channel().basic_get(queue)
        with pytest.raises(AccessRefused, match=queue):
            connection.channel().basic_consume(queue, callback=lambda message: None)
    # Control: the operator may read them (dead letters, replays).
    with Connection(credit_running["operator"]) as connection:
        assert connection.channel().basic_get(queue) is None
