"""Education: schools and their e-student IDs, exams and scores, the public course library.

A school is an ``education`` department client whose unit is the school id; every school
route passes ``call.principal.unit`` to the service, which finds only that school's students,
exams and teachers (another school's answer 404). The education department itself (no unit)
manages schools and reads the supervision across schools.
"""

from __future__ import annotations

from typing import Any

from gateway.access import PUBLIC, Department
from gateway.http import Call, api
from gateway.ratelimit import Budget
from shared.contracts import education as contract
from shared.contracts.common import Page
from shared.errors import ValidationFailed

SCHOOL_STUDENTS = Department("education.students", "education")
SCHOOL_EXAMS = Department("education.exams", "education")
SCHOOL_LESSONS = Department("education.lessons", "education")
MANAGE_SCHOOLS = Department("education.schools", "education")
SUPERVISION = Department("education.supervision", "education")

STUDENT_CARD_CHECKS = Budget(
    "student_card_checks",
    "STUDENT_CARD_CHECKS_PER_IP",
    60,
    60,
    "too many student card checks from this address",
)
"""The public verification answers anyone: 60 checks a minute per address (a ticket desk
checks one card at a time), so nobody walks the space of student numbers."""
MAX_SCORE_BODY_BYTES = 16 * 1024 * 1024
"""A batch of thousands of rows (20,000 rows of 100 items stay under it)."""
CSV = "text/csv"


