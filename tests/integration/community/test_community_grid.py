"""The community grid over real RPC: cells and base data, locating points (inside, on a shared
border, outside), incidents from report to closure, per-worker visibility and statistics."""

import pytest

from shared.errors import Conflict, Forbidden, NotFound, Unprocessable, ValidationFailed


def square(x0: float, y0: float) -> dict:
    ring = [[x0, y0], [x0 + 0.01, y0], [x0 + 0.01, y0 + 0.01], [x0, y0 + 0.01], [x0, y0]]
    return {"type": "Polygon", "coordinates": [ring]}


def cell(worker: str, x0: float, **counts) -> dict:
    return {
        "name": f"cell of {worker}",
        "district": "Heping",
        "polygon": square(x0, 41.79),
        "grid_worker": worker,
        **counts,
    }


def incident(lon: float, category: str = "facilities_repair") -> dict:
    return {"category": category, "lon": lon, "lat": 41.795, "description": "a broken lamp"}


def test_cells_locating_and_the_incident_workflow(community):
    # HP-002 is stored first; the two cells share the border lon = 123.41.
    community.put_cell(None, "HP-002", cell("grid-b", 123.41, households=300, population=820))
    community.put_cell(None, "HP-001", cell("grid-a", 123.40, households=410, special_care=12))
    cells = community.list_cells()
    assert [(c["cell_id"], c["households"], c["special_care"]) for c in cells["items"]] == [
        ("HP-001", 410, 12),
        ("HP-002", 300, 0),
    ]
    with pytest.raises(ValidationFailed) as bad:
        community.put_cell(None, "HP-003", {**cell("grid-c", 0), "polygon": {"type": "Point"}})
    assert "polygon" in bad.value.fields
    with pytest.raises(Forbidden):
        community.put_cell("grid-a", "HP-001", cell("grid-a", 0))  # a worker moves no borders

    assert community.locate(123.405, 41.795)["cell_id"] == "HP-001"
    assert community.locate(123.415, 41.795)["cell_id"] == "HP-002"
    assert community.locate(123.41, 41.795)["cell_id"] == "HP-001"  # shared border: lowest id
    assert community.locate(123.42, 41.795)["cell_id"] == "HP-002"  # outer border: its cell
    outside = community.locate(123.50, 41.795)
    assert outside == {"cell_id": None, "cell": None}

    with pytest.raises(Unprocessable) as nowhere:
        community.report_incident(incident(123.50))
    assert "lon" in nowhere.value.fields
    reported = community.report_incident(incident(123.405))
    other = community.report_incident(incident(123.415, "public_safety"))
    assert (reported["cell_id"], reported["status"], other["cell_id"]) == (
        "HP-001",
        "reported",
        "HP-002",
    )

    # A grid worker sees and acts on its own cells only; the grid centre (no unit) on all.
    page = {"limit": 50, "offset": 0}
    assert [i["incident_id"] for i in community.grid_incidents("grid-a", page)["items"]] == [
        reported["incident_id"]
    ]
    assert community.grid_incidents(None, page)["total"] == 2
    with pytest.raises(NotFound):
        community.act_on_incident("grid-a", other["incident_id"], {"action": "assign"})

    incident_id = reported["incident_id"]
    with pytest.raises(Conflict) as early:
        community.act_on_incident("grid-a", incident_id, {"action": "close"})
    assert early.value.extra == {"current_state": "reported"}
    with pytest.raises(ValidationFailed):
        community.act_on_incident("grid-a", incident_id, {"action": "assign"})
    community.act_on_incident("grid-a", incident_id, {"action": "assign", "assignee": "wang"})
    community.act_on_incident("grid-a", incident_id, {"action": "resolve", "note": "replaced"})
    closed = community.act_on_incident("grid-a", incident_id, {"action": "close"})
    assert closed["status"] == "closed" and closed["assignee"] == "wang"
    assert [step["action"] for step in closed["history"]] == [
        "report",
        "assign",
        "resolve",
        "close",
    ]

    stats = community.incident_statistics(None)["items"]
    assert stats == [
        {"cell_id": "HP-001", "category": "facilities_repair", "total": 1, "open": 0,
         "closed": 1, "overdue": 0},
        {"cell_id": "HP-002", "category": "public_safety", "total": 1, "open": 1,
         "closed": 0, "overdue": 0},
    ]  # fmt: skip
    assert [s["cell_id"] for s in community.incident_statistics("grid-b")["items"]] == ["HP-002"]


def test_the_catalogue_lists_current_versions_and_keeps_the_old_ones(community):
    listing = community.search_affairs()
    assert listing["total"] == 4
    assert {i["code"]: i["version"] for i in listing["items"]}["employment-subsidy"] == 2
    assert community.get_affair("employment-subsidy", 1)["form_schema"]["required"] == [
        "months_claimed",
        "bank_account",
    ]
    assert community.search_affairs("living")["items"][0]["code"] == "minimum-living-allowance"
    assert community.search_affairs("100%")["total"] == 0  # a LIKE wildcard is matched literally
    with pytest.raises(NotFound):
        community.get_affair("no-such-affair")
