"""The gateway's 'is it up' directory: answers without waiting, and tells a dead broker apart."""

from types import SimpleNamespace

import pytest
from helpers import wait_for
from messaging_app.app import InspectionService

from gateway.rpc import BROKER_DOWN, DOWN, UP, ServiceDirectory, _TimedService
from shared.errors import ServiceUnavailable


def directory_for(amqp_uri: str) -> ServiceDirectory:
    directory = ServiceDirectory()
    directory.container = SimpleNamespace(config={"AMQP_URI": amqp_uri})
    directory.setup()
    return directory


def test_a_killed_service_is_seen_down_by_the_next_count(service_config, start, rabbit_config):
    runner = start(service_config("inspection"), InspectionService)
    directory = directory_for(rabbit_config["AMQP_URI"])
    assert directory.status("inspection") == UP

    runner.kill()

    def counted_down() -> bool:
        directory.refresh()
        return directory.status("inspection") == DOWN

    wait_for(counted_down)
    directory.stop()


def test_a_timed_out_service_stays_down_until_a_count_sees_it_back(
    service_config, start, rabbit_config
):
    start(service_config("inspection"), InspectionService)
    directory = directory_for(rabbit_config["AMQP_URI"])
    assert directory.status("inspection") == UP

    directory.mark_down("inspection")  # what a call that timed out does
    assert directory.status("inspection") == DOWN

    directory.refresh()
    assert directory.status("inspection") == UP
    directory.stop()


def test_an_unreachable_broker_is_named_in_the_503():
    directory = directory_for("amqp://guest:guest@127.0.0.1:1//")
    assert directory.status("traffic") == BROKER_DOWN
    traffic = _TimedService(None, None, "traffic", 1.0, directory)

    with pytest.raises(ServiceUnavailable) as caught:
        _ = traffic.arrivals  # looking up the method is where the gateway refuses

    assert "broker is unavailable" in str(caught.value)
    assert "traffic service is not running" not in str(caught.value)
