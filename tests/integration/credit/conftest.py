"""A real database for the credit repository tests: SQLite by default, PostgreSQL on request.

Set ``TEST_DATABASE_URL`` to a PostgreSQL server URL (e.g.
``postgresql+psycopg2://postgres@127.0.0.1:5432/postgres``): a database
``credit_test_<random>`` is created on it for the run and dropped after. Each test runs in
a transaction that is rolled back, so tests see only their own rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from services.credit.models import Base


def _sqlite_engine(path: Path) -> Engine:
    """A SQLite engine whose transactions (and so savepoints) SQLAlchemy controls.

    Each test's session runs in savepoints inside one rolled-back transaction; pysqlite's own
    transaction handling begins transactions late and breaks SAVEPOINT. The two listeners are
    SQLAlchemy's documented fix.
    """
    engine = create_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA foreign_keys=ON")

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")

    return engine


@pytest.fixture(scope="session")
def credit_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    server_url = os.environ.get("TEST_DATABASE_URL")
    if not server_url:
        engine = _sqlite_engine(tmp_path_factory.mktemp("credit") / "credit.db")
        Base.metadata.create_all(engine)
        yield engine
        engine.dispose()
        return
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    name = f"credit_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine = create_engine(make_url(server_url).set(database=name))
    try:
        Base.metadata.create_all(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


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
