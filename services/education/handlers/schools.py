"""Schools, teachers' personal spaces and the public course library.

Schools are the education department's to manage; a school manages its own teachers and
publishes their lessons. None of this is residents' personal data: a teacher's space is a
professional profile, published on purpose.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.orm import Session

from services.education.models import Lesson, School, Teacher
from shared.clock import utcnow
from shared.contracts.education import LESSON_TARGET
from shared.db import fetch_page
from shared.errors import Forbidden, NotFound, Unprocessable

MAX_SPACE_LESSONS = 50


def school_of(session: Session, school_id: str | None) -> School:
    """The school a client speaks for. A client without a unit touches nothing (403); a
    unit that is no registered school finds nothing (404)."""
    if not school_id:
        raise Forbidden("this client speaks for no school (it has no unit)")
    school = session.get(School, school_id)
    if school is None:
        raise NotFound("this client's school is not registered with the education department")
    return school


def school_view(school: School) -> dict[str, Any]:
    return {
        "school_id": school.school_id,
        "name": school.name,
        "district": school.district,
        "level": school.level,
        "pilot": school.pilot,
        "pilot_start": school.pilot_start.isoformat() if school.pilot_start else None,
    }


def save_school(session: Session, data: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """Register a school or update it (same id): ``(school, created)``."""
    school = session.get(School, data["school_id"], with_for_update=True)
    created = school is None
    if created:
        school = School(school_id=data["school_id"])
        session.add(school)
    for name in ("name", "district", "level", "pilot", "pilot_start"):
        setattr(school, name, data[name])
    school.updated_at = utcnow()
    session.flush()
    return school_view(school), created


def list_schools(session: Session, limit: int, offset: int) -> dict[str, Any]:
    page = fetch_page(session, select(School), School.school_id, limit=limit, offset=offset)
    return {**page, "items": [school_view(school) for school in page["items"]]}


def teacher_view(teacher: Teacher) -> dict[str, Any]:
    return {
        "teacher_id": teacher.teacher_id,
        "school_id": teacher.school_id,
        "name": teacher.name,
        "subjects": list(teacher.subjects),
        "classes": list(teacher.classes),
        "bio": teacher.bio,
    }


def save_teacher(session: Session, school: School, data: dict[str, Any]) -> dict[str, Any]:
    """A school creates or updates one of its teachers; another school's id is 404."""
    teacher = session.get(Teacher, data["teacher_id"], with_for_update=True)
    if teacher is not None and teacher.school_id != school.school_id:
        raise NotFound("no such teacher at this school")
    if teacher is None:
        teacher = Teacher(teacher_id=data["teacher_id"], school_id=school.school_id)
        session.add(teacher)
    teacher.name, teacher.subjects, teacher.classes, teacher.bio = (
        data["name"],
        data["subjects"],
        data["classes"],
        data.get("bio"),
    )
    teacher.updated_at = utcnow()
    session.flush()
    return teacher_view(teacher)


def teacher_space(session: Session, teacher_id: str) -> dict[str, Any]:
    """The public space: profile, classes, the newest lessons the teacher published."""
    teacher = session.get(Teacher, teacher_id)
    if teacher is None:
        raise NotFound("no such teacher")
    lessons = session.scalars(
        select(Lesson)
        .where(Lesson.teacher_id == teacher_id)
        .order_by(Lesson.created_at.desc(), Lesson.lesson_id)
        .limit(MAX_SPACE_LESSONS)
    ).all()
    return {
        **teacher_view(teacher),
        "lessons": [lesson_view(lesson, teacher) for lesson in lessons],
    }


def lesson_view(lesson: Lesson, teacher: Teacher) -> dict[str, Any]:
    return {
        "lesson_id": str(lesson.lesson_id),
        "school_id": lesson.school_id,
        "teacher_id": lesson.teacher_id,
        "teacher_name": teacher.name,
        "title": lesson.title,
        "subject": lesson.subject,
        "grade": lesson.grade,
        "duration_minutes": lesson.duration_minutes,
        "media_url": lesson.media_url,
        "tags": list(lesson.tags),
    }


def publish_lesson(
    session: Session, school: School, data: dict[str, Any]
) -> tuple[dict[str, Any], bool]:
    """A lesson by one of the school's teachers: ``(lesson, created)``. The same teacher and
    title again answers the lesson already published (a re-run import adds nothing)."""
    teacher = session.get(Teacher, data["teacher_id"])
    if teacher is None or teacher.school_id != school.school_id:
        raise Unprocessable(
            "no such teacher at this school", fields={"teacher_id": ["not a teacher here"]}
        )
    lesson = session.scalars(
        select(Lesson).where(Lesson.teacher_id == teacher.teacher_id, Lesson.title == data["title"])
    ).first()
    if lesson is not None:
        return lesson_view(lesson, teacher), False
    lesson = Lesson(
        school_id=school.school_id,
        teacher_id=teacher.teacher_id,
        title=data["title"],
        subject=data["subject"],
        grade=data["grade"],
        duration_minutes=data["duration_minutes"],
        media_url=data["media_url"],
        tags=data["tags"],
    )
    session.add(lesson)
    session.flush()
    return lesson_view(lesson, teacher), True


def search_lessons(session: Session, query: dict[str, Any]) -> dict[str, Any]:
    """Public search: words in the title or tags (case-insensitive), subject, grade."""
    statement = select(Lesson, Teacher).join(Teacher, Teacher.teacher_id == Lesson.teacher_id)
    if query.get("text"):
        pattern = "%" + _escape_like(query["text"]) + "%"
        statement = statement.where(
            or_(
                Lesson.title.ilike(pattern, escape="\\"),
                cast(Lesson.tags, String).ilike(pattern, escape="\\"),
            )
        )
    if query.get("subject"):
        statement = statement.where(Lesson.subject == query["subject"])
    if query.get("grade"):
        statement = statement.where(Lesson.grade == query["grade"])
    total = session.scalar(select(func.count()).select_from(statement.subquery()))
    rows = session.execute(
        statement.order_by(Lesson.subject, Lesson.grade, Lesson.title, Lesson.lesson_id)
        .limit(query["limit"])
        .offset(query["offset"])
    ).all()
    return {
        "items": [lesson_view(lesson, teacher) for lesson, teacher in rows],
        "total": total,
        "limit": query["limit"],
        "offset": query["offset"],
    }


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def lesson_stats(session: Session) -> dict[str, Any]:
    counts = dict(
        session.execute(
            select(Lesson.subject, func.count()).group_by(Lesson.subject).order_by(Lesson.subject)
        ).all()
    )
    total = sum(counts.values())
    return {
        "total": total,
        "target": LESSON_TARGET,
        "progress": round(total / LESSON_TARGET, 4),
        "by_subject": counts,
    }
