"""A real database for the credit repository tests: PostgreSQL, built by the migrations.

Each test gets a new database (``database_url``), upgraded by the credit service's own Alembic
revisions (``shared.db.migrate``), so the tests run on the schema production runs on. Each
test's session works in savepoints inside one transaction that is rolled back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from services.credit.models import Base
from services.credit.service import MIGRATIONS
from shared.db import make_engine, migrate


@pytest.fixture
def credit_engine(database_url: Callable[[str], str]) -> Iterator[Engine]:
    engine = make_engine(database_url("credit"))
    migrate(engine, "credit", MIGRATIONS, Base.metadata)
    yield engine
    engine.dispose()


@pytest.fixture
def credit_session(credit_engine: Engine) -> Iterator[Session]:
    with credit_engine.connect() as connection:
        transaction = connection.begin()
        session = Session(bind=connection, join_transaction_mode="create_savepoint")
        try:
            yield session
        finally:
            session.close()
            transaction.rollback()
