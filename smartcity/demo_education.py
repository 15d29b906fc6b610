"""Education demo data, loaded over the gateway like a school would: three schools (one a
smart-classroom pilot), a teacher's space with lessons, the demo residents enrolled as
students, and a published mathematics exam with its scores. Loading twice is harmless: schools
and teachers are saved by id, lessons by teacher and title, enrolments answer the current
card, and the exam is created only when the school has none.
"""

from __future__ import annotations

import random
from datetime import date
from typing import Any

import requests

from services.education.domain.student_number import make_student_number

SCHOOL_SCOPES = ["education.students", "education.exams", "education.lessons"]
CLIENTS = {
    "education": ("department", "education", ["education.schools", "education.supervision"], None),
    "school-hp001": ("department", "education", SCHOOL_SCOPES, "HP-001"),
    "school-sh001": ("department", "education", SCHOOL_SCOPES, "SH-001"),
}
SCHOOLS = (
    {
        "school_id": "HP-001",
        "name": "Heping No. 1 Middle School",
        "district": "Heping",
        "level": "junior_secondary",
        "pilot": True,
        "pilot_start": "2026-03-01",
    },
    {
        "school_id": "HP-002",
        "name": "Heping No. 2 Middle School",
        "district": "Heping",
        "level": "junior_secondary",
    },
    {
        "school_id": "SH-001",
        "name": "Shenhe Experimental School",
        "district": "Shenhe",
        "level": "junior_secondary",
    },
)
TEACHER = {
    "teacher_id": "T-HP001-01",
    "name": "Wang Fang",
    "subjects": ["mathematics"],
    "classes": ["9-1", "9-2"],
    "bio": "Teaches geometry with paper, scissors and patience.",
}
LESSONS = (
    ("Similar triangles", 9, ["geometry"]),
    ("Quadratic functions", 9, ["algebra", "functions"]),
    ("Linear equations in one unknown", 7, ["algebra"]),
)
EXAM_ITEMS = (("q1", 40), ("q2", 35), ("q3", 25))
EXAM_STUDENTS = 40


def _send(gateway: str, method: str, path: str, key: str, body: Any = None) -> dict[str, Any]:
    response = requests.request(
        method,
        f"{gateway}/api/v1/education{path}",
        json=body,
        timeout=15,
        headers={"Authorization": f"Bearer {key}"},
    )
    if response.status_code not in (200, 201):
        raise RuntimeError(f"demo: {path} answered {response.status_code}: {response.text}")
    return response.json()


def _exam_rows() -> list[dict[str, Any]]:
    draw = random.Random(2026)  # the same rows every time: a re-run is the same batch
    rows = []
    for serial in range(1, EXAM_STUDENTS + 1):
        ability = draw.uniform(0.35, 1.0)
        row: dict[str, Any] = {
            "student_number": make_student_number(2025, serial),
            "class_name": f"9-{1 + serial % 2}",
        }
        for item, top in EXAM_ITEMS:
            row[item] = min(top, round(top * ability * draw.uniform(0.8, 1.1)))
        rows.append(row)
    return rows


def load(gateway: str, keys: dict[str, str], cards: list[str]) -> str:
    """Load the education demo; ``cards`` are the demo residents' cards, in their order."""
    from smartcity.demo import RESIDENTS  # here, not at import: demo.py imports this module

    for school in SCHOOLS:
        _send(gateway, "POST", "/schools", keys["education"], school)
    school = keys["school-hp001"]
    _send(gateway, "PUT", "/teachers", school, TEACHER)
    for title, grade, tags in LESSONS:
        lesson = {
            "teacher_id": TEACHER["teacher_id"],
            "title": title,
            "subject": "mathematics",
            "grade": grade,
            "duration_minutes": 40,
            "media_url": f"https://media.example.cn/lessons/{title.lower().replace(' ', '-')}",
            "tags": tags,
        }
        _send(gateway, "POST", "/lessons", school, lesson)
    numbers = []
    for card, resident in zip(cards, RESIDENTS, strict=False):
        body = {"card_number": card, "name": resident["name"], "grade": 9, "class_name": "9-1"}
        numbers.append(_send(gateway, "POST", "/students", school, body)["student_number"])
    if not _send(gateway, "GET", "/exams", school)["items"]:
        exam = {
            "subject": "mathematics",
            "grade": 9,
            "exam_date": date(2026, 6, 20).isoformat(),
            "max_score": sum(top for _, top in EXAM_ITEMS),
            "items": [{"item_id": item, "max_score": top} for item, top in EXAM_ITEMS],
        }
        exam_id = _send(gateway, "POST", "/exams", school, exam)["exam_id"]
        _send(gateway, "POST", f"/exams/{exam_id}/scores", school, {"rows": _exam_rows()})
        _send(gateway, "POST", f"/exams/{exam_id}/publish", school)
    return (
        f"education: {len(SCHOOLS)} schools, {len(LESSONS)} lessons, student cards "
        f"{', '.join(numbers) or 'none'}, one published exam of {EXAM_STUDENTS} students"
    )
