"""Importing GTFS feeds into a real database (services/traffic/importer.py)."""

import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.traffic import queries, timetable
from services.traffic.domain.gtfs_archive import ArchiveLimits
from services.traffic.importer import import_feed
from services.traffic.models import (
    Agency,
    Calendar,
    CalendarDate,
    Feed,
    Frequency,
    Route,
    ShapePoint,
    Stop,
    StopTime,
    Trip,
)
from shared.errors import ValidationFailed

GTFS_DATA = Path(__file__).resolve().parents[2] / "data" / "gtfs"
SAMPLE_ZIP = GTFS_DATA / "sample_gtfs.zip"
CAIRNS_ZIP = GTFS_DATA / "cairns_gtfs.zip"

# Rows of each file of sample_gtfs.zip (unzip -p ... | wc -l, less the header line).
SAMPLE_COUNTS = {
    "agency.txt": 1,
    "stops.txt": 9,
    "routes.txt": 5,
    "calendar.txt": 2,
    "calendar_dates.txt": 1,
    "shapes.txt": 0,
    "trips.txt": 11,
    "stop_times.txt": 28,
    "frequencies.txt": 11,
}
MODELS = {
    "agency.txt": Agency,
    "stops.txt": Stop,
    "routes.txt": Route,
    "calendar.txt": Calendar,
    "calendar_dates.txt": CalendarDate,
    "shapes.txt": ShapePoint,
    "trips.txt": Trip,
    "stop_times.txt": StopTime,
    "frequencies.txt": Frequency,
}


def _counts(session: Session) -> dict[str, int]:
    return {
        name: session.scalar(select(func.count()).select_from(model))
        for name, model in MODELS.items()
    }


