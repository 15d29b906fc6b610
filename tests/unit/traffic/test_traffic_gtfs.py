"""Reading GTFS feeds and GTFS-Realtime messages (services/traffic/gtfs.py)."""

import datetime as dt
import io
import zipfile

import pytest
from google.transit import gtfs_realtime_pb2

from services.traffic.domain.gtfs import load_feed, parse_gtfs_time
from services.traffic.domain.realtime import parse_realtime
from shared.errors import ValidationFailed


def test_sample_feed_is_read_completely(sample_feed):
    # Row counts of the files in sample_gtfs.zip (unzip -p ... | wc -l, less the header).
    counts = {name: len(rows) for name, rows in sample_feed.tables.items()}
    assert counts == {
        "agency.txt": 1,
        "stops.txt": 9,
        "routes.txt": 5,
        "calendar.txt": 2,
        "calendar_dates.txt": 1,
        "shapes.txt": 0,  # header only
        "trips.txt": 11,
        "stop_times.txt": 28,
        "frequencies.txt": 11,
    }
    assert sample_feed.timezone == "America/Los_Angeles"


def test_rows_are_typed_and_blank_optional_values_are_none(sample_feed):
    first_stop_time = sample_feed.rows("stop_times.txt")[0]
    # "STBA,6:00:00,6:00:00,STAGECOACH,1,,,," : 6 h = 21 600 s
    assert first_stop_time["arrival_s"] == 21_600
    assert first_stop_time["stop_sequence"] == 1
    assert first_stop_time["pickup_type"] is None
    shuttle = next(row for row in sample_feed.rows("trips.txt") if row["trip_id"] == "STBA")
    assert shuttle["direction_id"] is None  # "STBA,FULLW,STBA,Shuttle,,,"
    assert shuttle["trip_headsign"] == "Shuttle"
    full_week = sample_feed.rows("calendar.txt")[0]
    assert full_week["start_date"] == dt.date(2007, 1, 1)
    assert full_week["sunday"] is True
    assert sample_feed.rows("calendar_dates.txt") == [
        {"service_id": "FULLW", "date": dt.date(2007, 6, 4), "exception_type": 2}
    ]
    nye = next(row for row in sample_feed.rows("stops.txt") if row["stop_id"] == "BEATTY_AIRPORT")
    assert (nye["stop_lat"], nye["stop_lon"], nye["stop_desc"]) == (36.868446, -116.784582, None)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("6:00:00", 21_600), ("06:00:00", 21_600), ("23:59:59", 86_399), ("25:10:00", 90_600)],
)
def test_gtfs_times_count_from_the_start_of_the_service_day(text, seconds):
    assert parse_gtfs_time(text) == seconds


def test_times_after_midnight_and_a_byte_order_mark_are_accepted(make_zip, sample_files):
    stop_times = sample_files["stop_times.txt"].decode()
    late = stop_times.replace("STBA,6:20:00,6:20:00", "STBA,25:20:00,25:20:00")
    stops_with_bom = b"\xef\xbb\xbf" + sample_files["stops.txt"]
    feed = load_feed(make_zip(stop_times_txt=late, stops_txt=stops_with_bom))
    assert feed.rows("stop_times.txt")[1]["arrival_s"] == 25 * 3600 + 20 * 60
    assert feed.rows("stops.txt")[0]["stop_id"] == "FUR_CREEK_RES"


def test_one_of_arrival_and_departure_stands_for_both(make_zip, sample_files):
    stop_times = sample_files["stop_times.txt"].decode()
    half = stop_times.replace("STBA,6:20:00,6:20:00", "STBA,,6:20:00")
    assert load_feed(make_zip(stop_times_txt=half)).rows("stop_times.txt")[1]["arrival_s"] == 22_800


def test_files_in_a_folder_and_empty_optional_files(sample_files):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in sample_files.items():
            archive.writestr(f"feed/{name}", b"" if name == "frequencies.txt" else data)
    feed = load_feed(buffer.getvalue())
    assert len(feed.rows("stops.txt")) == 9
    assert feed.rows("frequencies.txt") == []


