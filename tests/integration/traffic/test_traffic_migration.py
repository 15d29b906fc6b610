"""The hand-written Alembic revision builds exactly the tables of ``models.py``.

On PostgreSQL; the importer's SAVEPOINT stays inside the caller's transaction.
"""

import io
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.traffic.importer import import_feed
from services.traffic.models import Base, Feed, Stop
from services.traffic.service import MIGRATIONS
from shared.db import make_engine, migrate
from shared.errors import ValidationFailed

SAMPLE_ZIP = Path(__file__).resolve().parents[2] / "data" / "gtfs" / "sample_gtfs.zip"


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url("traffic"))
    migrate(engine, "traffic", MIGRATIONS, Base.metadata)
    yield engine
    engine.dispose()


def _feed_with_bad_last_file() -> bytes:
    """The sample feed whose frequencies.txt, the last file read, names an unknown trip."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(SAMPLE_ZIP) as source, zipfile.ZipFile(buffer, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            if name == "frequencies.txt":
                data += b"NOPE,6:00:00,7:00:00,1800\n"
            target.writestr(name, data)
    return buffer.getvalue()


def test_a_refused_feed_leaves_nothing_behind(engine):
    with Session(engine) as session:
        with pytest.raises(ValidationFailed) as caught:
            import_feed(session, _feed_with_bad_last_file())
        assert caught.value.extra["file"] == "frequencies.txt"
        session.commit()  # a caller that commits anyway
    with Session(engine) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Feed)) == 0
        assert session.scalar(sa.select(sa.func.count()).select_from(Stop)) == 0


def test_an_import_is_the_callers_to_commit_or_roll_back(engine):
    with Session(engine) as session:
        import_feed(session, SAMPLE_ZIP)
        session.rollback()
    with Session(engine) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Feed)) == 0
