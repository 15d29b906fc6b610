"""Access rules: who may call a route (pure, no broker)."""

import pytest

from gateway.access import OPERATOR, PUBLIC, RESIDENT, Department, Principal
from shared.errors import Forbidden, Unauthorized

RESIDENT_LI = Principal(id="2101000000000012", role="resident")
HEALTH = Principal(
    id="c1", role="department", department="health", scopes=frozenset({"registry.population"})
)
TRAFFIC = Principal(
    id="c2", role="department", department="traffic", scopes=frozenset({"registry.population"})
)
OPERATOR_ANNA = Principal(id="c3", role="operator")


def test_public_admits_anyone_including_nobody():
    assert PUBLIC.allows(None) and PUBLIC.allows(RESIDENT_LI)


def test_roles_admit_only_their_role():
    assert RESIDENT.allows(RESIDENT_LI)
    assert not RESIDENT.allows(HEALTH)
    assert not RESIDENT.allows(None)


def test_department_rule_needs_the_scope_and_optionally_the_department():
    assert Department("registry.population").allows(HEALTH)
    assert not Department("credit.check").allows(HEALTH)
    assert Department("registry.population", name="health").allows(HEALTH)
    assert not Department("registry.population", name="health").allows(TRAFFIC)
    assert not Department("registry.population").allows(RESIDENT_LI)


def test_rules_combine_with_or_and_describe_themselves():
    rule = Department("registry.housing.write") | OPERATOR
    assert rule.allows(OPERATOR_ANNA) and not rule.allows(HEALTH)
    assert rule.describe() == "department with scope registry.housing.write or operator"


def test_check_says_401_to_nobody_and_403_to_the_wrong_caller():
    with pytest.raises(Unauthorized):
        RESIDENT.check(None)
    with pytest.raises(Forbidden) as refused:
        RESIDENT.check(HEALTH)
    assert "department may not call this route" in refused.value.message


def test_context_sent_with_rpc_leaves_out_what_is_unknown():
    assert RESIDENT_LI.context() == {
        "actor": "2101000000000012",
        "actor_role": "resident",
        "scopes": [],
    }
    assert HEALTH.context()["department"] == "health"