def _rejected(feed_bytes: bytes) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        load_feed(feed_bytes)
    error = caught.value
    assert error.fields == {"feed": [error.message]}
    return error


def test_missing_required_file(make_zip):
    error = _rejected(make_zip(drop=("stops.txt",)))
    assert (error.extra["file"], error.extra["line"], error.extra["field"]) == (
        "stops.txt",
        None,
        None,
    )
    assert error.message == "stops.txt: required file is missing from the feed"


def test_missing_calendars(make_zip):
    error = _rejected(make_zip(drop=("calendar.txt", "calendar_dates.txt")))
    assert "calendar.txt or calendar_dates.txt" in error.message


def test_missing_required_column(make_zip):
    error = _rejected(make_zip(stops_txt="stop_id,stop_name,stop_lon\nAMV,Amargosa,-116.4\n"))
    assert error.extra == {"file": "stops.txt", "line": 1, "field": "stop_lat"}
    assert error.message == "stops.txt, line 1, field stop_lat: required column is missing"


def test_bad_time_names_file_line_and_field(make_zip, sample_files):
    # Line 3 of stop_times.txt is the shuttle's second stop.
    stop_times = sample_files["stop_times.txt"].decode()
    broken = stop_times.replace("STBA,6:20:00,6:20:00", "STBA,25:xx:00,25:xx:00")
    error = _rejected(make_zip(stop_times_txt=broken))
    assert error.extra == {"file": "stop_times.txt", "line": 3, "field": "arrival_time"}
    assert "'25:xx:00' is not a time" in error.message


def test_bad_latitude(make_zip, sample_files):
    # Line 4 of stops.txt is BULLFROG (lines: header, FUR_CREEK_RES, BEATTY_AIRPORT, BULLFROG).
    stops = sample_files["stops.txt"].decode().replace("36.881080", "91.5")
    error = _rejected(make_zip(stops_txt=stops))
    assert error.extra == {"file": "stops.txt", "line": 4, "field": "stop_lat"}
    assert "91.5 is not between -90 and 90" in error.message


def test_unknown_stop_in_stop_times(make_zip, sample_files):
    # Lines: 1 header, 2-3 STBA, 4-8 CITY1, 9-13 CITY2, 14-15 AB1 (its second stop BULLFROG).
    stop_times = sample_files["stop_times.txt"].decode()
    broken = stop_times.replace("AB1,8:10:00,8:15:00,BULLFROG", "AB1,8:10:00,8:15:00,NOWHERE")
    error = _rejected(make_zip(stop_times_txt=broken))
    assert error.extra == {"file": "stop_times.txt", "line": 15, "field": "stop_id"}
    assert error.message == "stop_times.txt, line 15, field stop_id: unknown stop 'NOWHERE'"


def test_unknown_route_of_a_trip(make_zip, sample_files):
    trips = sample_files["trips.txt"].decode().replace("AB,FULLW,AB1", "XX,FULLW,AB1")
    error = _rejected(make_zip(trips_txt=trips))
    assert error.extra == {"file": "trips.txt", "line": 2, "field": "route_id"}


def test_duplicate_stop_id(make_zip, sample_files):
    stops = sample_files["stops.txt"].decode().replace("BULLFROG,", "BEATTY_AIRPORT,", 1)
    error = _rejected(make_zip(stops_txt=stops))
    assert error.extra == {"file": "stops.txt", "line": 4, "field": "stop_id"}


def test_blank_required_value(make_zip, sample_files):
    routes = sample_files["routes.txt"].decode().replace("Airport - Bullfrog,,3,", "x,,,")
    error = _rejected(make_zip(routes_txt=routes))
    assert error.extra == {"file": "routes.txt", "line": 2, "field": "route_type"}


def test_not_a_zip():
    error = _rejected(b"route_id,route_type\n")
    assert "not a readable zip archive" in error.message
    assert error.extra["file"] is None


# --- GTFS-Realtime -------------------------------------------------------------------------


