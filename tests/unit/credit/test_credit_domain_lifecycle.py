"""Record and objection state machines: every legal move, and illegal ones as Conflict."""

from __future__ import annotations

from datetime import date

import pytest

from services.credit.domain import (
    check_repairable,
    effective_status,
    next_objection_status,
    next_record_status,
)
from shared.contracts.credit import RECORD_STATUSES
from shared.errors import Conflict, ValidationFailed

LEGAL_RECORD_MOVES = {
    ("active", "file_objection"): "under_objection",
    ("under_objection", "uphold"): "active",
    ("under_objection", "correct"): "active",
    ("under_objection", "revoke"): "revoked",
    ("active", "repair"): "repaired",
    ("active", "expire"): "expired",
}
RECORD_EVENTS = ("file_objection", "uphold", "correct", "revoke", "repair", "expire")


@pytest.mark.parametrize(("move", "after"), LEGAL_RECORD_MOVES.items())
def test_legal_record_moves(move, after):
    assert next_record_status(*move) == after


@pytest.mark.parametrize(
    "move",
    [
        (status, event)
        for status in RECORD_STATUSES
        for event in RECORD_EVENTS
        if (status, event) not in LEGAL_RECORD_MOVES
    ],
)
def test_every_other_record_move_is_a_conflict(move):
    with pytest.raises(Conflict):
        next_record_status(*move)


@pytest.mark.parametrize(
    ("decision", "after"), [("uphold", "upheld"), ("correct", "corrected"), ("revoke", "revoked")]
)
def test_a_pending_objection_takes_any_decision(decision, after):
    assert next_objection_status("pending", decision) == after


@pytest.mark.parametrize("resolved", ["upheld", "corrected", "revoked"])
def test_a_resolved_objection_cannot_be_decided_again(resolved):
    with pytest.raises(Conflict, match=f"already {resolved}"):
        next_objection_status(resolved, "revoke")


def test_an_unknown_decision_names_the_field():
    with pytest.raises(ValidationFailed) as caught:
        next_objection_status("pending", "approve")
    assert list(caught.value.fields) == ["decision"]


def test_only_negative_records_can_be_repaired():
    check_repairable("negative")
    with pytest.raises(Conflict):
        check_repairable("positive")


@pytest.mark.parametrize(
    ("status", "valid_until", "expected"),
    [
        ("active", date(2025, 6, 15), "active"),  # the last valid day
        ("active", date(2025, 6, 14), "expired"),
        ("under_objection", date(2025, 6, 14), "expired"),
        ("repaired", date(2025, 6, 14), "repaired"),  # final statuses stay
        ("revoked", date(2025, 6, 14), "revoked"),
    ],
)
def test_effective_status_expires_counting_records_by_date(status, valid_until, expected):
    assert effective_status(status, valid_until, date(2025, 6, 15)) == expected
