"""Request and response shapes of the education service's RPC methods and HTTP API.

The gateway loads a body with its ``*In`` schema (400 naming each bad field) and forwards what
the client sent; the education service loads it again with the same schema at its RPC
entrypoint (the operator may call it directly). Score batches are the exception: their rows
are checked by the service against the exam's items (422 naming row and column, see
``services/education/domain/grading.py``), because only the service knows the items.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shared.contracts.common import (
    BoundedDate,
    Page,
    Request,
    TrimmedString,
    page_of,
    required_text,
)
from shared.identity import CardNumberField

SUBJECTS = (
    "chinese",
    "mathematics",
    "english",
    "physics",
    "chemistry",
    "biology",
    "history",
    "geography",
    "politics",
    "science",
    "information_technology",
    "music",
    "art",
    "physical_education",
)
LEVELS = ("primary", "junior_secondary", "senior_secondary", "vocational", "special")
GRADES = validate.Range(min=1, max=12)
CARD_STATUSES = ("active", "suspended", "graduated", "revoked", "transferred")
STATUS_ACTIONS = ("suspend", "reinstate", "graduate", "revoke")
CODE = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$", error="1-32 letters, digits, - or _")
ITEM_ID = validate.Regexp(r"^[a-z][a-z0-9_]{0,31}$", error="1-32 lower-case letters, digits, _")
RESERVED_COLUMNS = ("student_number", "class_name")
MAX_SCORE_ROWS = 20_000
LESSON_TARGET = 4000
"""The city plan's target for the public course library."""


def _optional_text(max_length: int) -> fields.String:
    return TrimmedString(
        load_default=None, allow_none=True, validate=validate.Length(max=max_length)
    )


def _score(minimum: str) -> fields.Decimal:
    """A score maximum from ``minimum`` to 1000 with at most two decimals ("12.5")."""
    low, high = Decimal(minimum), Decimal(1000)

    def within(value: Decimal) -> None:
        # Not a Range validator: the spec shows the field as a string, where a range is invalid.
        if not low <= value <= high or value.as_tuple().exponent < -2:  # type: ignore[operator]
            raise ValidationError(f"must be from {low} to {high} with at most 2 decimals")

    return fields.Decimal(
        required=True,
        as_string=True,
        validate=within,
        metadata={"description": f"{low} to {high}, at most 2 decimals"},
    )


# --- schools ----------------------------------------------------------------------------------


