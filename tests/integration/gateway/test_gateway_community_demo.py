"""The community demo data loads over the real gateway, and loading it twice is harmless."""

from services.community.service import CommunityService
from services.credit.service import CreditService
from services.platform.service import PlatformService
from smartcity import demo_community


def test_the_demo_loads_twice_with_the_same_result(stack_factory):
    stack = stack_factory((PlatformService, CreditService, CommunityService))
    keys = {
        name: stack.client(role, department, tuple(scopes), unit)
        for name, (role, department, scopes, unit) in demo_community.CLIENTS.items()
    }
    summaries = {demo_community.load(stack.url, keys, ["3101000000000001"]) for _ in range(2)}
    assert len(summaries) == 1 and "3 grid cells" in summaries.pop()

    cells = stack.call("GET", "/api/v1/community/grid/cells").json()
    assert [cell["cell_id"] for cell in cells["items"]] == ["HP-001", "HP-002", "HP-003"]
    worker = keys["community-grid-heping"]
    incidents = stack.call("GET", "/api/v1/community/grid/incidents", worker).json()
    assert incidents["total"] == 1 and incidents["items"][0]["cell_id"] == "HP-001"
    located = stack.call("GET", "/api/v1/community/grid/locate?lon=123.41&lat=41.795").json()
    assert located["cell_id"] == "HP-001"  # on the border of HP-001 and HP-002
