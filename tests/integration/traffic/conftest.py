"""The traffic domain against a real PostgreSQL: a new database per test, migrated as the
service migrates it (``shared.db.make_engine`` + ``shared.db.migrate``), dropped after."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from services.traffic.importer import ImportSummary, import_feed
from services.traffic.models import Base
from services.traffic.service import MIGRATIONS
from shared.db import make_engine, migrate

GTFS_DATA = Path(__file__).resolve().parents[2] / "data" / "gtfs"
SAMPLE_ZIP = GTFS_DATA / "sample_gtfs.zip"


@pytest.fixture
def traffic_engine(database_url: Callable[[str], str]) -> Iterator[Engine]:
    engine = make_engine(database_url("traffic"))
    migrate(engine, "traffic", MIGRATIONS, Base.metadata)
    yield engine
    engine.dispose()


@pytest.fixture
def session(traffic_engine: Engine) -> Iterator[Session]:
    with Session(traffic_engine) as opened:
        yield opened


@pytest.fixture
def sample_feed(session: Session) -> ImportSummary:
    """Google's sample feed, imported and committed."""
    summary = import_feed(session, SAMPLE_ZIP, name="sample")
    session.commit()
    return summary
