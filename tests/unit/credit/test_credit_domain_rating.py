"""Scores and levels, worked out by hand from the weights in services/credit/rules.json.

Weights: negative minor -6, serious -16, severe -40; positive minor +2, serious +4, severe +8.
Records decided 12 months or more before today weigh half. Start 100, clamp [0, 100].
Levels: A >= 90, B >= 75, C >= 60, D below. The black list caps the level at D.
"""

from __future__ import annotations

from datetime import date

import pytest

from services.credit.domain import add_months, decay_factor, rate

TODAY = date(2025, 6, 15)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2025, 1, 31), 1, date(2025, 2, 28)),  # clamped to the shorter month
        (date(2024, 2, 29), 12, date(2025, 2, 28)),  # leap day, non-leap year
        (date(2024, 12, 10), 1, date(2025, 1, 10)),  # across the year end
        (date(2025, 3, 31), -1, date(2025, 2, 28)),
        (date(2023, 6, 15), 24, date(2025, 6, 15)),
    ],
)
def test_add_months_counts_calendar_months(day, months, expected):
    assert add_months(day, months) == expected


def test_no_records_is_the_start_score():
    rating = rate([], TODAY)
    assert (rating.score, rating.level, rating.contributions) == (100.0, "A", ())


def test_score_adds_weights_with_decay_and_skips_unscored_categories(make_record):
    records = [
        make_record("negative", "severe", date(2025, 3, 1)),  # recent: -40
        make_record("negative", "serious", date(2024, 1, 10)),  # 17 months old: -16 * 0.5 = -8
        make_record("positive", "minor", date(2025, 5, 1)),  # +2
        make_record(  # a permit is information, not merit: no contribution
            "positive", "serious", date(2025, 5, 2), category="administrative_permit"
        ),
    ]
    rating = rate(records, TODAY)
    # 100 - 40 - 8 + 2 = 54 -> D
    assert rating.score == 54.0
    assert rating.level == "D"
    assert [(c.source_record_id, c.weight, c.factor, c.points) for c in rating.contributions] == [
        ("MS-2", -16, 0.5, -8.0),
        ("MS-1", -40, 1.0, -40.0),
        ("MS-3", 2, 1.0, 2.0),
    ]


@pytest.mark.parametrize(
    ("severities", "expected_score", "expected_level"),
    [
        ((("negative", "serious"), ("positive", "serious"), ("positive", "minor")), 90.0, "A"),
        # 100 - 16 + 4 + 2 = 90: exactly the A threshold
        ((("negative", "serious"),), 84.0, "B"),  # 100 - 16
        ((("negative", "severe"),), 60.0, "C"),  # 100 - 40: exactly the C threshold
        ((("negative", "severe"), ("negative", "minor")), 54.0, "D"),  # 100 - 40 - 6
        ((("negative", "severe"),) * 3, 0.0, "D"),  # 100 - 120 = -20, clamped to 0
        ((("positive", "severe"),) * 3, 100.0, "A"),  # 100 + 24 = 124, clamped to 100
    ],
)
def test_level_thresholds_and_clamping(make_record, severities, expected_score, expected_level):
    records = [make_record(polarity, severity) for polarity, severity in severities]
    rating = rate(records, TODAY)
    assert (rating.score, rating.level) == (expected_score, expected_level)


def test_decay_starts_on_the_anniversary_of_the_decision():
    # 2024-06-15 + 12 months = 2025-06-15 = today: no longer "within 12 months" -> half
    assert decay_factor(date(2024, 6, 15), TODAY) == 0.5
    assert decay_factor(date(2024, 6, 16), TODAY) == 1.0


def test_black_list_caps_the_level_and_says_so(make_record):
    rating = rate([make_record("negative", "serious")], TODAY, lists=["black"])
    # the score alone: 100 - 16 = 84 -> B; the black list caps it at D
    assert (rating.score, rating.score_level, rating.level, rating.capped_by) == (
        84.0,
        "B",
        "D",
        "black",
    )
    assert rating.explain()[-2:] == [
        "score 84 gives level B",
        "level capped at D by the black list",
    ]


def test_red_list_does_not_raise_the_level(make_record):
    rating = rate([make_record("negative", "serious")], TODAY, lists=["red"])
    assert (rating.level, rating.capped_by) == ("B", None)


def test_only_counting_records_contribute(make_record):
    records = [
        make_record("negative", "severe", status="revoked"),
        make_record("negative", "severe", status="repaired"),
        make_record("negative", "severe", status="expired"),
        make_record("negative", "severe", valid_until=date(2025, 6, 14)),  # lapsed yesterday
        make_record("negative", "serious", status="under_objection"),  # still counts, marked
        make_record("negative", "minor", valid_until=TODAY),  # last valid day: counts
    ]
    rating = rate(records, TODAY)
    # 100 - 16 - 6 = 78 -> B
    assert rating.score == 78.0
    assert rating.level == "B"
    assert [(c.severity, c.under_objection) for c in rating.contributions] == [
        ("serious", True),
        ("minor", False),
    ]


def test_explanation_lists_every_contribution(make_record):
    records = [make_record("negative", "serious", date(2024, 1, 10))]
    assert rate(records, TODAY).explain() == [
        "start score 100",
        "-8 administrative_penalty (negative, serious) market_supervision MS-1 decided "
        "2024-01-10: weight -16 x 0.5 for age",
        "score 92 gives level A",
    ]
