"""A real database for the traffic service: SQLite by default, PostgreSQL on request.

Set ``TEST_DATABASE_URL`` to a PostgreSQL server URL (e.g.
``postgresql+psycopg2://postgres@127.0.0.1:5432/postgres``): a database
``traffic_test_<random>`` is created on it for the run and dropped after. The tests commit
(imports replace feeds, reservations race each other), so every table is emptied after each
test.
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

from services.traffic.importer import ImportSummary, import_feed
from services.traffic.models import Base

GTFS_DATA = Path(__file__).resolve().parents[2] / "data" / "gtfs"
SAMPLE_ZIP = GTFS_DATA / "sample_gtfs.zip"


def _sqlite_engine(path: Path) -> Engine:
    """SQLite as the services run it: foreign keys on, pysqlite's own transaction handling."""
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA foreign_keys=ON")

    return engine


@pytest.fixture(scope="session")
def traffic_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    server_url = os.environ.get("TEST_DATABASE_URL")
    if not server_url:
        engine = _sqlite_engine(tmp_path_factory.mktemp("traffic") / "traffic.db")
        Base.metadata.create_all(engine)
        yield engine
        engine.dispose()
        return
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    name = f"traffic_test_{uuid.uuid4().hex[:12]}"
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
def is_postgresql(traffic_engine: Engine) -> bool:
    return traffic_engine.dialect.name == "postgresql"


@pytest.fixture
def session(traffic_engine: Engine) -> Iterator[Session]:
    """A session on an empty database; everything the test committed is deleted after."""
    with Session(traffic_engine) as opened:
        yield opened
    with traffic_engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture
def sample_feed(session: Session) -> ImportSummary:
    """Google's sample feed, imported and committed."""
    summary = import_feed(session, SAMPLE_ZIP, name="sample")
    session.commit()
    return summary