class SchoolIn(Request):
    school_id = fields.String(required=True, validate=CODE)
    name = required_text(200)
    district = required_text(64)
    level = fields.String(required=True, validate=validate.OneOf(LEVELS))
    pilot = fields.Boolean(load_default=False)
    pilot_start = BoundedDate(load_default=None, allow_none=True)

    @validates_schema
    def _pilot_has_a_start(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if data.get("pilot") and data.get("pilot_start") is None:
            raise ValidationError("a pilot school needs its pilot start date", "pilot_start")


class School(Schema):
    school_id = fields.String(required=True)
    name = fields.String(required=True)
    district = fields.String(required=True)
    level = fields.String(required=True)
    pilot = fields.Boolean(required=True)
    pilot_start = fields.Date(allow_none=True)


SchoolPage = page_of(School)


# --- student cards ----------------------------------------------------------------------------


class EnrolmentIn(Request):
    card_number = CardNumberField(required=True)
    name = required_text(200)
    grade = fields.Integer(required=True, validate=GRADES)
    class_name = required_text(32)


class StudentQuery(Page):
    status = fields.String(validate=validate.OneOf(CARD_STATUSES))


class StatusChangeIn(Request):
    action = fields.String(required=True, validate=validate.OneOf(STATUS_ACTIONS))
    reason = _optional_text(200)


class TransferIn(Request):
    school_id = fields.String(required=True, validate=CODE)
    grade = fields.Integer(required=True, validate=GRADES)
    class_name = required_text(32)
    reason = _optional_text(200)


class StudentCard(Schema):
    """A student card as its school sees it (personal data: audited on every read)."""

    student_number = fields.String(required=True)
    card_number = fields.String(required=True, metadata={"description": "citizen card number"})
    name = fields.String(required=True)
    school_id = fields.String(required=True)
    grade = fields.Integer(required=True)
    class_name = fields.String(required=True)
    valid_until = fields.Date(required=True)
    status = fields.String(required=True, validate=validate.OneOf(CARD_STATUSES))
    sequence = fields.Integer(required=True)
    reason = fields.String(allow_none=True)
    previous_number = fields.String(allow_none=True)
    issued_at = fields.AwareDateTime(required=True)


StudentCardPage = page_of(StudentCard)


class CardVerification(Schema):
    """All a museum or bus company learns: valid or not, the school, the expiry. A number
    that does not exist answers like a revoked one: ``valid`` false, the rest null."""

    student_number = fields.String(required=True)
    valid = fields.Boolean(required=True)
    school_id = fields.String(allow_none=True)
    school_name = fields.String(allow_none=True)
    valid_until = fields.Date(allow_none=True)


# --- teachers ---------------------------------------------------------------------------------


class TeacherIn(Request):
    teacher_id = fields.String(required=True, validate=CODE)
    name = required_text(200)
    subjects = fields.List(
        fields.String(validate=validate.OneOf(SUBJECTS)),
        load_default=list,
        validate=validate.Length(max=len(SUBJECTS)),
    )
    classes = fields.List(
        TrimmedString(validate=validate.Length(min=1, max=32)),
        load_default=list,
        validate=validate.Length(max=40),
    )
    bio = _optional_text(2000)


class Teacher(Schema):
    teacher_id = fields.String(required=True)
    school_id = fields.String(required=True)
    name = fields.String(required=True)
    subjects = fields.List(fields.String(), required=True)
    classes = fields.List(fields.String(), required=True)
    bio = fields.String(allow_none=True)


# --- lessons ----------------------------------------------------------------------------------


class LessonIn(Request):
    teacher_id = fields.String(required=True, validate=CODE)
    title = required_text(200)
    subject = fields.String(required=True, validate=validate.OneOf(SUBJECTS))
    grade = fields.Integer(required=True, validate=GRADES)
    duration_minutes = fields.Integer(required=True, validate=validate.Range(min=1, max=600))
    media_url = fields.Url(
        required=True,
        schemes={"https"},
        require_tld=True,
        validate=validate.Length(max=500),
    )
    tags = fields.List(
        TrimmedString(validate=validate.Length(min=1, max=32)),
        load_default=list,
        validate=validate.Length(max=20),
    )


class Lesson(Schema):
    lesson_id = fields.UUID(required=True)
    school_id = fields.String(required=True)
    teacher_id = fields.String(required=True)
    teacher_name = fields.String(required=True)
    title = fields.String(required=True)
    subject = fields.String(required=True)
    grade = fields.Integer(required=True)
    duration_minutes = fields.Integer(required=True)
    media_url = fields.String(required=True)
    tags = fields.List(fields.String(), required=True)


LessonPage = page_of(Lesson)


class LessonQuery(Page):
    text = TrimmedString(validate=validate.Length(min=1, max=100))
    subject = fields.String(validate=validate.OneOf(SUBJECTS))
    grade = fields.Integer(validate=GRADES)


class LessonStats(Schema):
    total = fields.Integer(required=True)
    target = fields.Integer(required=True)
    progress = fields.Float(required=True, metadata={"description": "total / target, 0..1+"})
    by_subject = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)


class TeacherSpace(Teacher):
    """A teacher's personal space: the profile, their classes and the lessons they published."""

    lessons = fields.List(fields.Nested(Lesson), required=True)


# --- exams and scores -------------------------------------------------------------------------


class ExamItemIn(Request):
    item_id = fields.String(required=True, validate=ITEM_ID)
    max_score = _score("0.5")


class ExamIn(Request):
    subject = fields.String(required=True, validate=validate.OneOf(SUBJECTS))
    grade = fields.Integer(required=True, validate=GRADES)
    exam_date = BoundedDate(required=True)
    max_score = _score("1")
    items = fields.List(
        fields.Nested(ExamItemIn), required=True, validate=validate.Length(min=1, max=100)
    )

    @validates_schema
    def _items_add_up(self, data: dict[str, Any], **_kwargs: Any) -> None:
        items = data.get("items") or []
        ids = [item["item_id"] for item in items]
        if len(set(ids)) != len(ids) or set(ids) & set(RESERVED_COLUMNS):
            raise ValidationError("item ids must be unique and not a reserved column", "items")
        if "max_score" in data and sum(item["max_score"] for item in items) != data["max_score"]:
            raise ValidationError("must equal the sum of the items' maxima", "max_score")


