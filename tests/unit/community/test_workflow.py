"""The application and incident workflows: where each action leads and what it refuses."""

import pytest

from services.community.domain.workflow import (
    DEPARTMENT_ACTIONS,
    INCIDENT_ACTIONS,
    RESIDENT_ACTIONS,
    credit_reason,
    credit_verdict,
    fast_track_limit,
    next_state,
)
from shared.contracts import community as contract
from shared.errors import Conflict


def test_the_happy_path_and_a_return_and_resubmission():
    state = "submitted"
    for action, expected in (("accept", "accepted"), ("review", "in_review")):
        state = next_state(DEPARTMENT_ACTIONS, state, action)
        assert state == expected
    assert next_state(DEPARTMENT_ACTIONS, state, "return") == "returned"
    assert next_state(RESIDENT_ACTIONS, "returned", "resubmit") == "submitted"
    assert next_state(DEPARTMENT_ACTIONS, "in_review", "approve") == "approved"
    assert next_state(DEPARTMENT_ACTIONS, "accepted", "reject") == "rejected"


@pytest.mark.parametrize(
    ("state", "action"),
    [
        ("submitted", "approve"),
        ("approved", "reject"),
        ("returned", "review"),
        ("rejected", "accept"),
    ],
)
def test_an_illegal_action_is_a_conflict_naming_the_current_state(state, action):
    with pytest.raises(Conflict) as raised:
        next_state(DEPARTMENT_ACTIONS, state, action)
    assert raised.value.extra == {"current_state": state}
    assert state in raised.value.message
    assert raised.value.fields["status"][0].startswith(f"is {state}")


def test_resubmission_only_from_returned_and_incidents_in_order():
    with pytest.raises(Conflict):
        next_state(RESIDENT_ACTIONS, "in_review", "resubmit")
    assert next_state(INCIDENT_ACTIONS, "reported", "assign") == "assigned"
    with pytest.raises(Conflict):
        next_state(INCIDENT_ACTIONS, "reported", "close")


def test_credit_verdicts_and_the_fast_track_limit():
    black = {"lists": [{"list": "black"}], "reasons": ["on the black list from x: fraud", "x"]}
    red = {"lists": [{"list": "red"}], "reasons": []}
    assert credit_verdict(black) == "blocked"
    assert credit_reason(black) == "on the black list from x: fraud"
    assert credit_verdict(red) == "fast_track"
    assert credit_verdict({"lists": [], "reasons": ["level A"]}) == "clear"
    assert (fast_track_limit(20), fast_track_limit(5), fast_track_limit(1)) == (10, 3, 1)


def test_the_contracts_name_exactly_the_workflow_s_states_and_actions():
    tables = (DEPARTMENT_ACTIONS, RESIDENT_ACTIONS)
    states = {s for t in tables for sources, target in t.values() for s in (*sources, target)}
    assert states == set(contract.APPLICATION_STATES)
    assert set(contract.APPLICATION_ACTIONS) == set(DEPARTMENT_ACTIONS)
    assert set(contract.INCIDENT_ACTIONS) == set(INCIDENT_ACTIONS)
