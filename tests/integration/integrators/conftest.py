"""Integrators' flows: the gateway stack of tests/integration/gateway (reused, not copied),
a platform that may POST to the loopback receivers of these tests, and those receivers."""

import importlib.util
import sys
from pathlib import Path

import pytest
from receiver import Receiver

GATEWAY_TESTS = Path(__file__).resolve().parents[1] / "gateway"
sys.path.insert(0, str(GATEWAY_TESTS))  # gateway_samples, which the stack's module imports
_spec = importlib.util.spec_from_file_location("gateway_stack", GATEWAY_TESTS / "conftest.py")
_gateway_stack = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_gateway_stack)
stack_factory = _gateway_stack.stack_factory

LOOPBACK_RECEIVERS = {
    # http, and 127.0.0.1 explicitly allow-listed: the receivers of these tests. Nothing
    # else internal is allowed (``localhost`` is refused: it is not on the list).
    "WEBHOOK_ALLOW_HTTP": "true",
    "WEBHOOK_TRUSTED_HOSTS": "127.0.0.1",
    "WEBHOOK_RETRY_BASE_S": 0.1,
    "WEBHOOK_SEND_INTERVAL_S": 0.1,
    "WEBHOOK_TIMEOUT_S": 30,
}


@pytest.fixture
def service_config(service_config):
    def make(service: str, **overrides):
        if service == "platform":
            overrides = {**LOOPBACK_RECEIVERS, **overrides}
        return service_config(service, **overrides)

    return make


@pytest.fixture
def stack(stack_factory):
    return stack_factory()


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()