def _sample_edited(file: str, old: bytes, new: bytes) -> bytes:
    """The sample feed, deflated, with ``old`` replaced by ``new`` once in ``file``."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(SAMPLE_ZIP) as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for name in source.namelist():
            data = source.read(name)
            if name == file:
                assert old in data
                data = data.replace(old, new, 1)
            target.writestr(name, data)
    return buffer.getvalue()


def _sample_with_unknown_stop() -> bytes:
    """The sample feed with a stop time at an unknown stop on line 15 of stop_times.txt, the
    eighth of the nine files: the files before it are already loaded when it is found."""
    return _sample_edited(
        "stop_times.txt", b"AB1,8:10:00,8:15:00,BULLFROG", b"AB1,8:10:00,8:15:00,NOPE"
    )


def test_sample_import_loads_every_row(session, sample_feed):
    assert sample_feed.row_counts == SAMPLE_COUNTS
    assert _counts(session) == SAMPLE_COUNTS
    feed = queries.active_feed(session)
    assert (feed.feed_id, feed.name, feed.timezone) == (
        sample_feed.feed_id,
        "sample",
        "America/Los_Angeles",
    )
    assert feed.row_counts == SAMPLE_COUNTS
    night = session.get(StopTime, (feed.feed_id, "AB1", 2))
    assert (night.stop_id, night.arrival_s, night.departure_s) == ("BULLFROG", 29_400, 29_700)


def test_reimport_replaces_the_feed(session, sample_feed):
    again = import_feed(session, SAMPLE_ZIP, name="sample")
    session.commit()
    assert again.feed_id != sample_feed.feed_id
    assert again.replaced_feed_ids == [sample_feed.feed_id]
    assert _counts(session) == SAMPLE_COUNTS  # no duplicates, nothing lost
    assert session.scalars(select(Feed.feed_id)).all() == [again.feed_id]
    assert queries.active_feed(session).feed_id == again.feed_id


def test_readers_see_the_old_feed_until_the_import_commits(session, sample_feed, traffic_engine):
    importing = Session(traffic_engine)
    try:
        new = import_feed(importing, SAMPLE_ZIP, name="next")
        with Session(traffic_engine) as reader:
            assert queries.active_feed(reader).feed_id == sample_feed.feed_id
            assert len(queries.routes(reader)) == 5
        importing.commit()
    finally:
        importing.close()
    with Session(traffic_engine) as reader:
        assert queries.active_feed(reader).feed_id == new.feed_id
        assert _counts(reader) == SAMPLE_COUNTS


def test_malformed_feed_changes_nothing(session, sample_feed):
    with pytest.raises(ValidationFailed) as caught:
        import_feed(session, _sample_with_unknown_stop())
    assert caught.value.extra == {"file": "stop_times.txt", "line": 15, "field": "stop_id"}
    assert caught.value.fields == {
        "feed": ["stop_times.txt, line 15, field stop_id: unknown stop 'NOPE'"]
    }
    session.commit()  # even a caller that commits after the error keeps the old feed
    assert session.scalars(select(Feed.feed_id)).all() == [sample_feed.feed_id]
    assert _counts(session) == SAMPLE_COUNTS
    assert [stop["stop_id"] for stop in queries.route_stops(session, "AB")] == [
        "BEATTY_AIRPORT",
        "BULLFROG",
    ]


def _sample_with_damaged_stop_times() -> bytes:
    """Deflate data of stop_times.txt overwritten: found only while the eighth file streams."""
    feed = bytearray(_sample_edited("stop_times.txt", b"", b""))
    info = zipfile.ZipFile(io.BytesIO(bytes(feed))).getinfo("stop_times.txt")
    data_start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    feed[data_start + 40 : data_start + 60] = b"\xff" * 20
    return bytes(feed)


HOSTILE_FEEDS = {
    # Once ended in a psycopg2 traceback: PostgreSQL cannot store a NUL in text.
    "NUL in a stop name": (
        lambda: _sample_edited("stops.txt", b"Nye County Airport", b"Nye\x00County Airport"),
        "stops.txt, line 3, field stop_name: contains a NUL character, which no value may hold",
    ),
    "NUL in the last file but one": (  # BULLFROG first appears on line 15
        lambda: _sample_edited("stop_times.txt", b"BULLFROG", b"BULL\x00FROG"),
        "stop_times.txt, line 15, field stop_id: contains a NUL character, which no value may hold",
    ),
    # Row keys of stop_times.txt are left to the primary key while streaming (no set of every
    # row's key in memory); the line is still named, found by a second, checking read.
    "a stop time's trip and sequence repeated": (
        lambda: _sample_edited(
            "stop_times.txt",
            b"CITY1,6:05:00,6:07:00,NANAA,2,,,,",
            b"CITY1,6:05:00,6:07:00,NANAA,2,,,,\nCITY1,6:06:00,6:07:00,NANAA,2,,,,",
        ),
        "stop_times.txt, line 6, field stop_sequence: duplicate trip_id and stop_sequence",
    ),
    "damaged deflate data": (
        _sample_with_damaged_stop_times,
        "stop_times.txt: is damaged in the zip archive (Error -3 while decompressing data: "
        "invalid literal/lengths set)",
    ),
}


@pytest.mark.parametrize("case", HOSTILE_FEEDS)
def test_a_hostile_feed_is_refused_and_changes_nothing(session, sample_feed, bulk_path, case):
    build, message = HOSTILE_FEEDS[case]
    with pytest.raises(ValidationFailed) as caught:
        import_feed(session, build())
    assert caught.value.fields == {"feed": [message]}
    session.commit()
    assert session.scalars(select(Feed.feed_id)).all() == [sample_feed.feed_id]
    assert _counts(session) == SAMPLE_COUNTS
    assert session.get(Stop, (sample_feed.feed_id, "BEATTY_AIRPORT")).stop_name == (
        "Nye County Airport (Demo)"
    )


def test_a_feed_past_the_size_limit_changes_nothing(session, sample_feed):
    # The sample's nine files expand to 3266 bytes, 2920 up to stop_times.txt, the eighth.
    with pytest.raises(ValidationFailed) as caught:
        import_feed(session, SAMPLE_ZIP, limits=ArchiveLimits(max_total_bytes=2000))
    assert caught.value.extra == {"file": "stop_times.txt", "line": None, "field": None}
    session.commit()
    assert session.scalars(select(Feed.feed_id)).all() == [sample_feed.feed_id]
    assert _counts(session) == SAMPLE_COUNTS


def test_progress_reports_bytes_up_to_the_total(session):
    reports = []
    import_feed(session, SAMPLE_ZIP, progress=reports.append)
    session.commit()
    done = [report.bytes_done for report in reports]
    assert done == sorted(done)
    assert reports[-1].bytes_done == reports[-1].bytes_total
    # The total is the uncompressed size of the nine files the importer reads.
    with zipfile.ZipFile(SAMPLE_ZIP) as archive:
        expected = sum(archive.getinfo(name).file_size for name in SAMPLE_COUNTS)
    assert reports[-1].bytes_total == expected
    stop_times = [r for r in reports if r.file == "stop_times.txt"]
    assert stop_times[-1].rows == 28


@pytest.fixture(params=["as configured", "COPY"])
def bulk_path(request: pytest.FixtureRequest) -> Iterator[str]:
    """Under this suite's eventlet, psycopg2 is green and refuses COPY, so the importer falls
    back to multi-row INSERTs; "COPY" runs psycopg2 in blocking mode, as the CLI does."""
    if request.param == "as configured":
        yield request.param
        return
    import psycopg2.extensions

    callback = psycopg2.extensions.get_wait_callback()
    psycopg2.extensions.set_wait_callback(None)
    try:
        yield request.param
    finally:
        psycopg2.extensions.set_wait_callback(callback)


def test_cairns_import_is_fast_and_complete(session, bulk_path):
    summary = import_feed(session, CAIRNS_ZIP, name="cairns")
    session.commit()
    database = session.get_bind().dialect.name
    print(f"\nCairns import on {database} ({bulk_path}): {summary.seconds:.2f} s")
    # Lines of each file of cairns_gtfs.zip less the header (unzip -p ... | wc -l).
    assert summary.row_counts == {
        "agency.txt": 1,
        "stops.txt": 416,
        "routes.txt": 22,
        "calendar.txt": 4,
        "calendar_dates.txt": 9,
        "shapes.txt": 22_784,
        "trips.txt": 1339,
        "stop_times.txt": 37_790,
    }
    assert summary.timezone == "Australia/Brisbane"
    # agency.txt has no agency_id column: stored as "", not NULL; blank values are NULL.
    agency = session.scalars(select(Agency)).one()
    assert (agency.agency_id, agency.agency_lang) == ("", "en")
    first = session.get(Stop, (summary.feed_id, "750000"))
    assert (first.stop_name, first.stop_code, first.stop_lat) == (
        "Cedar Rd (Palm Cove) - Hail and Ride Location",
        None,
        -16.74359,
    )

    # Weekday service at The Pier Cairns - Terminus Stop E (750449), Monday 2014-06-02 07:50:30,
    # from stop_times.txt joined to trips.txt with awk: 07:50 route 110 (gone), 07:51 route 142
    # trip ...4180075, 07:52 route 143 trip ...4180586, 07:53 route 123 trip ...4172305.
    monday = timetable.arrivals(session, "750449", dt.datetime(2014, 6, 2, 7, 50, 30), limit=3)
    assert [
        (i["trip_id"][-7:], i["route_short_name"], i["scheduled"]) for i in monday["items"]
    ] == [
        ("4180075", "142", "2014-06-02T07:51:00"),
        ("4180586", "143", "2014-06-02T07:52:00"),
        ("4172305", "123", "2014-06-02T07:53:00"),
    ]
    # Monday 2014-06-09 is a holiday: calendar_dates removes the weekday service and adds the
    # Sunday one, whose next buses there are 07:57 (131), 08:10 (110), 08:23 (150E).
    holiday = timetable.arrivals(session, "750449", dt.datetime(2014, 6, 9, 7, 50, 30), limit=3)
    assert [(i["route_short_name"], i["scheduled"]) for i in holiday["items"]] == [
        ("131", "2014-06-09T07:57:00"),
        ("110", "2014-06-09T08:10:00"),
        ("150E", "2014-06-09T08:23:00"),
    ]
    # Friday-night buses (service Weekday-00-0000100) reach Warren St (750338) at 25:39,
    # 26:39 and 27:39: Saturday 01:39, 02:39 and 03:39.
    night = timetable.arrivals(session, "750338", dt.datetime(2014, 6, 7, 0, 30), limit=3)
    assert [(i["route_short_name"], i["scheduled"]) for i in night["items"]] == [
        ("110N", "2014-06-07T01:39:00"),
        ("110N", "2014-06-07T02:39:00"),
        ("110N", "2014-06-07T03:39:00"),
    ]