class EducationRoutes:
    # --- schools, teachers, lessons -------------------------------------------------------------

    @api(
        "POST",
        "/api/v1/education/schools",
        access=MANAGE_SCHOOLS,
        status=201,
        tags=("education",),
        body=contract.SchoolIn,
        response=contract.School,
        summary="Register a school, or update it (200 when the id is known)",
    )
    def save_school(self, call: Call) -> tuple[int, dict[str, Any]]:
        result = self.services.education.save_school(call.json)
        return (201 if result["created"] else 200), result["school"]

    @api(
        "GET",
        "/api/v1/education/schools",
        access=PUBLIC,
        tags=("education",),
        query=Page,
        response=contract.SchoolPage,
        summary="The schools: district, level, smart-classroom pilot",
    )
    def list_schools(self, call: Call) -> dict[str, Any]:
        return self.services.education.list_schools(call.query["limit"], call.query["offset"])

    @api(
        "PUT",
        "/api/v1/education/teachers",
        access=SCHOOL_LESSONS,
        tags=("education",),
        body=contract.TeacherIn,
        response=contract.Teacher,
        summary="Create or update one of our teachers' personal space",
    )
    def save_teacher(self, call: Call) -> dict[str, Any]:
        return self.services.education.save_teacher(call.principal.unit, call.json)

    @api(
        "GET",
        "/api/v1/education/teachers/<teacher_id>",
        access=PUBLIC,
        tags=("education",),
        response=contract.TeacherSpace,
        summary="A teacher's personal space: profile, classes, lessons published",
    )
    def teacher_space(self, call: Call) -> dict[str, Any]:
        return self.services.education.teacher_space(call.path["teacher_id"])

    @api(
        "POST",
        "/api/v1/education/lessons",
        access=SCHOOL_LESSONS,
        status=201,
        tags=("education",),
        body=contract.LessonIn,
        response=contract.Lesson,
        summary="Publish a lesson by one of our teachers (200 on the same teacher and title)",
    )
    def publish_lesson(self, call: Call) -> tuple[int, dict[str, Any]]:
        result = self.services.education.publish_lesson(call.principal.unit, call.json)
        return (201 if result["created"] else 200), result["lesson"]

    @api(
        "GET",
        "/api/v1/education/lessons",
        access=PUBLIC,
        tags=("education",),
        query=contract.LessonQuery,
        response=contract.LessonPage,
        summary="Search the public course library (text in title or tags, subject, grade)",
    )
    def search_lessons(self, call: Call) -> dict[str, Any]:
        return self.services.education.search_lessons(call.request.args.to_dict())

    @api(
        "GET",
        "/api/v1/education/lessons/stats",
        access=PUBLIC,
        tags=("education",),
        response=contract.LessonStats,
        summary="Lessons per subject and progress toward the 4,000-lesson target",
    )
    def lesson_stats(self, call: Call) -> dict[str, Any]:
        return self.services.education.lesson_stats()

    # --- e-student IDs --------------------------------------------------------------------------

    @api(
        "POST",
        "/api/v1/education/students",
        access=SCHOOL_STUDENTS,
        status=201,
        tags=("education",),
        body=contract.EnrolmentIn,
        response=contract.StudentCard,
        summary="Enrol a student by citizen card and name: issues the e-student ID (422 when "
        "the registry knows no such card or another name; 409 when another school holds it)",
    )
    def enrol_student(self, call: Call) -> tuple[int, dict[str, Any]]:
        result = self.services.education.enrol(call.principal.unit, call.json)
        return (201 if result["created"] else 200), result["card"]

    @api(
        "GET",
        "/api/v1/education/students",
        access=SCHOOL_STUDENTS,
        tags=("education",),
        query=contract.StudentQuery,
        response=contract.StudentCardPage,
        summary="Our students' cards",
    )
    def list_students(self, call: Call) -> dict[str, Any]:
        return self.services.education.list_cards(
            call.principal.unit,
            call.query.get("status"),
            call.query["limit"],
            call.query["offset"],
        )

    @api(
        "GET",
        "/api/v1/education/students/<student_number>",
        access=SCHOOL_STUDENTS,
        tags=("education",),
        response=contract.StudentCard,
        summary="One of our students' cards",
    )
    def get_student(self, call: Call) -> dict[str, Any]:
        return self.services.education.get_card(call.principal.unit, call.path["student_number"])

    @api(
        "POST",
        "/api/v1/education/students/<student_number>/status",
        access=SCHOOL_STUDENTS,
        tags=("education",),
        body=contract.StatusChangeIn,
        response=contract.StudentCard,
        summary="Suspend, reinstate, graduate or revoke a card (409 from the wrong status)",
    )
    def change_student_card(self, call: Call) -> dict[str, Any]:
        return self.services.education.change_card_status(
            call.principal.unit, call.path["student_number"], call.json
        )

    @api(
        "POST",
        "/api/v1/education/students/<student_number>/transfer",
        access=SCHOOL_STUDENTS,
        tags=("education",),
        body=contract.TransferIn,
        response=contract.StudentCard,
        summary="Transfer a student to another school: ends this card, answers the new one",
    )
    def transfer_student(self, call: Call) -> dict[str, Any]:
        return self.services.education.transfer_card(
            call.principal.unit, call.path["student_number"], call.json
        )

    @api(
        "GET",
        "/api/v1/education/student-ids/<student_number>/verify",
        access=PUBLIC,
        tags=("education",),
        response=contract.CardVerification,
        summary="Is this student card valid? School and expiry only; an unknown number "
        "answers like a revoked one",
    )
    def verify_student_card(self, call: Call) -> dict[str, Any]:
        self.rate_limiter.refuse_if_spent(STUDENT_CARD_CHECKS, call.request)
        self.rate_limiter.spend(STUDENT_CARD_CHECKS, call.request)
        return self.services.education.verify_student_card(call.path["student_number"])

    # --- exams ----------------------------------------------------------------------------------

    @api(
        "POST",
        "/api/v1/education/exams",
        access=SCHOOL_EXAMS,
        status=201,
        tags=("education",),
        body=contract.ExamIn,
        response=contract.Exam,
        summary="Create an exam: subject, grade, date, maximum and the items' maxima",
    )
    def create_exam(self, call: Call) -> dict[str, Any]:
        return self.services.education.create_exam(call.principal.unit, call.json)

    @api(
        "GET",
        "/api/v1/education/exams",
        access=SCHOOL_EXAMS,
        tags=("education",),
        query=Page,
        response=contract.ExamPage,
        summary="Our exams, newest first",
    )
    def list_exams(self, call: Call) -> dict[str, Any]:
        return self.services.education.list_exams(
            call.principal.unit, call.query["limit"], call.query["offset"]
        )

    @api(
        "GET",
        "/api/v1/education/exams/<exam_id>",
        access=SCHOOL_EXAMS,
        tags=("education",),
        response=contract.Exam,
        summary="One of our exams",
    )
    def get_exam(self, call: Call) -> dict[str, Any]:
        return self.services.education.get_exam(call.principal.unit, call.path["exam_id"])

    @api(
        "POST",
        "/api/v1/education/exams/<exam_id>/scores",
        access=SCHOOL_EXAMS,
        status=201,
        tags=("education",),
        body=contract.ScoresIn,
        content_types=("application/json", CSV),
        max_body_bytes=MAX_SCORE_BODY_BYTES,
        response=contract.ScoreBatch,
        summary="Upload a batch of scores, JSON rows or CSV (header: student_number, "
        "class_name, the item ids). Stored whole or refused whole: 422 with the problems by "
        "row and column. The same batch again: 200, nothing changes",
    )
    def upload_scores(self, call: Call) -> tuple[int, dict[str, Any]]:
        school, exam_id = call.principal.unit, call.path["exam_id"]
        if call.json is not None:
            batch = self.services.education.upload_scores(school, exam_id, rows=call.json["rows"])
        else:
            try:
                text = call.raw_body.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise ValidationFailed(
                    "the CSV is not UTF-8", fields={"body": ["not UTF-8 text"]}
                ) from None
            if "\x00" in text:
                raise ValidationFailed("NUL in the CSV", fields={"body": ["NUL character"]})
            batch = self.services.education.upload_scores(school, exam_id, csv_text=text)
        return (201 if batch["created"] else 200), batch

    @api(
        "POST",
        "/api/v1/education/exams/<exam_id>/publish",
        access=SCHOOL_EXAMS,
        tags=("education",),
        response=contract.Exam,
        summary="Publish an exam: its scores become final and count in supervision",
    )
    def publish_exam(self, call: Call) -> dict[str, Any]:
        return self.services.education.publish_exam(call.principal.unit, call.path["exam_id"])

    @api(
        "GET",
        "/api/v1/education/exams/<exam_id>/report",
        access=SCHOOL_EXAMS,
        tags=("education",),
        response=contract.ExamReport,
        summary="Our exam's report: mean, median, population standard deviation, bands, "
        "classes, item difficulty and upper-lower 27 % discrimination",
    )
    def exam_report(self, call: Call) -> dict[str, Any]:
        return self.services.education.exam_report(call.principal.unit, call.path["exam_id"])

    @api(
        "GET",
        "/api/v1/education/supervision",
        access=SUPERVISION,
        tags=("education",),
        query=contract.SupervisionQuery,
        response=contract.SupervisionReport,
        summary="One subject and grade across schools and districts, pilot against "
        "non-pilot, before against after the pilot; groups under 10 suppressed",
    )
    def supervision(self, call: Call) -> dict[str, Any]:
        return self.services.education.supervision(call.query["subject"], call.query["grade"])
