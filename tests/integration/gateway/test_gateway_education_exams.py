"""Cloud exam grading through the gateway over real RPC: 5,000 rows as CSV and JSON, the
whole-batch rule, idempotent re-upload, the report against an independent computation,
supervision with small groups suppressed, the course library."""

from __future__ import annotations

import csv
import io
import random
import statistics

import pytest
from helpers import EventTap
from test_gateway_education import SCHOOLS, EducationWorld

from services.education.domain.student_number import make_student_number
from services.education.service import EducationService
from services.platform.service import PlatformService

ITEMS = [("q1", 30), ("q2", 30), ("q3", 25), ("q4", 15)]
EXAM = {
    "subject": "mathematics",
    "grade": 9,
    "max_score": 100,
    "items": [{"item_id": item, "max_score": top} for item, top in ITEMS],
}
COLUMNS = ["student_number", "class_name", *(item for item, _ in ITEMS)]


@pytest.fixture
def world(stack_factory) -> EducationWorld:
    stack = stack_factory(
        (PlatformService, EducationService),
        RATE_LIMIT_PER_CLIENT=100_000,
        RATE_LIMIT_PER_IP=100_000,
    )
    return EducationWorld(stack)


def score_rows(count: int, seed: int, first_serial: int = 1) -> list[dict]:
    draw = random.Random(seed)
    rows = []
    for serial in range(first_serial, first_serial + count):
        ability = draw.random()
        row = {
            "student_number": make_student_number(2025, serial),
            "class_name": f"9-{draw.randint(1, 8)}",
        }
        for item, top in ITEMS:
            row[item] = min(top, max(0, round(top * (ability + draw.uniform(-0.3, 0.3)) * 2) / 2))
        rows.append(row)
    return rows


