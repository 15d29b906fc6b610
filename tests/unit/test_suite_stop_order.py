"""``smartcity up`` stops callers before callees, and what may stop together does."""

from shared.broker_rights import principal
from smartcity.registry import PROCESSES, START_ORDER
from smartcity.suite import stop_layers


def test_the_gateway_stops_first_and_the_platform_last() -> None:
    layers = stop_layers(START_ORDER)
    assert layers[0] == ("gateway",)
    assert layers[-2:] == [("credit",), ("platform",)]  # credit calls the platform
    assert sorted(p for layer in layers for p in layer) == sorted(START_ORDER)


def test_after_the_gateway_no_process_stops_while_a_caller_of_it_still_runs() -> None:
    # No cycle of calls: the gateway calls everything, credit, health and education call the
    # platform, community and tourism call credit.
    first, *rest = stop_layers(START_ORDER)
    stopped = set(first)
    for layer in rest:
        for process in layer:
            callers = {
                other
                for other in START_ORDER
                if other != process
                and any(
                    grant.partition(".")[0] in PROCESSES[process]
                    for service in PROCESSES[other]
                    for grant in principal(service).calls
                )
            }
            assert callers <= stopped, (process, callers - stopped)
        stopped.update(layer)
