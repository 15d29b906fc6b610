"""Services running as their own broker users, made from the access-rights table."""

from collections.abc import Callable, Iterator

import pytest

from smartcity import broker


@pytest.fixture
def broker_users(
    rabbit_config: dict, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    """``smartcity broker setup`` on the test vhost: principal → its AMQP URI."""
    admin_uri = rabbit_config["AMQP_URI"]
    monkeypatch.setenv("SMARTCITY_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("AMQP_URI", admin_uri)
    yield broker.setup(admin_uri)
    broker.teardown(admin_uri)


@pytest.fixture
def config_as(
    service_config: Callable[..., dict], broker_users: dict[str, str]
) -> Callable[..., dict]:
    """The config of a service under test, connecting as the service's own broker user."""

    def make(service: str, **overrides: object) -> dict:
        return service_config(service, AMQP_URI=broker_users[service], **overrides)

    return make
