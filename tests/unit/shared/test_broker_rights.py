"""The access-rights table: complete, least-privilege, and turned into the right RabbitMQ rules."""

import re

import pytest
from nameko.rpc import Rpc

from shared.broker_rights import (
    ACCESS_RIGHTS,
    EVENTS_EXCHANGE,
    OPERATOR_ONLY_RPC,
    RPC_EXCHANGE,
    broker_rules,
    broker_username,
    principal,
    principal_of_username,
)
from shared.messaging import EventSubscriber
from smartcity.registry import SERVICE_CLASSES, load


def entrypoints(service: str, kind: type) -> dict[str, object]:
    """Method name → entrypoint of that kind, on the service class."""
    cls = load(service)
    return {
        name: ext
        for name in dir(cls)
        for ext in getattr(getattr(cls, name), "nameko_entrypoints", ())
        if isinstance(ext, kind)
    }


def allows(pattern: str, value: str) -> bool:
    return re.fullmatch(pattern, value) is not None


def test_every_process_has_a_row():
    assert {row.name for row in ACCESS_RIGHTS} == {*SERVICE_CLASSES, "operator"}


@pytest.mark.parametrize("service", [name for name in SERVICE_CLASSES if name != "gateway"])
def test_each_service_may_bind_exactly_what_it_subscribes_to(service):
    patterns = {ext.pattern for ext in entrypoints(service, EventSubscriber).values()}
    assert patterns == set(principal(service).subscribes)


def test_every_rpc_grant_names_a_real_method():
    for row in ACCESS_RIGHTS:
        for grant in row.calls:
            service, method = grant.split(".")
            assert method == "*" or method in entrypoints(service, Rpc), grant


def test_no_department_service_may_call_an_operator_only_method():
    for row in ACCESS_RIGHTS:
        if row.serves:
            write, _read = broker_rules(row).topics[RPC_EXCHANGE]
            assert not any(allows(write, method) for method in OPERATOR_ONLY_RPC), row.name


def test_tourism_may_check_credit_but_not_resolve_cards_or_speak_for_health():
    rules = broker_rules(principal("tourism"))
    rpc_write, rpc_read = rules.topics[RPC_EXCHANGE]
    assert allows(rpc_write, "credit.check")
    assert not allows(rpc_write, "platform.resolve_card")
    assert not allows(rpc_write, "platform.create_client")
    assert allows(rpc_read, "tourism.*")
    assert not allows(rpc_read, "platform.*")
    events_write, events_read = rules.topics[EVENTS_EXCHANGE]
    assert allows(events_write, "tourism.card_linked")
    assert not allows(events_write, "health.personal_data_accessed")
    assert not allows(events_read, "*.personal_data_accessed")
    assert allows(rules.read, "rpc-tourism") and not allows(rules.read, "rpc-platform")
    assert not allows(rules.write, "amq.default")


def test_the_gateway_calls_services_but_serves_and_publishes_nothing():
    rules = broker_rules(principal("gateway"))
    rpc_write, _read = rules.topics[RPC_EXCHANGE]
    assert allows(rpc_write, "credit.check") and allows(rpc_write, "platform.create_client")
    assert not allows(rpc_write, "3f2504e0-4f89-11d3-9a0c-0305e82c3301")  # replies: not its job
    assert rules.topics[EVENTS_EXCHANGE][0] == "^$"
    assert not allows(rules.configure, "rpc-gateway")


def test_usernames_name_the_vhost_unless_it_is_the_default():
    assert broker_username("credit") == "smartcity-credit"
    assert broker_username("credit", "e2e_1") == "smartcity-credit@e2e_1"
    assert principal_of_username("smartcity-credit@e2e_1", "e2e_1") == "credit"
    assert principal_of_username("smartcity-credit", "/") == "credit"
    assert principal_of_username("smartcity-credit@e2e_1", "/") is None
    assert principal_of_username("guest", "/") is None


def test_the_platform_publishes_only_public_types_to_the_public_exchange():
    from shared.broker_rights import PUBLIC_EXCHANGE
    from shared.contracts.catalogue import CATALOGUE

    rules = broker_rules(principal("platform"))
    write, read = rules.topics[PUBLIC_EXCHANGE]
    assert allows(rules.write, PUBLIC_EXCHANGE) and read == "^$"
    for spec in CATALOGUE.values():
        key = spec.type.replace("*", "traffic")
        assert allows(write, key) is (spec.classification == "public"), spec.type
    # no other service may write there
    for row in ACCESS_RIGHTS:
        if row.name not in ("platform", "operator"):
            assert PUBLIC_EXCHANGE not in broker_rules(row).topics, row.name
            assert not allows(broker_rules(row).write, PUBLIC_EXCHANGE), row.name


def test_an_integrator_may_only_use_its_own_queues_on_the_public_exchange():
    from shared.broker_rights import (
        PUBLIC_EXCHANGE,
        integrator_queue_prefix,
        integrator_rules,
        integrator_username,
    )

    rules = integrator_rules("maps")
    own = integrator_queue_prefix("maps") + "traffic"
    assert own == "integrator.maps.traffic"
    assert allows(rules.configure, own) and allows(rules.read, own) and allows(rules.write, own)
    for other in ("integrator.bus.traffic", "integrator.maps", "platform.webhooks", "rpc-platform"):
        assert not any(allows(p, other) for p in (rules.configure, rules.read, rules.write)), other
    assert allows(rules.read, PUBLIC_EXCHANGE)
    for exchange in (EVENTS_EXCHANGE, RPC_EXCHANGE, "amq.default", "", "amq.topic"):
        assert not allows(rules.read, exchange) and not allows(rules.write, exchange), exchange
    assert not allows(rules.write, PUBLIC_EXCHANGE) and not allows(rules.configure, PUBLIC_EXCHANGE)
    assert rules.topics[PUBLIC_EXCHANGE] == ("^$", ".*")
    assert integrator_username("maps", "e2e_1") == "smartcity-integrator-maps@e2e_1"
    assert principal_of_username("smartcity-integrator-maps") is None  # not a service
    for bad in ("Maps", "a", "maps.evil", "maps|x", "x" * 40):
        with pytest.raises(ValueError):
            integrator_rules(bad)
