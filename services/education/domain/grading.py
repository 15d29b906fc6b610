"""Exam scores: checking an uploaded batch row by row, and the school's report.

A batch is a list of rows, each a mapping of column → value: ``student_number``,
``class_name`` and one column per exam item (its ``item_id``), whether it came as JSON or CSV.
Rows are numbered from 1 in the order sent (for CSV: the first line after the header is row
1). The batch is accepted whole or not at all: ``check_rows`` returns every problem by row and
column, and the caller stores nothing when there is one.

Report figures (``exam_report``), all over each student's total score:

- mean, median, **population** standard deviation (the students who sat the exam are the
  whole population the report is about, not a sample);
- bands by share of the maximum score: excellent >= 85 %, good >= 70 %, pass >= 60 %, fail;
- per item: difficulty = mean item score / item maximum (1.0: everyone got full marks) and
  discrimination by the **upper-lower 27 % index**: (mean item score of the top 27 % by total
  - that of the bottom 27 %) / item maximum, groups of ``max(1, round(0.27 n))`` students,
  ties on the total broken by student number so the result is reproducible.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from services.education.domain.student_number import is_valid_student_number

MAX_CLASS_NAME = 32
SCORE_PLACES = Decimal("0.01")
BANDS = (("excellent", 0.85), ("good", 0.70), ("pass", 0.60), ("fail", 0.0))
EXTREME_GROUP_SHARE = 0.27
MAX_ROW_ERRORS_REPORTED = 100


@dataclass(frozen=True)
class ScoreRow:
    student_number: str
    class_name: str
    item_scores: tuple[Decimal, ...]

    @property
    def total(self) -> Decimal:
        return sum(self.item_scores, Decimal(0))


class BatchRejected(Exception):
    """The batch as a whole could not be read (no header, not CSV); ``column`` names why."""

    def __init__(self, column: str, message: str):
        super().__init__(message)
        self.column = column
        self.message = message


def csv_rows(text: str) -> list[dict[str, str]]:
    """The rows of a CSV batch (header first) as column → text mappings."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise BatchRejected("header", "the CSV holds no header line") from None
    except csv.Error as exc:
        raise BatchRejected("header", f"not CSV: {exc}") from None
    header = [name.strip() for name in header]
    rows = []
    try:
        for values in reader:
            if not any(value.strip() for value in values):
                continue  # a blank line (e.g. at the end)
            row = dict(zip(header, values, strict=False))
            if len(values) != len(header):
                row["_columns"] = f"{len(values)} values for {len(header)} columns"
            rows.append(row)
    except csv.Error as exc:
        raise BatchRejected("body", f"not CSV at line {reader.line_num}: {exc}") from None
    return rows


def _score(value: Any, maximum: Decimal) -> tuple[Decimal | None, str | None]:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None, "must be a number"
    try:
        score = Decimal(str(value).strip())
    except InvalidOperation:
        return None, "must be a number"
    if not score.is_finite():
        return None, "must be a number"
    if score != score.quantize(SCORE_PLACES):
        return None, "at most two decimal places"
    if not Decimal(0) <= score <= maximum:
        return None, f"must be between 0 and {maximum}"
    return score, None