def _message(incrementality=gtfs_realtime_pb2.FeedHeader.FULL_DATASET):
    message = gtfs_realtime_pb2.FeedMessage()
    message.header.gtfs_realtime_version = "2.0"
    message.header.incrementality = incrementality
    message.header.timestamp = 1_181_055_600  # 2007-06-05 15:00 UTC
    return message


def test_parse_realtime_trip_updates_and_alerts():
    message = _message()
    entity = message.entity.add(id="u1")
    entity.trip_update.trip.trip_id = "AB1"
    entity.trip_update.trip.start_date = "20070605"
    first = entity.trip_update.stop_time_update.add(stop_sequence=1)
    first.arrival.delay = 120
    by_time = entity.trip_update.stop_time_update.add(stop_id="BULLFROG")
    by_time.arrival.time = 1_181_056_380
    skipped = entity.trip_update.stop_time_update.add(stop_sequence=3)
    skipped.schedule_relationship = gtfs_realtime_pb2.TripUpdate.StopTimeUpdate.SKIPPED
    cancelled = message.entity.add(id="u2")
    cancelled.trip_update.trip.trip_id = "AAMV2"
    cancelled.trip_update.trip.schedule_relationship = gtfs_realtime_pb2.TripDescriptor.CANCELED
    late = message.entity.add(id="u3")
    late.trip_update.trip.trip_id = "CITY1"
    late.trip_update.trip.start_time = "08:10:00"
    late.trip_update.delay = 300
    alert = message.entity.add(id="works").alert
    alert.header_text.translation.add(text="Travaux", language="fr")
    alert.header_text.translation.add(text="Road works", language="en")
    alert.cause = gtfs_realtime_pb2.Alert.CONSTRUCTION
    alert.effect = gtfs_realtime_pb2.Alert.DETOUR
    alert.active_period.add(start=1_181_000_000)
    alert.informed_entity.add(stop_id="BULLFROG")
    alert.informed_entity.add(route_id="AB")

    update = parse_realtime(message.SerializeToString())

    assert update.timestamp == 1_181_055_600
    assert update.full_dataset is True
    assert update.trip_ids == frozenset({"AB1", "AAMV2", "CITY1"})
    rows = [
        (d.trip_id, d.service_date, d.start_time_s, d.stop_sequence, d.stop_id, d.delay_s,
         d.event_time, d.skipped)
        for d in update.delays
    ]  # fmt: skip
    june5 = dt.date(2007, 6, 5)
    assert rows == [
        ("AB1", june5, None, 1, None, 120, None, False),
        ("AB1", june5, None, None, "BULLFROG", None, 1_181_056_380, False),
        ("AB1", june5, None, 3, None, None, None, True),
        ("AAMV2", None, None, None, None, None, None, True),
        ("CITY1", None, 8 * 3600 + 10 * 60, None, None, 300, None, False),
    ]
    (works,) = update.alerts
    assert (works.alert_id, works.header, works.cause, works.effect) == (
        "works",
        "Road works",
        "CONSTRUCTION",
        "DETOUR",
    )
    assert works.active_periods == ((1_181_000_000, None),)
    assert (works.stop_ids, works.route_ids, works.trip_ids) == (("BULLFROG",), ("AB",), ())


def test_differential_message():
    update = parse_realtime(_message(gtfs_realtime_pb2.FeedHeader.DIFFERENTIAL).SerializeToString())
    assert update.full_dataset is False
    assert update.delays == ()


@pytest.mark.parametrize("data", [b"\xff\xfe garbage", b"", "text"])
def test_invalid_protobuf_is_rejected_on_feed_message(data):
    with pytest.raises(ValidationFailed) as caught:
        parse_realtime(data)
    assert list(caught.value.fields) == ["feed_message"]


def test_bad_start_date_in_a_trip_update():
    message = _message()
    entity = message.entity.add(id="bad")
    entity.trip_update.trip.trip_id = "AB1"
    entity.trip_update.trip.start_date = "2007-06-05"
    with pytest.raises(ValidationFailed) as caught:
        parse_realtime(message.SerializeToString())
    assert caught.value.fields == {
        "feed_message": ["entity 'bad': '2007-06-05' is not a date YYYYMMDD"]
    }