def as_csv(rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def create_exam(world: EducationWorld, school_id: str, exam_date: str) -> str:
    response = world.call(
        "POST", "/exams", world.school[school_id], json={**EXAM, "exam_date": exam_date}
    )
    assert response.status_code == 201, response.text
    return response.json()["exam_id"]


def upload(world: EducationWorld, school_id: str, exam_id: str, rows: list[dict], as_text=False):
    key = world.school[school_id]
    path = f"/exams/{exam_id}/scores"
    if as_text:
        headers = {"Content-Type": "text/csv"}
        return world.call("POST", path, key, data=as_csv(rows).encode(), headers=headers)
    return world.call("POST", path, key, json={"rows": rows})


def published(world: EducationWorld, school_id: str, exam_date: str, rows: list[dict]) -> None:
    exam_id = create_exam(world, school_id, exam_date)
    assert upload(world, school_id, exam_id, rows).status_code == 201
    response = world.call("POST", f"/exams/{exam_id}/publish", world.school[school_id])
    assert response.status_code == 200, response.text


# --- the independent computation ----------------------------------------------------------------


def expected_report(rows: list[dict]) -> dict:
    """The report's figures by the standard library, not by the service's own formulas."""
    totals = [sum(float(row[item]) for item, _ in ITEMS) for row in rows]
    ranked = sorted(zip(totals, [r["student_number"] for r in rows], rows, strict=True))
    k = max(1, round(0.27 * len(rows)))
    low, high = [r for _, _, r in ranked[:k]], [r for _, _, r in ranked[-k:]]
    classes = {}
    for row, total in zip(rows, totals, strict=True):
        classes.setdefault(row["class_name"], []).append(total)
    return {
        "mean": statistics.fmean(totals),
        "median": statistics.median(totals),
        "std_dev": statistics.pstdev(totals),
        "bands": {
            "excellent": sum(t >= 85 for t in totals),
            "good": sum(70 <= t < 85 for t in totals),
            "pass": sum(60 <= t < 70 for t in totals),
            "fail": sum(t < 60 for t in totals),
        },
        "classes": {
            name: (len(v), statistics.fmean(v), statistics.median(v), statistics.pstdev(v))
            for name, v in classes.items()
        },
        "items": {
            item: (
                statistics.fmean(float(r[item]) for r in rows) / top,
                (
                    statistics.fmean(float(r[item]) for r in high)
                    - statistics.fmean(float(r[item]) for r in low)
                )
                / top,
            )
            for item, top in ITEMS
        },
    }


def test_bulk_scores_report_and_supervision(world):
    stack = world.stack
    tap = EventTap(stack.configs["education"]["AMQP_URI"], "education.exam_published")
    exam_id = create_exam(world, "HP-001", "2026-06-15")
    rows = score_rows(5000, seed=11)

    # 5,000 rows, five of them bad: refused whole, every problem by row and column.
    bad = [dict(row) for row in rows]
    bad[16]["student_number"] = bad[16]["student_number"][:-1] + str(
        (int(bad[16]["student_number"][-1]) + 1) % 10
    )
    bad[249]["q2"] = 31
    bad[998]["q3"] = "abc"
    bad[3999]["class_name"] = ""
    bad[4499]["student_number"] = rows[0]["student_number"]
    refused = upload(world, "HP-001", exam_id, bad, as_text=True)
    assert refused.status_code == 422, refused.text
    assert refused.json()["fields"]["rows"] == {
        "17": {"student_number": ["not a student number (13 digits, Luhn check digit)"]},
        "250": {"q2": ["must be between 0 and 30.00"]},
        "999": {"q3": ["must be a number"]},
        "4000": {"class_name": ["required, at most 32 characters"]},
        "4500": {"student_number": ["already in row 1"]},
    }
    assert refused.json()["details"] == {"bad_rows": "5", "rows": "5000"}  # strings over RPC
    exam = world.call("GET", f"/exams/{exam_id}", world.school["HP-001"]).json()
    assert exam["students"] == 0  # nothing half-written

    # The good batch as JSON; the same again as JSON or as CSV changes nothing.
    stored = upload(world, "HP-001", exam_id, rows)
    assert stored.status_code == 201, stored.text
    assert stored.json()["rows"] == 5000 and stored.json()["created"] is True
    for as_text in (False, True):
        repeat = upload(world, "HP-001", exam_id, rows, as_text=as_text)
        assert repeat.status_code == 200, repeat.text
        assert repeat.json() == {**stored.json(), "created": False}
    overlap = upload(world, "HP-001", exam_id, rows[:3] + score_rows(1, seed=3, first_serial=9000))
    assert overlap.status_code == 422
    assert set(overlap.json()["fields"]["rows"]) == {"1", "2", "3"}

    # Another school neither reads nor writes this exam.
    other = world.school["HP-002"]
    assert world.call("GET", f"/exams/{exam_id}/report", other).status_code == 404
    assert upload(world, "HP-002", exam_id, rows[:1]).status_code == 404
    assert world.call("POST", f"/exams/{exam_id}/publish", other).status_code == 404

    # The report equals the independent computation.
    report = world.call("GET", f"/exams/{exam_id}/report", world.school["HP-001"]).json()
    want = expected_report(rows)
    assert report["students"] == 5000
    for figure in ("mean", "median", "std_dev"):
        assert report["overall"][figure] == pytest.approx(want[figure], abs=1e-4), figure
    assert {band["band"]: band["students"] for band in report["bands"]} == want["bands"]
    assert {
        c["class_name"]: (c["students"], c["mean"], c["median"], c["std_dev"])
        for c in report["classes"]
    } == {name: pytest.approx(values, abs=1e-4) for name, values in want["classes"].items()}
    assert {i["item_id"]: (i["difficulty"], i["discrimination"]) for i in report["items"]} == {
        item: pytest.approx(values, abs=1e-4) for item, values in want["items"].items()
    }

    # Publishing announces the exam and closes it.
    publish = world.call("POST", f"/exams/{exam_id}/publish", world.school["HP-001"])
    assert publish.status_code == 200 and publish.json()["status"] == "published"
    event = tap.next()["data"]
    assert (event["exam_id"], event["school_id"], event["subject"]) == (
        exam_id,
        "HP-001",
        "mathematics",
    )
    assert upload(world, "HP-001", exam_id, score_rows(1, 5, 7000)).status_code == 409

    # Supervision: the pilot school before its pilot (20), another Heping school (12) and a
    # Shenhe school with 6 students: Shenhe, as a school and as a district, is suppressed.
    before = score_rows(20, seed=21, first_serial=10_000)
    heping_2 = score_rows(12, seed=22, first_serial=20_000)
    shenhe = score_rows(6, seed=23, first_serial=30_000)
    published(world, "HP-001", "2026-01-10", before)
    published(world, "HP-002", "2026-06-15", heping_2)
    published(world, "SH-001", "2026-06-15", shenhe)
    assert (
        world.call(
            "GET",
            "/supervision",
            world.school["HP-001"],
            params={"subject": "mathematics", "grade": 9},
        ).status_code
        == 403
    )
    view = world.call(
        "GET", "/supervision", world.department, params={"subject": "mathematics", "grade": 9}
    )
    assert view.status_code == 200, view.text
    view = view.json()

    def percent(group: list[dict]) -> list[float]:
        return [sum(float(row[item]) for item, _ in ITEMS) for row in group]  # max is 100

    schools = {s["school_id"]: s for s in view["schools"]}
    assert schools["HP-001"]["students"] == 5020
    assert schools["HP-001"]["mean"] == pytest.approx(
        statistics.fmean(percent(rows + before)), abs=1e-4
    )
    assert schools["HP-002"]["students"] == 12 and schools["HP-002"]["suppressed"] is False
    assert schools["SH-001"] == {
        "school_id": "SH-001",
        "district": "Shenhe",
        "pilot": False,
        "suppressed": True,
        "students": None,
        "mean": None,
        "median": None,
        "std_dev": None,
    }
    districts = {d["district"]: d for d in view["districts"]}
    assert districts["Heping"]["students"] == 5032 and districts["Shenhe"]["suppressed"] is True
    groups = {g["group"]: g for g in view["pilot"] + view["pilot_period"]}
    assert groups["non_pilot"]["students"] == 18
    assert groups["non_pilot"]["median"] == pytest.approx(
        statistics.median(percent(heping_2 + shenhe))
    )
    assert groups["before_pilot"]["students"] == 20
    assert groups["before_pilot"]["mean"] == pytest.approx(
        statistics.fmean(percent(before)), abs=1e-4
    )
    assert groups["after_pilot"]["students"] == 5000
    assert view["min_group"] == 10
    tap.close()


def test_teacher_space_course_library_and_bad_input(world):
    school = world.school["HP-001"]

    # Bad input is a 4xx naming the culprit, never a 500 or a half-written record.
    wrong_sum = {**EXAM, "exam_date": "2026-06-15", "max_score": 90}
    refused = world.call("POST", "/exams", school, json=wrong_sum)
    assert refused.status_code == 400 and "max_score" in refused.json()["fields"]
    exam_id = create_exam(world, "HP-001", "2026-06-15")
    path = f"/exams/{exam_id}/scores"
    not_utf8 = world.call(
        "POST", path, school, data=b"\xff\xfe\x00", headers={"Content-Type": "text/csv"}
    )
    assert not_utf8.status_code == 400 and "body" in not_utf8.json()["fields"]
    header_only = world.call(
        "POST", path, school, data=",".join(COLUMNS).encode(), headers={"Content-Type": "text/csv"}
    )
    assert header_only.status_code == 422 and "rows" in header_only.json()["fields"]
    text_plain = world.call("POST", path, school, data=b"x", headers={"Content-Type": "text/plain"})
    assert text_plain.status_code == 415
    assert world.call("GET", "/exams/not-an-exam", school).status_code == 404
    bad_card = world.call(
        "POST",
        "/students",
        school,
        json={"card_number": "123", "name": "Li Lei", "grade": 3, "class_name": "3-1"},
    )
    assert bad_card.status_code == 400 and "card_number" in bad_card.json()["fields"]

    teacher = {
        "teacher_id": "T-HP1-07",
        "name": "Wang Fang",
        "subjects": ["mathematics"],
        "classes": ["9-1", "9-2"],
        "bio": "Geometry and a lot of patience.",
    }
    assert world.call("PUT", "/teachers", school, json=teacher).status_code == 200
    lessons = [
        ("Similar triangles", "mathematics", 9, ["geometry"]),
        ("Quadratic functions", "mathematics", 9, ["algebra", "functions"]),
        ("Linear equations", "mathematics", 7, ["algebra"]),
    ]
    for title, subject, grade, tags in lessons:
        body = {
            "teacher_id": teacher["teacher_id"],
            "title": title,
            "subject": subject,
            "grade": grade,
            "duration_minutes": 40,
            "media_url": "https://media.example.cn/v/1",
            "tags": tags,
        }
        assert world.call("POST", "/lessons", school, json=body).status_code == 201
    assert world.call("POST", "/lessons", school, json=body).status_code == 200  # a repeat
    insecure = {**body, "title": "Over HTTP", "media_url": "http://media.example.cn/v/2"}
    refused = world.call("POST", "/lessons", school, json=insecure)
    assert refused.status_code == 400 and "media_url" in refused.json()["fields"]
    foreign = world.call("POST", "/lessons", world.school["HP-002"], json={**body, "title": "X"})
    assert foreign.status_code == 422 and "teacher_id" in foreign.json()["fields"]

    found = world.call("GET", "/lessons", params={"text": "ALGEBRA", "grade": 9}).json()
    assert [lesson["title"] for lesson in found["items"]] == ["Quadratic functions"]
    page = world.call("GET", "/lessons", params={"subject": "mathematics", "limit": 2}).json()
    assert page["total"] == 3 and len(page["items"]) == 2
    stats = world.call("GET", "/lessons/stats").json()
    assert stats == {
        "total": 3,
        "target": 4000,
        "progress": 0.0008,
        "by_subject": {"mathematics": 3},
    }
    space = world.call("GET", f"/teachers/{teacher['teacher_id']}").json()
    assert space["classes"] == ["9-1", "9-2"] and len(space["lessons"]) == 3
    schools = world.call("GET", "/schools").json()
    assert {s["school_id"] for s in schools["items"]} == set(SCHOOLS)
