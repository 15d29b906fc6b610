"""Access-log exercises of the education routes: schools enrol, read and transfer A."""

from __future__ import annotations

from collections.abc import Callable

import requests
from access_log_world import World

from services.education.service import EducationService

SERVICES = (EducationService,)


def _school_key(world: World, school_id: str) -> str:
    """An education client for ``school_id``, the school registered first (made once)."""
    keys = world.__dict__.setdefault("education_schools", {})
    if school_id not in keys:
        admin = world.stack.client("department", "education", scopes=("education.schools",))
        body = {"school_id": school_id, "name": school_id, "district": "Heping"}
        body["level"] = "primary"
        world.ok(world.call("POST", "/api/v1/education/schools", admin, json=body), 201)
        keys[school_id] = world.stack.client(
            "department", "education", scopes=("education.students",), unit=school_id
        )
    return keys[school_id]


def _enrol(world: World) -> requests.Response:
    body = {"card_number": world.card, "name": "Li Lei", "grade": 3, "class_name": "3-1"}
    key = _school_key(world, "AUDIT-SCHOOL-1")
    return world.call("POST", "/api/v1/education/students", key, json=body)


def _student(world: World, path: str = "", method: str = "GET", **kwargs) -> requests.Response:
    enrolled = _enrol(world)  # 201 the first time, 200 (the same card) after
    assert enrolled.status_code in (200, 201), enrolled.text
    number = enrolled.json()["student_number"]
    key = _school_key(world, "AUDIT-SCHOOL-1")
    return world.call(method, f"/api/v1/education/students/{number}{path}", key, **kwargs)


def _list_students(world: World) -> requests.Response:
    _enrol(world)
    return world.call("GET", "/api/v1/education/students", _school_key(world, "AUDIT-SCHOOL-1"))


def _transfer_student(world: World) -> requests.Response:
    _school_key(world, "AUDIT-SCHOOL-2")
    body = {"school_id": "AUDIT-SCHOOL-2", "grade": 3, "class_name": "3-2"}
    return _student(world, "/transfer", "POST", json=body)


EXERCISES: dict[str, Callable[[World], requests.Response]] = {
    "enrol_student": _enrol,
    "get_student": _student,
    "list_students": _list_students,
    "change_student_card": lambda w: _student(w, "/status", "POST", json={"action": "suspend"}),
    "transfer_student": _transfer_student,
}
