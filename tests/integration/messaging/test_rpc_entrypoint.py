"""``shared.rpc.rpc``, every service's entrypoint, on the real broker: it answers as nameko's
does (results, the callee's errors, a wrong call, an unknown method, an answer that cannot be
encoded), though its replies skip the publisher confirm and the second encoding."""

import pytest
from nameko.amqp.publish import Publisher, get_producer
from nameko.exceptions import (
    IncorrectSignature,
    MethodNotFound,
    RemoteError,
)
from nameko.rpc import rpc as nameko_rpc
from nameko.standalone.rpc import ClusterRpcProxy

from shared.errors import NotFound
from shared.rpc import UnconfirmedPublisher, rpc


class CalculatorService:
    name = "calculator"

    @rpc
    def add(self, a: int, b: int = 0) -> int:
        return a + b

    @rpc
    def lookup(self, key: str) -> dict:
        raise NotFound(f"no {key}")

    @rpc
    def handle(self) -> object:
        return CalculatorService  # a class: no JSON for it


class MixedService:
    name = "mixed"

    @rpc
    def ours(self) -> int:
        return 1

    @nameko_rpc
    def theirs(self) -> int:
        return 2


@pytest.fixture
def calculator(rabbit_config, runner_factory):
    runner = runner_factory(rabbit_config, CalculatorService)
    runner.start()
    with ClusterRpcProxy(rabbit_config, timeout=10) as cluster:
        yield cluster.calculator


def test_a_call_is_answered_with_its_result(calculator):
    assert calculator.add(2, b=3) == 5
    assert [calculator.add(n) for n in range(20)] == list(range(20))  # each its own reply


def test_the_callees_error_reaches_the_caller_as_the_same_error(calculator):
    with pytest.raises(NotFound, match="no K-1"):
        calculator.lookup("K-1")


def test_a_call_that_does_not_fit_the_method_is_refused(calculator):
    with pytest.raises(IncorrectSignature):
        calculator.add(1, 2, 3)
    with pytest.raises(IncorrectSignature):
        calculator.add(c=1)
    assert calculator.add(1) == 1  # the worker was not spent on it


def test_an_unknown_method_is_named(rabbit_config, calculator):
    with (
        ClusterRpcProxy(rabbit_config, timeout=10) as cluster,
        pytest.raises(MethodNotFound) as raised,
    ):
        cluster.calculator.subtract(1, 2)
    assert "subtract" in str(raised.value)


def test_an_answer_that_cannot_be_encoded_is_an_error_not_a_lost_reply(calculator):
    with pytest.raises(RemoteError) as raised:
        calculator.handle()
    assert raised.value.exc_type == "UnserializableValueError"  # as nameko's entrypoint says
    assert calculator.add(4, 4) == 8


def test_a_service_mixing_nameko_rpc_in_does_not_start(rabbit_config, runner_factory):
    """nameko's consumer would share the queue and answer 'method not found' for the other's
    methods: the container refuses to start, naming the method."""
    runner = runner_factory(rabbit_config, MixedService)
    with pytest.raises(TypeError, match=r"theirs use nameko\.rpc\.rpc"):
        runner.start()


def test_unconfirmed_replies_leave_the_confirmed_publishers_confirming(rabbit_config, calculator):
    """nameko's publish writes ``confirm_publish`` into the dict its pooled connections read:
    the replies' publisher has a dict of its own, so the confirmed ones (dead-letter copies)
    stay confirmed after any number of replies."""
    Publisher(rabbit_config["AMQP_URI"], use_confirms=True).publish({"n": 1}, routing_key="none")
    assert calculator.add(1, 1) == 2  # a reply, published without a confirm
    assert Publisher.transport_options["confirm_publish"] is True
    assert UnconfirmedPublisher.transport_options["confirm_publish"] is False
    with get_producer(
        rabbit_config["AMQP_URI"], transport_options=Publisher.transport_options
    ) as producer:
        assert producer.channel.connection.client.transport_options["confirm_publish"] is True