class ExamItem(Schema):
    item_id = fields.String(required=True)
    max_score = fields.String(required=True)


class Exam(Schema):
    exam_id = fields.UUID(required=True)
    school_id = fields.String(required=True)
    subject = fields.String(required=True)
    grade = fields.Integer(required=True)
    exam_date = fields.Date(required=True)
    max_score = fields.String(required=True)
    items = fields.List(fields.Nested(ExamItem), required=True)
    status = fields.String(required=True, validate=validate.OneOf(("draft", "published")))
    students = fields.Integer(required=True, metadata={"description": "scores stored"})


ExamPage = page_of(Exam)


class ScoresIn(Request):
    """A JSON batch: rows of column → value (``student_number``, ``class_name``, one column
    per item id). The same batch as CSV has those columns as its header line."""

    rows = fields.List(
        fields.Dict(keys=fields.String(validate=validate.Length(max=64))),
        required=True,
        validate=validate.Length(min=1, max=MAX_SCORE_ROWS),
    )


class ScoreBatch(Schema):
    batch_id = fields.UUID(required=True)
    exam_id = fields.UUID(required=True)
    rows = fields.Integer(required=True)
    created = fields.Boolean(required=True, metadata={"description": "false: a repeat"})


class _Figures(Schema):
    students = fields.Integer(allow_none=True)
    mean = fields.Float(allow_none=True)
    median = fields.Float(allow_none=True)
    std_dev = fields.Float(allow_none=True, metadata={"description": "population"})


class _Summary(_Figures):
    min = fields.Float()
    max = fields.Float()


class _ClassSummary(_Summary):
    class_name = fields.String(required=True)


class _Band(Schema):
    band = fields.String(required=True)
    min_share = fields.Float(required=True)
    students = fields.Integer(required=True)
    share = fields.Float(required=True)


class _ItemAnalysis(Schema):
    item_id = fields.String(required=True)
    max_score = fields.String(required=True)
    mean = fields.Float(required=True)
    difficulty = fields.Float(required=True, metadata={"description": "mean / max"})
    discrimination = fields.Float(required=True, metadata={"description": "upper-lower 27 % index"})


class ExamReport(Schema):
    exam = fields.Nested(Exam, required=True)
    students = fields.Integer(required=True)
    overall = fields.Nested(_Summary, allow_none=True)
    bands = fields.List(fields.Nested(_Band), required=True)
    classes = fields.List(fields.Nested(_ClassSummary), required=True)
    items = fields.List(fields.Nested(_ItemAnalysis), required=True)


# --- supervision ------------------------------------------------------------------------------


class SupervisionQuery(Request):
    subject = fields.String(required=True, validate=validate.OneOf(SUBJECTS))
    grade = fields.Integer(required=True, validate=GRADES)


class _Group(_Figures):
    suppressed = fields.Boolean(required=True, metadata={"description": "under min_group"})


class _SchoolGroup(_Group):
    school_id = fields.String(required=True)
    district = fields.String(required=True)
    pilot = fields.Boolean(required=True)


class _DistrictGroup(_Group):
    district = fields.String(required=True)


class _NamedGroup(_Group):
    group = fields.String(required=True)


class SupervisionReport(Schema):
    """Scores as a percentage of each exam's maximum, over published exams."""

    subject = fields.String(required=True)
    grade = fields.Integer(required=True)
    min_group = fields.Integer(required=True)
    schools = fields.List(fields.Nested(_SchoolGroup), required=True)
    districts = fields.List(fields.Nested(_DistrictGroup), required=True)
    pilot = fields.List(fields.Nested(_NamedGroup), required=True)
    pilot_period = fields.List(fields.Nested(_NamedGroup), required=True)


class _SubjectDistrictGroup(_DistrictGroup):
    subject = fields.String(required=True)
    grade = fields.Integer(required=True)


class SupervisionByDistrict(Schema):
    """``education.supervision_by_district()``: every subject and grade with published exams."""

    items = fields.List(fields.Nested(_SubjectDistrictGroup), required=True)
