"""The education service's pure logic: student numbers, school years, the card lifecycle,
score batches and the statistics of reports and supervision."""

from __future__ import annotations

import statistics
from datetime import date
from decimal import Decimal

import pytest
from stdnum import luhn

from services.education.domain.grading import (
    BatchRejected,
    ScoreRow,
    check_rows,
    csv_rows,
    exam_report,
)
from services.education.domain.lifecycle import step
from services.education.domain.student_number import (
    is_valid_student_number,
    make_student_number,
    random_student_number,
    same_person_name,
    school_year_end,
)
from services.education.domain.supervision import MIN_GROUP, ScoreFact, supervision_report
from shared.errors import Conflict

ITEMS = [("q1", Decimal("10.00")), ("q2", Decimal("5.00"))]


def test_student_numbers_carry_a_luhn_check_digit():
    number = make_student_number(2026, 42)
    assert number == "202600000042" + luhn.calc_check_digit("202600000042")
    assert is_valid_student_number(number)
    assert is_valid_student_number(random_student_number(date(2026, 9, 1)))
    wrong_digit = number[:-1] + str((int(number[-1]) + 1) % 10)
    for bad in (wrong_digit, number[:-1], chr(0xFF12) * 13, None, 2026000000420):
        assert not is_valid_student_number(bad)


@pytest.mark.parametrize(
    ("today", "end"),
    [
        (date(2026, 9, 1), date(2027, 8, 31)),
        (date(2026, 12, 2), date(2027, 8, 31)),
        (date(2027, 8, 31), date(2027, 8, 31)),
    ],
)
def test_a_card_is_valid_until_the_end_of_the_school_year(today, end):
    assert school_year_end(today) == end


def test_names_compare_without_case_or_spacing():
    assert same_person_name(" li  LEI ", "Li Lei")
    assert not same_person_name("Li Lei", "Han Meimei")
    assert not same_person_name("Li Lei", None)


def test_lifecycle_steps_and_refusals():
    assert step("active", "suspend") == ("suspended", "education.student_card_suspended")
    assert step("suspended", "reinstate") == ("active", "education.student_card_issued")
    assert step("suspended", "transfer") == ("transferred", "education.student_card_revoked")
    for status, action in [
        ("revoked", "reinstate"),
        ("transferred", "transfer"),
        ("suspended", "suspend"),
        ("graduated", "revoke"),
    ]:
        with pytest.raises(Conflict):
            step(status, action)


def test_rows_are_checked_by_row_and_column():
    good = make_student_number(2025, 1)
    rows = [
        {"student_number": good, "class_name": "9-1", "q1": "7.5", "q2": 5},
        {"student_number": good, "class_name": "9-1", "q1": 11, "q2": "x", "q9": 1},
        {"student_number": "2025", "class_name": "", "q1": 1.005},
    ]
    checked, errors = check_rows(rows, ITEMS)
    assert checked == [ScoreRow(good, "9-1", (Decimal("7.5"), Decimal(5)))]
    assert errors == {
        "2": {
            "q9": ["not a column of this exam"],
            "student_number": ["already in row 1"],
            "q1": ["must be between 0 and 10.00"],
            "q2": ["must be a number"],
        },
        "3": {
            "student_number": ["not a student number (13 digits, Luhn check digit)"],
            "class_name": ["required, at most 32 characters"],
            "q1": ["at most two decimal places"],
            "q2": ["required"],
        },
    }


def test_csv_rows_and_unreadable_batches():
    rows = csv_rows("student_number,class_name,q1\n1,9-1,3\n\n2,9-2\n")
    assert rows == [
        {"student_number": "1", "class_name": "9-1", "q1": "3"},
        {"student_number": "2", "class_name": "9-2", "_columns": "2 values for 3 columns"},
    ]
    with pytest.raises(BatchRejected):
        csv_rows("")


def test_the_report_matches_the_standard_library():
    totals = [(7, 5), (3, 1), (10, 4), (6, 2), (0, 0), (9, 5), (5, 4)]
    rows = [
        ScoreRow(make_student_number(2025, i), f"9-{i % 2}", (Decimal(a), Decimal(b)))
        for i, (a, b) in enumerate(totals)
    ]
    report = exam_report(rows, ITEMS, Decimal(15))
    sums = [a + b for a, b in totals]
    assert report["overall"]["mean"] == pytest.approx(statistics.fmean(sums), abs=1e-4)
    assert report["overall"]["median"] == statistics.median(sums)
    assert report["overall"]["std_dev"] == pytest.approx(statistics.pstdev(sums), abs=1e-4)
    assert {b["band"]: b["students"] for b in report["bands"]} == {
        "excellent": 2,
        "good": 1,
        "pass": 1,
        "fail": 3,  # of 15: 14, 14 | 12 | 9 | 8, 4, 0
    }
    # Groups of round(0.27 * 7) = 2: top by total are 14 (10,4) and 14 (9,5): q1 (10+9)/2;
    # bottom are 0 (0,0) and 4 (3,1): q1 (0+3)/2. (9.5 - 1.5) / 10 = 0.8.
    q1 = report["items"][0]
    assert q1["difficulty"] == pytest.approx(statistics.fmean(a for a, _ in totals) / 10, abs=1e-4)
    assert q1["discrimination"] == pytest.approx(0.8)
    assert exam_report([], ITEMS, Decimal(15))["overall"] is None


def test_supervision_suppresses_small_groups():
    def facts(school, district, pilot, day, count, percent):
        start = date(2026, 3, 1) if pilot else None
        return [ScoreFact(school, district, pilot, start, day, percent + i) for i in range(count)]

    report = supervision_report(
        facts("A", "Heping", True, date(2026, 1, 5), 10, 50)
        + facts("A", "Heping", True, date(2026, 3, 1), 12, 70)
        + facts("B", "Shenhe", False, date(2026, 6, 1), MIN_GROUP - 1, 60)
    )
    schools = {row["school_id"]: row for row in report["schools"]}
    assert schools["A"]["students"] == 22 and not schools["A"]["suppressed"]
    assert schools["B"] == {
        "school_id": "B",
        "district": "Shenhe",
        "pilot": False,
        "suppressed": True,
        "students": None,
        "mean": None,
        "median": None,
        "std_dev": None,
    }
    periods = {row["group"]: row for row in report["pilot_period"]}
    assert periods["before_pilot"]["mean"] == pytest.approx(statistics.fmean(range(50, 60)))
    assert periods["after_pilot"]["students"] == 12
    assert {row["group"]: row["suppressed"] for row in report["pilot"]} == {
        "pilot": False,
        "non_pilot": True,
    }
