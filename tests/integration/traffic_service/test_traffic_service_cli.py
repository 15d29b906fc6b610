"""``smartcity traffic import-gtfs``: straight into the traffic database, event to the broker."""

import io
import zipfile

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from traffic_service_support import SAMPLE_AGENCY, SAMPLE_COUNTS, SAMPLE_ZIP

from services.traffic.models import Feed, Stop
from shared.db import make_engine
from shared.outbox import outbox_table
from smartcity.cli import main


@pytest.fixture
def run_cli(traffic_config, monkeypatch):
    """Run ``smartcity ...`` in-process against the test's fresh database and vhost."""
    monkeypatch.setenv("TRAFFIC_DATABASE_URL", traffic_config["DATABASE_URLS"]["traffic"])
    monkeypatch.setenv("AMQP_URI", traffic_config["AMQP_URI"])

    def run(*args: str):
        return CliRunner().invoke(main, list(args))

    return run


@pytest.fixture
def engine(traffic_config):
    engine = make_engine(traffic_config["DATABASE_URLS"]["traffic"])
    yield engine
    engine.dispose()


def test_import_on_a_fresh_database_publishes_feed_imported(run_cli, engine, event_tap):
    imported = event_tap("traffic.feed_imported")

    result = run_cli("traffic", "import-gtfs", str(SAMPLE_ZIP))

    assert result.exit_code == 0, result.output
    # 68 rows: the sum of SAMPLE_COUNTS.
    assert "imported feed 1 'sample_gtfs' (America/Los_Angeles): 68 rows" in result.output
    assert "published traffic.feed_imported" in result.output
    envelope = imported.next()
    assert (envelope["type"], envelope["source"]) == ("traffic.feed_imported", "traffic")
    assert envelope["data"] == {
        "feed_id": "1",
        "agency": SAMPLE_AGENCY,
        "timezone": "America/Los_Angeles",
        "counts": SAMPLE_COUNTS,
    }
    with Session(engine) as session:
        feed = session.scalars(select(Feed)).one()
        assert (feed.name, feed.active, feed.row_counts) == ("sample_gtfs", True, SAMPLE_COUNTS)
        published = session.execute(select(outbox_table.c.type, outbox_table.c.published_at))
        assert [(row.type, row.published_at is not None) for row in published] == [
            ("traffic.feed_imported", True)
        ]


def _sample_with_unknown_stop() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(SAMPLE_ZIP) as source, zipfile.ZipFile(buffer, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            if name == "stop_times.txt":  # line 15 of the file
                data = data.replace(b"AB1,8:10:00,8:15:00,BULLFROG", b"AB1,8:10:00,8:15:00,NOPE")
            target.writestr(name, data)
    return buffer.getvalue()


def test_a_malformed_feed_exits_2_naming_file_line_and_field_and_changes_nothing(
    run_cli, engine, tmp_path
):
    broken = tmp_path / "broken.zip"
    broken.write_bytes(_sample_with_unknown_stop())

    result = run_cli("traffic", "import-gtfs", str(broken))

    assert result.exit_code == 2
    assert "stop_times.txt, line 15, field stop_id: unknown stop 'NOPE'" in result.output
    with Session(engine) as session:
        for table in (Feed, Stop, outbox_table):
            assert session.scalar(select(func.count()).select_from(table)) == 0
