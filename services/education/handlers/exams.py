"""Cloud exam grading: exams, bulk score batches, the school's report, supervision.

Batch rule: **a batch is stored whole or not at all.** Every row is checked (student number
and its check digit, class, each item's score within the item's maximum, no student twice,
no student already scored by an earlier batch); if any row is bad the answer is 422 with the
problems by row and column (``fields.rows``) and nothing is written. A batch whose checked
content equals one already accepted for the exam (its SHA-256 over the rows in student-number
order, whether it came as JSON or CSV) answers that batch again with ``created`` false.

Scores are kept against the student number (a pseudonym of the grading system) and leave the
service only as aggregates: no route answers one student's score.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from services.education.domain.grading import (
    SCORE_PLACES,
    BatchRejected,
    ScoreRow,
    check_rows,
    csv_rows,
    exam_report,
    first_errors,
)
from services.education.domain.supervision import ScoreFact, supervision_report
from services.education.handlers.schools import school_of
from services.education.models import Exam, School, Score, ScoreBatch
from shared.clock import utcnow
from shared.db import UnitOfWork, fetch_page
from shared.errors import Conflict, NotFound, Unprocessable


def exam_view(exam: Exam, students: int) -> dict[str, Any]:
    return {
        "exam_id": str(exam.exam_id),
        "school_id": exam.school_id,
        "subject": exam.subject,
        "grade": exam.grade,
        "exam_date": exam.exam_date.isoformat(),
        "max_score": str(exam.max_score),
        "items": exam.items,
        "status": exam.status,
        "students": students,
    }


def _items(exam: Exam) -> list[tuple[str, Decimal]]:
    return [(item["item_id"], Decimal(item["max_score"])) for item in exam.items]


def create_exam(session: Session, school_id: str | None, data: dict[str, Any]) -> dict[str, Any]:
    school = school_of(session, school_id)
    exam = Exam(
        school_id=school.school_id,
        subject=data["subject"],
        grade=data["grade"],
        exam_date=data["exam_date"],
        max_score=data["max_score"],
        items=[
            {"item_id": item["item_id"], "max_score": str(item["max_score"].quantize(SCORE_PLACES))}
            for item in data["items"]
        ],
        status="draft",
    )
    session.add(exam)
    session.flush()
    return exam_view(exam, 0)


def own_exam(session: Session, school_id: str | None, exam_id: str, lock: bool = False) -> Exam:
    """The school's exam; another school's, or none, is 404."""
    school = school_of(session, school_id)
    try:
        key = uuid.UUID(exam_id)
    except ValueError:
        raise NotFound("no such exam at this school") from None
    exam = session.get(Exam, key, with_for_update=lock)
    if exam is None or exam.school_id != school.school_id:
        raise NotFound("no such exam at this school")
    return exam


def _stored_rows(session: Session, exam: Exam) -> list[ScoreRow]:
    scores = session.scalars(
        select(Score).where(Score.exam_id == exam.exam_id).order_by(Score.student_number)
    ).all()
    return [
        ScoreRow(s.student_number, s.class_name, tuple(Decimal(v) for v in s.item_scores))
        for s in scores
    ]


def get_exam(session: Session, school_id: str | None, exam_id: str) -> dict[str, Any]:
    exam = own_exam(session, school_id, exam_id)
    return exam_view(exam, len(_stored_rows(session, exam)))


def list_exams(session: Session, school_id: str | None, limit: int, offset: int) -> dict[str, Any]:
    """A page of the school's exams, newest first (without their score counts)."""
    school = school_of(session, school_id)
    statement = select(Exam).where(Exam.school_id == school.school_id)
    page = fetch_page(
        session, statement, Exam.exam_date.desc(), Exam.exam_id, limit=limit, offset=offset
    )
    students = dict(
        session.execute(
            select(Score.exam_id, func.count())
            .where(Score.exam_id.in_([exam.exam_id for exam in page["items"]]))
            .group_by(Score.exam_id)
        ).all()
    )
    return {
        **page,
        "items": [exam_view(exam, students.get(exam.exam_id, 0)) for exam in page["items"]],
    }


def _content_hash(rows: list[ScoreRow]) -> str:
    canonical = [
        [row.student_number, row.class_name, [str(score) for score in row.item_scores]]
        for row in sorted(rows, key=lambda row: row.student_number)
    ]
    return hashlib.sha256(json.dumps(canonical, separators=(",", ":")).encode()).hexdigest()


