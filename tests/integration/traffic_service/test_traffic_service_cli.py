"""``smartcity traffic import-gtfs``: straight into the traffic database, event to the broker."""

import io
import os
import re
import subprocess
import sys
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


def _sample_edited(
    file: str, old: bytes, new: bytes, compression: int = zipfile.ZIP_DEFLATED
) -> bytes:
    """The sample feed with ``old`` replaced by ``new`` once in ``file``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(SAMPLE_ZIP) as source, zipfile.ZipFile(buffer, "w", compression) as target:
        for name in source.namelist():
            data = source.read(name)
            if name == file:
                assert old in data
                data = data.replace(old, new, 1)
            target.writestr(name, data)
    return buffer.getvalue()


def _count(engine, table) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(table))


def test_a_malformed_feed_exits_2_naming_file_line_and_field_and_changes_nothing(
    run_cli, engine, tmp_path
):
    broken = tmp_path / "broken.zip"  # line 15 of stop_times.txt
    broken.write_bytes(
        _sample_edited(
            "stop_times.txt", b"AB1,8:10:00,8:15:00,BULLFROG", b"AB1,8:10:00,8:15:00,NOPE"
        )
    )

    result = run_cli("traffic", "import-gtfs", str(broken))

    assert result.exit_code == 2
    assert (
        f"{broken}: invalid feed: stop_times.txt, line 15, field stop_id: unknown stop 'NOPE'; "
        "nothing was changed"
    ) in result.output.splitlines()
    for table in (Feed, Stop, outbox_table):
        assert _count(engine, table) == 0


def test_a_nul_in_a_stop_name_exits_2_with_one_line_and_no_traceback(traffic_config, tmp_path):
    """The operator's real command in its own process: the one line it ends with is all."""
    feed = tmp_path / "nul.zip"
    feed.write_bytes(_sample_edited("stops.txt", b"Nye County Airport", b"Nye\x00County Airport"))
    environment = {
        **os.environ,
        "TRAFFIC_DATABASE_URL": traffic_config["DATABASE_URLS"]["traffic"],
        "AMQP_URI": traffic_config["AMQP_URI"],
    }

    command = [sys.executable, "-m", "smartcity", "traffic", "import-gtfs", str(feed)]
    done = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=120)

    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines()[-1] == (
        f"{feed}: invalid feed: stops.txt, line 3, field stop_name: contains a NUL character, "
        "which no value may hold; nothing was changed"
    )
    assert done.stdout == ""


def _blank_line_bomb() -> bytes:
    """stop_times.txt with 4 MiB of blank lines after its header: about 4 kB compressed."""
    return _sample_edited("stop_times.txt", b"\n", b"\n" * (4 * 2**20))


HOSTILE_FEEDS = {
    "zip bomb": (
        _blank_line_bomb,
        r"stop_times\.txt: expands from \d+ to \d+ bytes, more than 200 times its "
        r"compressed size",
    ),
    "bzip2": (
        lambda: _sample_edited("agency.txt", b"", b"", zipfile.ZIP_BZIP2),
        r"agency\.txt: uses compression method 12 \(bzip2\); only stored and deflate files "
        r"are read",
    ),
    "line break in a value": (  # quoted in the message, which must stay one line
        lambda: _sample_edited("stop_times.txt", b"STBA,6:20:00", b'STBA,"6:20\n:00"'),
        r"stop_times\.txt, line 3, field arrival_time: '6:20\\n:00' is not a time .*",
    ),
}


@pytest.mark.parametrize("case", HOSTILE_FEEDS)
def test_a_hostile_feed_exits_2_and_leaves_the_timetable_in_use(run_cli, engine, tmp_path, case):
    assert run_cli("traffic", "import-gtfs", str(SAMPLE_ZIP)).exit_code == 0
    build, message = HOSTILE_FEEDS[case]
    feed = tmp_path / "hostile.zip"
    feed.write_bytes(build())

    result = run_cli("traffic", "import-gtfs", str(feed))

    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)  # not an uncaught error
    pattern = re.compile(f"{re.escape(str(feed))}: invalid feed: {message}; nothing was changed")
    assert [line for line in result.output.splitlines() if pattern.fullmatch(line)], result.output
    with Session(engine) as session:
        feed_row = session.scalars(select(Feed)).one()
        assert (feed_row.name, feed_row.active) == ("sample_gtfs", True)
        assert session.scalar(select(func.count()).select_from(Stop)) == SAMPLE_COUNTS["stops.txt"]


def test_a_bad_limit_setting_is_refused_before_anything_runs(run_cli, engine, monkeypatch):
    monkeypatch.setenv("GTFS_MAX_UNCOMPRESSED_BYTES", "half a gig")

    result = run_cli("traffic", "import-gtfs", str(SAMPLE_ZIP))

    assert result.exit_code == 1
    assert (
        "Error: GTFS_MAX_UNCOMPRESSED_BYTES must be a positive integer, not 'half a gig'"
        in result.output
    )
