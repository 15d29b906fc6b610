"""The education service: nameko entrypoints only; logic lives in the modules beside it.

Each entrypoint is one unit of work: load the input by its contract, run one use case of
``cards``, ``exams`` or ``schools``, commit. A school speaks through ``school_id`` (the unit of
the calling API client, passed by the gateway); the education department calls without one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nameko.dependency_providers import Config
from nameko.rpc import RpcProxy

from services.education.domain.student_number import same_person_name
from services.education.handlers import cards, exams, schools
from services.education.models import Base
from shared.clock import city_today
from shared.config import PLATFORM
from shared.contracts import education as contract
from shared.contracts.common import load
from shared.db import Database
from shared.errors import Unprocessable
from shared.rpc import call_with_deadline, consumer_rpc_timeout, rpc
from shared.service import ServiceBase

MIGRATIONS = Path(__file__).parent / "migrations"


class EducationService(ServiceBase):
    name = "education"
    db = Database(Base, MIGRATIONS)
    platform = RpcProxy(PLATFORM)
    config = Config()

    # --- schools, teachers, lessons -------------------------------------------------------------

    @rpc
    def save_school(self, payload: dict[str, Any]) -> dict[str, Any]:
        """The education department registers or updates a school: ``{"school", "created"}``."""
        data = load(contract.SchoolIn, payload)
        school, created = self.db.commit_retrying(
            lambda: schools.save_school(self.db.session, data)
        )
        return {"school": school, "created": created}

    @rpc
    def list_schools(self, limit: int = 50, offset: int = 0) -> dict[str, Any]:
        return schools.list_schools(self.db.session, limit, offset)

    @rpc
    def save_teacher(self, school_id: str | None, payload: dict[str, Any]) -> dict[str, Any]:
        data = load(contract.TeacherIn, payload)
        session = self.db.session
        teacher = self.db.commit_retrying(
            lambda: schools.save_teacher(session, schools.school_of(session, school_id), data)
        )
        return teacher

    @rpc
    def teacher_space(self, teacher_id: str) -> dict[str, Any]:
        return schools.teacher_space(self.db.session, teacher_id)

    @rpc
    def publish_lesson(self, school_id: str | None, payload: dict[str, Any]) -> dict[str, Any]:
        """A school publishes a lesson of one of its teachers: ``{"lesson", "created"}``."""
        data = load(contract.LessonIn, payload)
        session = self.db.session
        lesson, created = self.db.commit_retrying(
            lambda: schools.publish_lesson(session, schools.school_of(session, school_id), data)
        )
        return {"lesson": lesson, "created": created}

    @rpc
    def search_lessons(self, query: dict[str, Any]) -> dict[str, Any]:
        return schools.search_lessons(self.db.session, load(contract.LessonQuery, query))

    @rpc
    def lesson_stats(self) -> dict[str, Any]:
        return schools.lesson_stats(self.db.session)

    # --- e-student IDs --------------------------------------------------------------------------

    @rpc
    def enrol(self, school_id: str | None, payload: dict[str, Any]) -> dict[str, Any]:
        """Issue a student card to the holder of a citizen card: ``{"card", "created"}``.

        The platform's registry must know the card (else 422 on ``card_number``) and its
        holder's name must be the one given (else 422 on ``name``).
        """
        data = load(contract.EnrolmentIn, payload)
        schools.school_of(self.db.session, school_id)  # a client of no school asks nothing
        holder = call_with_deadline(
            self.platform.verify_card,
            data["card_number"],
            timeout=consumer_rpc_timeout(self.config),
            service=PLATFORM,
        )
        if not holder["valid"]:
            raise Unprocessable(
                "no resident holds this citizen card",
                fields={"card_number": ["no resident holds this citizen card"]},
            )
        if not same_person_name(data["name"], holder["name"]):
            raise Unprocessable(
                "the name is not the card holder's",
                fields={"name": ["does not match the holder of the citizen card"]},
            )
        registered = {**holder, "card_number": data["card_number"]}
        card, created = self.db.commit_retrying(
            lambda: cards.enrol(self.db, school_id, data, registered, city_today())
        )
        return {"card": card, "created": created}

    @rpc
    def get_card(self, school_id: str | None, student_number: str) -> dict[str, Any]:
        card = cards.get_card(self.db, school_id, student_number)
        self.db.commit()
        return card

    @rpc
    def list_cards(
        self, school_id: str | None, status: str | None = None, limit: int = 50, offset: int = 0
    ) -> dict[str, Any]:
        page = cards.list_cards(self.db, school_id, status, limit, offset)
        self.db.commit()
        return page

    @rpc
    def change_card_status(
        self, school_id: str | None, student_number: str, payload: dict[str, Any]
    ) -> dict[str, Any]:
        """Suspend, reinstate, graduate or revoke (409 when the card's status forbids it)."""
        data = load(contract.StatusChangeIn, payload)
        return self.db.commit_retrying(
            lambda: cards.change_status(
                self.db, school_id, student_number, data["action"], data.get("reason")
            )
        )

    @rpc
    def transfer_card(
        self, school_id: str | None, student_number: str, payload: dict[str, Any]
    ) -> dict[str, Any]:
        """End the card here, issue one at the receiving school: the new card."""
        data = load(contract.TransferIn, payload)
        return self.db.commit_retrying(
            lambda: cards.transfer(self.db, school_id, student_number, data, city_today())
        )

    @rpc
    def verify_student_card(self, student_number: str) -> dict[str, Any]:
        """The public check (see ``cards.verify``): nothing personal in the answer."""
        return cards.verify(self.db.session, student_number, city_today())

    # --- exams ----------------------------------------------------------------------------------

    @rpc
    def create_exam(self, school_id: str | None, payload: dict[str, Any]) -> dict[str, Any]:
        data = load(contract.ExamIn, payload)
        exam = exams.create_exam(self.db.session, school_id, data)
        self.db.commit()
        return exam

    @rpc
    def list_exams(self, school_id: str | None, limit: int = 50, offset: int = 0) -> dict[str, Any]:
        return exams.list_exams(self.db.session, school_id, limit, offset)

    @rpc
    def get_exam(self, school_id: str | None, exam_id: str) -> dict[str, Any]:
        return exams.get_exam(self.db.session, school_id, exam_id)

    @rpc
    def upload_scores(
        self,
        school_id: str | None,
        exam_id: str,
        rows: list[dict[str, Any]] | None = None,
        csv_text: str | None = None,
    ) -> dict[str, Any]:
        """A batch of scores as JSON rows or CSV text: stored whole or refused whole."""
        batch = exams.upload_scores(self.db.session, school_id, exam_id, rows, csv_text)
        self.db.commit()
        return batch

    @rpc
    def publish_exam(self, school_id: str | None, exam_id: str) -> dict[str, Any]:
        exam = exams.publish_exam(self.db, school_id, exam_id)
        self.db.commit()
        return exam

    @rpc
    def exam_report(self, school_id: str | None, exam_id: str) -> dict[str, Any]:
        return exams.report(self.db.session, school_id, exam_id)

    @rpc
    def supervision(self, subject: str, grade: int) -> dict[str, Any]:
        """Cross-school comparison for the education department (small groups suppressed)."""
        query = load(contract.SupervisionQuery, {"subject": subject, "grade": grade})
        return exams.supervision(self.db.session, query["subject"], query["grade"])

    @rpc
    def supervision_by_district(self) -> dict[str, Any]:
        """``{"items": [{"subject", "grade", "district", "suppressed", "students", "mean",
        "median", "std_dev"}]}`` for every subject and grade with published exams (open data)."""
        return exams.supervision_by_district(self.db.session)
