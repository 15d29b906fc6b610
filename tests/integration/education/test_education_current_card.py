"""One current student card per citizen, held by PostgreSQL itself: racing transfers and racing
enrolments run the service's own use cases from real OS threads, each with its own connection
and transaction, against a migrated database."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import date

import eventlet
import psycopg2.extensions
import pytest
from sqlalchemy import text
from sqlalchemy.orm import sessionmaker

from services.education.handlers import cards, schools
from services.education.models import Base
from services.education.service import MIGRATIONS
from shared.db import UnitOfWork, make_engine, migrate
from shared.errors import Conflict
from shared.identity import make_card_number

real_threading = eventlet.patcher.original("threading")
TODAY = date(2026, 12, 2)
ROUNDS = 5


@pytest.fixture
def factory(database_url: Callable[[str], str]) -> Iterator[sessionmaker]:
    # Blocking psycopg2 (no eventlet wait callback): OS threads, not green ones, race here.
    callback = psycopg2.extensions.get_wait_callback()
    psycopg2.extensions.set_wait_callback(None)
    engine = make_engine(database_url("education"))
    migrate(engine, "education", MIGRATIONS, Base.metadata)
    session_factory = sessionmaker(engine, expire_on_commit=False)
    with session_factory() as session:
        for school_id in ("A", "B", "C"):
            schools.save_school(
                session,
                {
                    "school_id": school_id,
                    "name": f"School {school_id}",
                    "district": "Heping",
                    "level": "primary",
                    "pilot": False,
                    "pilot_start": None,
                },
            )
        session.commit()
    try:
        yield session_factory
    finally:
        engine.dispose()
        psycopg2.extensions.set_wait_callback(callback)


def in_unit_of_work(factory: sessionmaker, work: Callable[[UnitOfWork], object]) -> object:
    """Run one use case as an entrypoint does: its own unit of work, committed (retrying)."""
    uow = UnitOfWork(factory, "education")
    try:
        return uow.commit_retrying(lambda: work(uow))
    except Conflict as exc:
        return exc
    finally:
        uow.close()


def race(*attempts: Callable[[], object]) -> list[object]:
    barrier = real_threading.Barrier(len(attempts))
    results: list[object] = [None] * len(attempts)

    def run(index: int, attempt: Callable[[], object]) -> None:
        barrier.wait()
        results[index] = attempt()

    threads = [real_threading.Thread(target=run, args=pair) for pair in enumerate(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def current_cards(factory: sessionmaker, card_number: str) -> int:
    with factory() as session:
        return session.execute(
            text(
                "SELECT count(*) FROM education_student_cards "
                "WHERE card_number = :card AND status IN ('active', 'suspended')"
            ),
            {"card": card_number},
        ).scalar_one()


def holder(serial: int) -> dict:
    return {"card_number": make_card_number(serial), "resident_id": uuid.uuid4(), "name": "Li Lei"}


ENROLMENT = {"grade": 4, "class_name": "4-1"}


def test_racing_transfers_leave_one_current_card(factory):
    for serial in range(1, ROUNDS + 1):
        student = holder(serial)
        card, _ = in_unit_of_work(
            factory, lambda uow, s=student: cards.enrol(uow, "A", ENROLMENT, s, TODAY)
        )

        def transfer(to: str, number: str = card["student_number"]) -> object:
            target = {"school_id": to, "grade": 4, "class_name": "4-2"}
            return in_unit_of_work(
                factory, lambda uow: cards.transfer(uow, "A", number, target, TODAY)
            )

        results = race(lambda: transfer("B"), lambda: transfer("C"))
        conflicts = [r for r in results if isinstance(r, Conflict)]
        moved = [r for r in results if isinstance(r, dict)]
        assert len(conflicts) == 1 and len(moved) == 1, results
        assert moved[0]["previous_number"] == card["student_number"]
        assert current_cards(factory, student["card_number"]) == 1


def test_racing_enrolments_at_two_schools_leave_one_current_card(factory):
    for serial in range(100, 100 + ROUNDS):
        student = holder(serial)
        results = race(
            *(
                lambda school=school: in_unit_of_work(
                    factory, lambda uow: cards.enrol(uow, school, ENROLMENT, student, TODAY)
                )
                for school in ("A", "B")
            )
        )
        assert sorted(type(r).__name__ for r in results) == ["Conflict", "tuple"], results
        assert current_cards(factory, student["card_number"]) == 1
