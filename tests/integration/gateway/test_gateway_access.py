"""Every route states who may call it; residents see only their own data; departments only
what their scope grants; every department read of personal data lands in the resident's
access log, and the hash-chained audit log detects tampering."""

import sqlalchemy as sa
from gateway_samples import HAN_MEIMEI, LI_LEI
from helpers import wait_for

from gateway.access import PUBLIC
from gateway.openapi import route_specs
from gateway.service import GatewayService
from shared.db import make_engine

LOOKUP = "/api/v1/registry/residents/lookup"


def test_every_route_declares_who_may_call_it():
    routes = route_specs(GatewayService)
    assert len(routes) > 30
    for name, spec in routes:
        assert spec.access is not None, name
        if spec.personal_data:
            assert spec.access is not PUBLIC, f"{name} serves personal data to anyone"


def test_personal_routes_refuse_anonymous_callers(stack):
    for path in ("/api/v1/me", "/api/v1/me/access-log", "/api/v1/credit/me/report"):
        response = stack.call("GET", path)
        assert response.status_code == 401, path
        assert response.json()["error"] == "unauthorized"


def test_a_resident_cannot_use_department_routes_to_read_another_resident(stack):
    other_card = stack.register(HAN_MEIMEI, name="Han Meimei")
    _card, token = stack.resident(LI_LEI)
    response = stack.call("POST", LOOKUP, token, json={"identifier": other_card})
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"
    assert stack.call("GET", "/api/v1/audit/access-log", token).status_code == 403


def test_no_route_takes_a_resident_identifier_in_its_path():
    # ID and card numbers in a URL end up in access logs and proxies: bodies only.
    for name, spec in route_specs(GatewayService):
        assert not any(word in spec.url for word in ("identifier", "id_number", "card")), name


def test_a_lookup_with_a_bad_identifier_names_the_field(stack):
    health = stack.client("department", "health", scopes=("registry.population",))
    response = stack.call("POST", LOOKUP, health, json={"identifier": "2101000000000013"})
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["identifier"]


def test_departments_need_the_scope(stack):
    card = stack.register()
    without_scope = stack.client("department", "health", scopes=("credit.check",))
    response = stack.call("POST", LOOKUP, without_scope, json={"identifier": card})
    assert response.status_code == 403
    assert "registry.population" in response.json()["message"]


def test_a_department_read_appears_in_the_residents_access_log(stack):
    card, token = stack.resident()
    health = stack.client("department", "health", scopes=("registry.population", "audit.read"))
    traffic = stack.client("department", "traffic", scopes=("audit.read",))

    lookup = stack.call(
        "POST",
        LOOKUP,
        health,
        json={"identifier": card},
        headers={"X-Purpose": "vaccination record check"},
    )
    assert lookup.status_code == 200
    assert lookup.json()["card_number"] == card

    def department_entries():
        log = stack.call("GET", "/api/v1/me/access-log", token).json()
        return [item for item in log["items"] if item["department"] == "health"]

    entries = wait_for(department_entries)
    assert entries[0]["purpose"] == "vaccination record check"
    assert entries[0]["request_id"] == lookup.headers["X-Request-Id"]
    by_id = stack.call("POST", LOOKUP, health, json={"identifier": LI_LEI})
    assert by_id.json() == lookup.json()

    # Departments see their own entries only.
    own = stack.call("GET", "/api/v1/audit/access-log", health).json()
    assert own["total"] >= 1 and {i["department"] for i in own["items"]} == {"health"}
    assert stack.call("GET", "/api/v1/audit/access-log", traffic).json()["items"] == []


def test_audit_verify_detects_a_tampered_row(stack):
    card = stack.register()
    health = stack.client("department", "health", scopes=("registry.population",))
    operator = stack.client("operator")
    for _ in range(3):
        assert stack.call("POST", LOOKUP, health, json={"identifier": card}).ok
    intact = stack.call("GET", "/api/v1/audit/verify", operator).json()
    assert intact["ok"] is True and intact["checked"] >= 3

    engine = make_engine(stack.configs["platform"]["DATABASE_URLS"]["platform"])
    with engine.begin() as conn:
        table = sa.Table("audit_entries", sa.MetaData(), autoload_with=conn)
        second = conn.execute(sa.select(table.c.seq).order_by(table.c.seq).offset(1)).scalar()
        conn.execute(
            sa.update(table).where(table.c.seq == second).values(purpose="nothing to see here")
        )
    engine.dispose()

    broken = stack.call("GET", "/api/v1/audit/verify", operator).json()
    assert broken["ok"] is False
    assert broken["first_bad_seq"] == second