def check_rows(
    rows: Sequence[Mapping[str, Any]], items: Sequence[tuple[str, Decimal]]
) -> tuple[list[ScoreRow], dict[str, dict[str, list[str]]]]:
    """The rows as ``ScoreRow``s and the problems by row number (1-based) and column."""
    expected = {"student_number", "class_name", *(item_id for item_id, _ in items)}
    checked: list[ScoreRow] = []
    errors: dict[str, dict[str, list[str]]] = {}
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, start=1):
        problems: dict[str, list[str]] = {}
        if "_columns" in row:
            problems["_row"] = [str(row["_columns"])]
        for column in sorted(set(row) - expected - {"_columns"}):
            problems[column] = ["not a column of this exam"]
        student = row.get("student_number")
        student = student.strip() if isinstance(student, str) else student
        if not is_valid_student_number(student):
            problems["student_number"] = ["not a student number (13 digits, Luhn check digit)"]
        elif student in seen:
            problems["student_number"] = [f"already in row {seen[student]}"]
        else:
            seen[student] = number
        class_name = row.get("class_name")
        class_name = class_name.strip() if isinstance(class_name, str) else ""
        if not 1 <= len(class_name) <= MAX_CLASS_NAME:
            problems["class_name"] = [f"required, at most {MAX_CLASS_NAME} characters"]
        scores = []
        for item_id, maximum in items:
            if row.get(item_id) in (None, ""):
                problems[item_id] = ["required"]
                continue
            score, problem = _score(row[item_id], maximum)
            if problem:
                problems[item_id] = [problem]
            scores.append(score)
        if problems:
            errors[str(number)] = problems
        else:
            checked.append(ScoreRow(student, class_name, tuple(scores)))
    return checked, errors


def first_errors(errors: dict[str, dict[str, list[str]]]) -> dict[str, dict[str, list[str]]]:
    """The first ``MAX_ROW_ERRORS_REPORTED`` bad rows (a body of bounded size)."""
    return dict(list(errors.items())[:MAX_ROW_ERRORS_REPORTED])


# --- statistics ------------------------------------------------------------------------------


def mean(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values)


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def population_std(values: Sequence[float]) -> float:
    centre = mean(values)
    return math.sqrt(math.fsum((value - centre) ** 2 for value in values) / len(values))


def summary(values: Sequence[float]) -> dict[str, Any]:
    """Count, mean, median, population standard deviation, min and max (4 decimals)."""
    return {
        "students": len(values),
        "mean": round(mean(values), 4),
        "median": round(median(values), 4),
        "std_dev": round(population_std(values), 4),
        "min": round(min(values), 4),
        "max": round(max(values), 4),
    }


def band_of(total: float, max_score: float) -> str:
    share = total / max_score
    return next(name for name, floor in BANDS if share >= floor)


def exam_report(
    rows: Sequence[ScoreRow], items: Sequence[tuple[str, Decimal]], max_score: Decimal
) -> dict[str, Any]:
    """The school's report of one exam (see the module's docstring for the definitions)."""
    if not rows:
        return {"students": 0, "overall": None, "bands": [], "classes": [], "items": []}
    totals = [float(row.total) for row in rows]
    band_counts = {name: 0 for name, _ in BANDS}
    for total in totals:
        band_counts[band_of(total, float(max_score))] += 1
    classes: dict[str, list[float]] = {}
    for row, total in zip(rows, totals, strict=True):
        classes.setdefault(row.class_name, []).append(total)
    return {
        "students": len(rows),
        "overall": summary(totals),
        "bands": [
            {
                "band": name,
                "min_share": floor,
                "students": band_counts[name],
                "share": round(band_counts[name] / len(rows), 4),
            }
            for name, floor in BANDS
        ],
        "classes": [
            {"class_name": name, **summary(values)} for name, values in sorted(classes.items())
        ],
        "items": item_analysis(rows, items),
    }


def item_analysis(
    rows: Sequence[ScoreRow], items: Sequence[tuple[str, Decimal]]
) -> list[dict[str, Any]]:
    """Difficulty and upper-lower 27 % discrimination of every item."""
    ranked = sorted(rows, key=lambda row: (row.total, row.student_number))
    group = max(1, round(EXTREME_GROUP_SHARE * len(ranked)))
    lower, upper = ranked[:group], ranked[-group:]
    analysis = []
    for index, (item_id, maximum) in enumerate(items):
        top = float(maximum)

        def item_mean(group_rows: Iterable[ScoreRow], i: int = index) -> float:
            return mean([float(row.item_scores[i]) for row in group_rows])

        analysis.append(
            {
                "item_id": item_id,
                "max_score": str(maximum),
                "mean": round(item_mean(rows), 4),
                "difficulty": round(item_mean(rows) / top, 4),
                "discrimination": round((item_mean(upper) - item_mean(lower)) / top, 4),
            }
        )
    return analysis
