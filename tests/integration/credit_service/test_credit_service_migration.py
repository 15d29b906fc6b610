"""The hand-written Alembic revision builds exactly the tables of ``models.py``.

On PostgreSQL, including the partial unique index that allows one standing entry per
subject and list.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.credit.models import Base, ListEntry, Subject
from services.credit.service import MIGRATIONS, city_today
from shared.db import make_engine, migrate


def migrated_engine(url: str) -> sa.Engine:
    engine = make_engine(url)
    migrate(engine, "credit", MIGRATIONS, Base.metadata)
    return engine


@pytest.fixture
def engine(database_url):
    engine = migrated_engine(database_url("credit"))
    yield engine
    engine.dispose()


def test_one_standing_entry_per_subject_and_list_but_any_number_removed(engine):
    today = city_today()

    def entry(subject: Subject, removed: bool) -> ListEntry:
        return ListEntry(
            subject_pk=subject.id,
            list_kind="black",
            basis="b",
            basis_record_ids=[],
            trigger_ids=[],
            issuing_department="credit_office",
            measures={},
            effective_on=today,
            expires_on=today,
            removed_on=today if removed else None,
        )

    with Session(engine) as session:
        subject = Subject(subject_type="enterprise", subject_id="91210100MA0XXXXX0W")
        session.add(subject)
        session.flush()
        session.add_all([entry(subject, removed=True), entry(subject, removed=True)])
        session.add(entry(subject, removed=False))
        session.flush()  # two removed and one standing entry: allowed
        session.add(entry(subject, removed=False))
        with pytest.raises(IntegrityError):
            session.flush()