def upload_scores(
    session: Session,
    school_id: str | None,
    exam_id: str,
    rows: list[dict[str, Any]] | None,
    csv_text: str | None,
) -> dict[str, Any]:
    """Store a batch whole, or refuse it whole (422 by row and column); a repeat is a no-op."""
    exam = own_exam(session, school_id, exam_id, lock=True)  # one batch of an exam at a time
    if exam.status == "published":
        raise Conflict("the exam is published; its scores are final")
    if csv_text is not None:
        try:
            rows = csv_rows(csv_text)
        except BatchRejected as exc:
            raise Unprocessable(exc.message, fields={exc.column: [exc.message]}) from None
        if not rows:
            raise Unprocessable("the CSV holds no rows", fields={"rows": ["no rows"]})
    checked, errors = check_rows(rows or [], _items(exam))
    if not errors:
        content_hash = _content_hash(checked)
        repeat = session.scalars(
            select(ScoreBatch).where(
                ScoreBatch.exam_id == exam.exam_id, ScoreBatch.content_hash == content_hash
            )
        ).first()
        if repeat is not None:
            return _batch_view(repeat, created=False)
    scored = set(session.scalars(select(Score.student_number).where(Score.exam_id == exam.exam_id)))
    for number, row in enumerate(rows or [], start=1):
        if str(row.get("student_number", "")).strip() in scored:
            errors.setdefault(str(number), {})["student_number"] = [
                "already scored by an earlier batch"
            ]
    if errors:
        raise Unprocessable(
            f"{len(errors)} of {len(rows or [])} rows rejected; nothing was stored",
            fields={"rows": first_errors(dict(sorted(errors.items(), key=lambda e: int(e[0]))))},
            extra={"bad_rows": len(errors), "rows": len(rows or [])},
        )
    batch = ScoreBatch(exam_id=exam.exam_id, content_hash=content_hash, rows=len(checked))
    session.add(batch)
    session.flush()
    session.execute(
        insert(Score),
        [
            {
                "exam_id": exam.exam_id,
                "student_number": row.student_number,
                "batch_id": batch.batch_id,
                "class_name": row.class_name,
                "item_scores": [str(score) for score in row.item_scores],
                "total": row.total,
            }
            for row in checked
        ],
    )
    return _batch_view(batch, created=True)


def _batch_view(batch: ScoreBatch, created: bool) -> dict[str, Any]:
    return {
        "batch_id": str(batch.batch_id),
        "exam_id": str(batch.exam_id),
        "rows": batch.rows,
        "created": created,
    }


def publish_exam(uow: UnitOfWork, school_id: str | None, exam_id: str) -> dict[str, Any]:
    """Close the exam and announce it (``education.exam_published``); again: no-op."""
    exam = own_exam(uow.session, school_id, exam_id, lock=True)
    students = len(_stored_rows(uow.session, exam))
    if exam.status == "published":
        return exam_view(exam, students)
    if students == 0:
        raise Conflict("an exam without scores cannot be published")
    exam.status, exam.published_at = "published", utcnow()
    uow.session.flush()
    uow.publish(
        "education.exam_published",
        {
            "exam_id": str(exam.exam_id),
            "school_id": exam.school_id,
            "subject": exam.subject,
            "grade": exam.grade,
            "exam_date": exam.exam_date.isoformat(),
            "max_score": str(exam.max_score),
        },
        subject=str(exam.exam_id),
    )
    return exam_view(exam, students)


def report(session: Session, school_id: str | None, exam_id: str) -> dict[str, Any]:
    exam = own_exam(session, school_id, exam_id)
    rows = _stored_rows(session, exam)
    return {"exam": exam_view(exam, len(rows)), **exam_report(rows, _items(exam), exam.max_score)}


def supervision(session: Session, subject: str, grade: int) -> dict[str, Any]:
    """Published exams of ``subject`` and ``grade`` across every school (percent of max)."""
    results = session.execute(
        select(
            Score.total,
            Exam.max_score,
            Exam.exam_date,
            School.school_id,
            School.district,
            School.pilot,
            School.pilot_start,
        )
        .join(Exam, Exam.exam_id == Score.exam_id)
        .join(School, School.school_id == Exam.school_id)
        .where(Exam.status == "published", Exam.subject == subject, Exam.grade == grade)
    ).all()
    facts = [
        ScoreFact(
            school_id=r.school_id,
            district=r.district,
            pilot=r.pilot,
            pilot_start=r.pilot_start,
            exam_date=r.exam_date,
            percent=float(r.total / r.max_score * 100),
        )
        for r in results
    ]
    return {"subject": subject, "grade": grade, **supervision_report(facts)}


def supervision_by_district(session: Session) -> dict[str, Any]:
    """Every subject and grade with published exams: the district figures of ``supervision``
    (groups under ``MIN_GROUP`` students suppressed), flattened to one row per district."""
    published = session.execute(
        select(Exam.subject, Exam.grade)
        .where(Exam.status == "published")
        .distinct()
        .order_by(Exam.subject, Exam.grade)
    ).all()
    items = []
    for subject, grade in published:
        report = supervision(session, subject, grade)
        for row in report["districts"]:
            items.append({"subject": subject, "grade": grade, **row})
    return {"items": items}
