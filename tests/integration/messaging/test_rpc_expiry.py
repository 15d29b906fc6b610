"""An RPC request expires with its caller's deadline: a late callee never carries it out."""

import pytest
from messaging_app.app import InspectionService, Penalty
from nameko.standalone.rpc import ClusterRpcProxy

from shared.errors import GatewayTimeout
from shared.rpc import call_with_deadline

CREDIT_CODE = "91110000600037341L"


def test_a_request_whose_caller_gave_up_is_not_executed_when_the_callee_returns(
    service_config, start, rows_of
):
    # One worker: the callee takes its queue strictly in order, so once the second request is
    # answered, the first (ahead of it in the queue) was either carried out or dropped.
    config = service_config("inspection", max_workers=1)
    start(config, InspectionService).stop()  # the RPC queue exists; nobody consumes it

    with ClusterRpcProxy(config) as cluster:
        with pytest.raises(GatewayTimeout):
            call_with_deadline(
                cluster.inspection.issue, "P-late", CREDIT_CODE, timeout=0.5, service="inspection"
            )

        start(config, InspectionService)
        call_with_deadline(
            cluster.inspection.issue, "P-after", CREDIT_CODE, timeout=10, service="inspection"
        )

    assert [p.source_record_id for p in rows_of(config, Penalty)] == ["P-after"]
