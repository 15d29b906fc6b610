"""Red and black list evaluation from records, with the default rule set.

Black: at least 1 severe negative, or at least 3 negatives decided within 12 months.
Red: at least 2 commendations decided within 24 months, and no counting negative record.
"""

from __future__ import annotations

import copy
import json
from datetime import date

import pytest

from services.credit.domain import RULES_PATH, evaluate_lists, parse_rules

TODAY = date(2025, 6, 15)


def test_one_severe_negative_puts_on_the_black_list_until_it_lapses(make_record):
    severe = make_record("negative", "severe", valid_until=date(2028, 3, 1))
    decisions = evaluate_lists([severe], TODAY)
    assert set(decisions) == {"black"}
    black = decisions["black"]
    assert black.trigger_ids == ("severe_negative",)
    assert black.basis_record_ids == ("r1",)
    assert black.basis == (
        "at least 1 severe negative record: market_supervision MS-1 (decision No. 1)"
    )
    # the trigger has no window: it holds while the record is valid
    assert black.expires_on == date(2028, 3, 1)
    assert black.issuing_department == "credit_office"
    assert black.measures["subsidy"] == ("deny_subsidy",)


def test_three_negatives_within_twelve_months_last_until_the_oldest_leaves_the_window(
    make_record,
):
    records = [
        make_record("negative", "minor", date(2024, 8, 1)),
        make_record("negative", "minor", date(2025, 1, 10)),
        make_record("negative", "serious", date(2025, 6, 1)),
    ]
    black = evaluate_lists(records, TODAY)["black"]
    assert black.trigger_ids == ("repeated_negatives",)
    # last days in the window: 2025-07-31, 2026-01-09, 2026-05-31 (all valid to 2027-12-31);
    # three are needed, so the rule holds through the third latest: 2025-07-31
    assert black.expires_on == date(2025, 7, 31)


def test_a_negative_decided_twelve_months_ago_has_left_the_window(make_record):
    records = [
        make_record("negative", "minor", date(2024, 6, 15)),  # 12 months ago today: outside
        make_record("negative", "minor", date(2025, 1, 10)),
        make_record("negative", "minor", date(2025, 6, 1)),
    ]
    assert evaluate_lists(records, TODAY) == {}


def test_when_both_black_triggers_hold_the_later_expiry_wins(make_record):
    records = [
        make_record("negative", "minor", date(2024, 8, 1)),
        make_record("negative", "minor", date(2025, 1, 10)),
        make_record("negative", "severe", date(2025, 6, 1), valid_until=date(2026, 6, 1)),
    ]
    black = evaluate_lists(records, TODAY)["black"]
    assert black.trigger_ids == ("severe_negative", "repeated_negatives")
    # severe_negative holds to 2026-06-01, repeated_negatives to 2025-07-31
    assert black.expires_on == date(2026, 6, 1)
    assert black.basis_record_ids == ("r1", "r2", "r3")


def test_a_record_under_objection_keeps_the_subject_listed(make_record):
    disputed = make_record("negative", "severe", status="under_objection")
    assert set(evaluate_lists([disputed], TODAY)) == {"black"}


@pytest.mark.parametrize("status", ["repaired", "revoked", "expired"])
def test_repaired_revoked_or_expired_records_do_not_list(make_record, status):
    assert evaluate_lists([make_record("negative", "severe", status=status)], TODAY) == {}


def test_two_commendations_within_24_months_put_on_the_red_list(make_record):
    records = [
        make_record("positive", "minor", date(2024, 1, 1), valid_until=date(2026, 12, 31)),
        make_record("positive", "serious", date(2025, 3, 1), valid_until=date(2025, 9, 30)),
    ]
    red = evaluate_lists(records, TODAY)["red"]
    assert red.trigger_ids == ("repeated_commendations",)
    # last days: min(2026-12-31, 2025-12-31) = 2025-12-31 and min(2025-09-30, 2027-02-28)
    # = 2025-09-30; two are needed, so the second latest: 2025-09-30
    assert red.expires_on == date(2025, 9, 30)
    assert red.measures["administrative_approval"] == ("fast_track_approval",)


def test_any_counting_negative_disqualifies_from_the_red_list(make_record):
    commendations = [make_record("positive", "minor"), make_record("positive", "minor")]
    minor_penalty = make_record("negative", "minor")
    assert evaluate_lists([*commendations, minor_penalty], TODAY) == {}
    repaired_penalty = make_record("negative", "minor", status="repaired")
    assert set(evaluate_lists([*commendations, repaired_penalty], TODAY)) == {"red"}


def test_only_commendations_count_towards_the_red_list(make_record):
    records = [
        make_record("positive", "minor"),
        make_record("positive", "severe", category="volunteer_service"),
    ]
    assert evaluate_lists(records, TODAY) == {}


def test_the_rule_set_is_data(make_record):
    raw = json.loads(RULES_PATH.read_text(encoding="utf-8"))
    stricter = copy.deepcopy(raw)
    stricter["lists"]["black"]["triggers"][1]["min_count"] = 2  # repeated_negatives: 3 -> 2
    two_minors = [
        make_record("negative", "minor", date(2025, 1, 10)),
        make_record("negative", "minor", date(2025, 6, 1)),
    ]
    assert evaluate_lists(two_minors, TODAY) == {}
    assert set(evaluate_lists(two_minors, TODAY, parse_rules(stricter))) == {"black"}


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("lists", "black", "measures", "lottery"), ["deny"], "unknown purposes"),
        (("lists", "black", "triggers", 0, "min_severity"), "grave", "unknown severity"),
        (("lists", "red", "level_cap"), "E", "is not a level"),
        (("rating", "weights", "negative"), {"minor": -6}, "weights missing"),
    ],
)
def test_a_broken_rule_set_is_refused_at_load(path, value, message):
    raw = json.loads(RULES_PATH.read_text(encoding="utf-8"))
    target = raw
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(ValueError, match=message):
        parse_rules(raw)
