"""Residents' transit questions answered from the imported sample feed (queries.py).

Distances below are worked out with the flat-earth approximation that is exact to well under
a metre at these ranges: north metres = dlat x 111 195.08, east metres = dlon x 111 195.08 x
cos(mean latitude); the code uses the haversine formula.
"""

import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
from google.transit import gtfs_realtime_pb2
from sqlalchemy import text
from sqlalchemy.orm import Session

from services.traffic import queries, stop_calls, timetable
from services.traffic.arrival_reads import database_key
from services.traffic.importer import import_feed, store_realtime
from shared.errors import NotFound, ValidationFailed

SAMPLE_ZIP = Path(__file__).resolve().parents[2] / "data" / "gtfs" / "sample_gtfs.zip"


def test_stops_near_nearest_first(session, sample_feed):
    # From (36.91, -116.76):
    #   EMSI (36.905697, -116.762180): 478.5 m S, 193.8 m W -> 516.2 m
    #   NANAA (36.914944, -116.761472): 549.7 m N, 130.9 m W -> 565.1 m
    #   DADAN (36.909489, -116.768242): 56.8 m S, 732.8 m W -> 735.0 m
    #   NADAV (36.914893, -116.768210): 544.1 m N, 729.9 m W -> 910.4 m
    #   STAGECOACH (36.915682, -116.751677): 631.8 m N, 740.0 m E -> 973.0 m
    # The other four stops are kilometres away.
    found = queries.stops_near(session, 36.91, -116.76, 1000)
    assert [(stop["stop_id"], stop["distance_m"]) for stop in found] == [
        ("EMSI", pytest.approx(516.2, abs=0.2)),
        ("NANAA", pytest.approx(565.1, abs=0.2)),
        ("DADAN", pytest.approx(735.0, abs=0.2)),
        ("NADAV", pytest.approx(910.4, abs=0.2)),
        ("STAGECOACH", pytest.approx(973.0, abs=0.2)),
    ]
    assert found[0] == {
        "stop_id": "EMSI",
        "name": "E Main St / S Irving St (Demo)",
        "lat": 36.905697,
        "lon": -116.76218,
        "distance_m": found[0]["distance_m"],
    }
    assert [s["stop_id"] for s in queries.stops_near(session, 36.91, -116.76, 1000, limit=2)] == [
        "EMSI",
        "NANAA",
    ]
    assert [s["stop_id"] for s in queries.stops_near(session, 36.91, -116.76, 520)] == ["EMSI"]


def test_stop_detail_describes_the_stop_by_its_neighbour_and_routes(session, sample_feed):
    # DADAN (36.909489, -116.768242) to EMSI (36.905697, -116.762180): 421.7 m S and 539.0 m E,
    # 684.4 m in all, bearing 180 - atan(539.0 / 421.7) = 128 degrees: south-east. Only CITY
    # (short name 40) stops at EMSI.
    detail = queries.stop_detail(session, "EMSI")
    assert detail == {
        "stop_id": "EMSI",
        "name": "E Main St / S Irving St (Demo)",
        "lat": 36.905697,
        "lon": -116.76218,
        "description": "Stop 'E Main St / S Irving St (Demo)' at 36.90570, -116.76218; "
        "684 m south-east of 'Doing Ave / D Ave N (Demo)' stop; served by route 40 (City).",
        "routes": [{"route_id": "CITY", "short_name": "40", "long_name": "City"}],
    }


def test_stop_detail_of_a_stop_alone_with_three_routes(session, sample_feed):
    detail = queries.stop_detail(session, "BEATTY_AIRPORT")
    assert detail["routes"] == [
        {"route_id": "AB", "short_name": "10", "long_name": "Airport - Bullfrog"},
        {"route_id": "STBA", "short_name": "30", "long_name": "Stagecoach - Airport Shuttle"},
        {"route_id": "AAMV", "short_name": "50", "long_name": "Airport - Amargosa Valley"},
    ]
    assert detail["description"] == (
        "Stop 'Nye County Airport (Demo)' at 36.86845, -116.78458; no other stop within 1.0 km; "
        "served by routes 10 (Airport - Bullfrog), 30 (Stagecoach - Airport Shuttle), "
        "50 (Airport - Amargosa Valley)."
    )


def test_unknown_stop_and_route_are_not_found(session, sample_feed):
    with pytest.raises(NotFound):
        queries.stop_detail(session, "NOWHERE")
    with pytest.raises(NotFound):
        timetable.arrivals(session, "NOWHERE", dt.datetime(2007, 6, 9, 10, 30))
    with pytest.raises(NotFound):
        queries.route_stops(session, "NOPE")


def test_nothing_imported_is_not_found(session):
    with pytest.raises(NotFound) as caught:
        queries.stops_near(session, 36.91, -116.76, 1000)
    assert caught.value.message == "no transit timetable has been imported"
    # reads that find the feed in their own statement say the same when nothing is imported
    for read in (
        lambda: queries.routes(session),
        lambda: timetable.arrivals(session, "STOP1", dt.datetime(2007, 6, 9, 10, 30)),
    ):
        with pytest.raises(NotFound) as caught:
            read()
        assert caught.value.message == "no transit timetable has been imported"
    with pytest.raises(NotFound):
        store_realtime(session, _message().SerializeToString())


def _arrival_times(result):
    return [(item["trip_id"], item["scheduled"][5:16]) for item in result["items"]]


def test_arrivals_follow_calendars_exceptions_and_frequencies(session, sample_feed):
    # Hand-worked in tests/unit/traffic/test_traffic_schedule.py from the feed's files:
    # Saturday 10:30 at the airport mixes the weekend AAMV trips with the half-hourly shuttle.
    saturday = timetable.arrivals(session, "BEATTY_AIRPORT", dt.datetime(2007, 6, 9, 10, 30), 4)
    assert _arrival_times(saturday) == [
        ("STBA", "06-09T10:50"),
        ("AAMV2", "06-09T11:00"),
        ("STBA", "06-09T11:20"),
        ("STBA", "06-09T11:50"),
    ]
    assert saturday["items"][1] == {
        "trip_id": "AAMV2",
        "route_id": "AAMV",
        "route_short_name": "50",
        "headsign": "to Airport",
        "scheduled": "2007-06-09T11:00:00",
        "expected": "2007-06-09T11:00:00",
        "delay_s": None,
    }
    # Monday 2007-06-04 has no service (calendar_dates removes FULLW): Tuesday's first shuttle.
    removed = timetable.arrivals(session, "BEATTY_AIRPORT", dt.datetime(2007, 6, 4, 10, 30), 1)
    assert _arrival_times(removed) == [("STBA", "06-05T06:20")]
    # CITY1 and CITY2 reach NADAV 12 minutes after each run starts (runs at 7:00 and 7:30).
    city = timetable.arrivals(session, "NADAV", dt.datetime(2007, 6, 5, 7, 5), 3)
    assert _arrival_times(city) == [
        ("CITY1", "06-05T07:12"),
        ("CITY2", "06-05T07:12"),
        ("CITY1", "06-05T07:42"),
    ]


def test_arrivals_take_an_aware_time_in_the_feeds_zone(session, sample_feed):
    # 17:30 UTC on 2007-06-09 is 10:30 PDT.
    at = dt.datetime(2007, 6, 9, 17, 30, tzinfo=dt.UTC)
    assert _arrival_times(timetable.arrivals(session, "BEATTY_AIRPORT", at, 1)) == [
        ("STBA", "06-09T10:50")
    ]


def test_arrivals_validate_their_time(session, sample_feed):
    # The limit is the contract's (ArrivalsQuery), checked where the call enters the service.
    with pytest.raises(ValidationFailed) as caught:
        timetable.arrivals(session, "BEATTY_AIRPORT", "10:30", 5)
    assert list(caught.value.fields) == ["at"]


def test_routes_and_route_stops(session, sample_feed):
    assert [(r["route_id"], r["short_name"]) for r in queries.routes(session)] == [
        ("AB", "10"),
        ("BFC", "20"),
        ("STBA", "30"),
        ("CITY", "40"),
        ("AAMV", "50"),
    ]
    # CITY1 and CITY2 both have 5 stops; CITY1 (first by id) runs STAGECOACH to EMSI.
    city = queries.route_stops(session, "CITY")
    assert [(s["stop_id"], s["stop_sequence"]) for s in city] == [
        ("STAGECOACH", 1),
        ("NANAA", 2),
        ("NADAV", 3),
        ("DADAN", 4),
        ("EMSI", 5),
    ]
    assert city[0] == {
        "stop_id": "STAGECOACH",
        "name": "Stagecoach Hotel & Casino (Demo)",
        "lat": 36.915682,
        "lon": -116.751677,
        "stop_sequence": 1,
    }


def test_walk_to_a_stop(session, sample_feed):
    # From (36.9, -116.76) to EMSI (36.905697, -116.762180): 633.5 m N and 193.9 m W, so
    # 662.5 m; at 1.3 m/s that is 509.6 s = 8.5 min, rounded up to 9; the bearing is
    # 360 - atan(193.9 / 633.5) = 343.0 degrees.
    route = queries.walk(session, 36.9, -116.76, "EMSI")
    assert route["distance_m"] == pytest.approx(662.5, abs=0.2)
    assert route["minutes"] == 9
    assert route["bearing_deg"] == pytest.approx(343.0, abs=0.1)
    assert route["stop"] == queries.stop_detail(session, "EMSI")


# --- Real-time ------------------------------------------------------------------------------


def _message(incrementality=gtfs_realtime_pb2.FeedHeader.FULL_DATASET):
    message = gtfs_realtime_pb2.FeedMessage()
    message.header.gtfs_realtime_version = "2.0"
    message.header.incrementality = incrementality
    message.header.timestamp = 1_181_055_600  # 2007-06-05 08:00 PDT
    return message


def _delayed(message, trip_id, seconds, stop_id=None, start_date="20070605"):
    entity = message.entity.add(id=f"{trip_id}-{len(message.entity)}")
    entity.trip_update.trip.trip_id = trip_id
    entity.trip_update.trip.start_date = start_date
    if stop_id:
        entity.trip_update.stop_time_update.add(stop_id=stop_id).arrival.delay = seconds
    else:
        entity.trip_update.delay = seconds


def _expected(session, stop_id, at, limit):
    result = timetable.arrivals(session, stop_id, at, limit)
    return [(i["trip_id"], i["expected"][11:16], i["delay_s"]) for i in result["items"]]


def test_stored_realtime_delays_move_arrivals(session, sample_feed):
    message = _message()
    _delayed(message, "AB1", 120, stop_id="BEATTY_AIRPORT")  # its stop_sequence 1
    _delayed(message, "GHOST", 60)
    alert = message.entity.add(id="works").alert
    alert.header_text.translation.add(text="Road works at Bullfrog")
    alert.active_period.add(start=1_181_000_000)  # 2007-06-04 23:33 UTC
    alert.informed_entity.add(stop_id="BULLFROG")

    assert store_realtime(session, message.SerializeToString()) == {
        "delays": 1,
        "ignored": 1,
        "alerts": 1,
    }
    session.commit()
    tuesday_0755 = dt.datetime(2007, 6, 5, 7, 55)
    # AB1 leaves the airport at 8:00 (+2 min); the shuttle's 8:20 has no live data.
    assert _expected(session, "BEATTY_AIRPORT", tuesday_0755, 2) == [
        ("AB1", "08:02", 120),
        ("STBA", "08:20", None),
    ]
    assert _expected(session, "BULLFROG", tuesday_0755, 1) == [("AB1", "08:12", 120)]

    at_eight = dt.datetime(2007, 6, 5, 8, 0)
    (works,) = queries.active_alerts(session, at_eight, stop_id="BULLFROG")
    assert (works["alert_id"], works["header"], works["stop_ids"]) == (
        "works",
        "Road works at Bullfrog",
        ["BULLFROG"],
    )
    assert queries.active_alerts(session, at_eight, stop_id="EMSI") == []
    # 2007-06-04 12:00 PDT is 19:00 UTC, before the alert's start.
    assert queries.active_alerts(session, dt.datetime(2007, 6, 4, 12, 0)) == []

    # A differential update for AB2 keeps AB1's delay ...
    differential = _message(gtfs_realtime_pb2.FeedHeader.DIFFERENTIAL)
    _delayed(differential, "AB2", 300)
    store_realtime(session, differential.SerializeToString())
    assert _expected(session, "BEATTY_AIRPORT", dt.datetime(2007, 6, 5, 12, 0), 1) == [
        ("AB2", "12:20", 300)
    ]
    assert _expected(session, "BEATTY_AIRPORT", tuesday_0755, 1) == [("AB1", "08:02", 120)]
    # ... and a full dataset without predictions or alerts clears them all.
    store_realtime(session, _message().SerializeToString())
    assert _expected(session, "BEATTY_AIRPORT", tuesday_0755, 1) == [("AB1", "08:00", None)]
    assert queries.active_alerts(session, at_eight) == []


def test_invalid_realtime_message(session, sample_feed):
    with pytest.raises(ValidationFailed) as caught:
        store_realtime(session, b"not protobuf")
    assert list(caught.value.fields) == ["feed_message"]


def test_arrivals_follow_a_feed_imported_by_another_connection(session, traffic_engine):
    """The calendars held in memory belong to the feed they were read from: an import
    committed elsewhere (the CLI, another instance) is seen by the next request."""
    import_feed(session, SAMPLE_ZIP, name="sample")
    session.commit()
    monday, tuesday = dt.datetime(2007, 6, 4, 10, 30), dt.datetime(2007, 6, 5, 10, 30)
    assert _arrival_times(timetable.arrivals(session, "BEATTY_AIRPORT", monday, 1)) == [
        ("STBA", "06-05T06:20")  # Monday's service removed by calendar_dates.txt
    ]
    # Another connection imports the feed with the exception moved to Tuesday.
    buffer = io.BytesIO()
    with zipfile.ZipFile(SAMPLE_ZIP) as source, zipfile.ZipFile(buffer, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            if name == "calendar_dates.txt":
                data = data.replace(b"20070604", b"20070605")
            target.writestr(name, data)
    with Session(traffic_engine) as other:
        import_feed(other, buffer.getvalue(), name="moved exception")
        other.commit()
    session.commit()  # the next request's transaction
    assert _arrival_times(timetable.arrivals(session, "BEATTY_AIRPORT", monday, 1)) == [
        ("STBA", "06-04T10:50")
    ]
    assert _arrival_times(timetable.arrivals(session, "BEATTY_AIRPORT", tuesday, 1)) == [
        ("STBA", "06-06T06:20")
    ]


def _sample_with(replace: tuple[bytes, bytes], in_file: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(SAMPLE_ZIP) as source, zipfile.ZipFile(buffer, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            target.writestr(name, data.replace(*replace) if name == in_file else data)
    return buffer.getvalue()


def _feed_indexes(session):
    database = database_key(session)
    return [index for key, index in timetable._FEEDS.items() if key[0] == database]


def test_calls_held_in_memory_follow_a_new_import_and_stay_bounded(
    session, traffic_engine, monkeypatch
):
    """``stop_calls`` holds a stop's calls per imported feed: a re-import with moved times is
    seen by the next request, and past ``CACHED_CALLS`` the stops read least recently go."""
    import_feed(session, SAMPLE_ZIP, name="sample")
    session.commit()
    saturday = dt.datetime(2007, 6, 9, 7, 0)
    assert ("AAMV1", "06-09T08:00") in _arrival_times(
        timetable.arrivals(session, "BEATTY_AIRPORT", saturday, 4)
    )
    with Session(traffic_engine) as other:  # AAMV1 now calls at the airport at 07:45
        moved = _sample_with((b"AAMV1,8:00:00,8:00:00", b"AAMV1,7:45:00,7:45:00"), "stop_times.txt")
        import_feed(other, moved, name="moved call")
        other.commit()
    session.commit()
    moved_times = _arrival_times(timetable.arrivals(session, "BEATTY_AIRPORT", saturday, 4))
    assert ("AAMV1", "06-09T07:45") in moved_times
    assert ("AAMV1", "06-09T08:00") not in moved_times
    (index,) = _feed_indexes(session)  # the old feed's calls went with its entry
    assert list(index.stops) == ["BEATTY_AIRPORT"]

    monkeypatch.setattr(stop_calls, "CACHED_CALLS", 1)
    for stop_id in ("STAGECOACH", "BEATTY_AIRPORT", "AMV"):
        timetable.arrivals(session, stop_id, saturday, 1)
    assert list(index.stops) == ["AMV"]  # the one being read is kept


def test_predictions_held_in_memory_follow_every_write(session, traffic_engine, sample_feed):
    """``live_delays`` holds the predictions per ``rt_version``, which the database moves with
    every statement that changes ``rt_delays``: plain SQL from another connection included,
    and a version taken by a transaction that rolled back is never taken again."""
    tuesday_0755 = dt.datetime(2007, 6, 5, 7, 55)
    assert _expected(session, "BEATTY_AIRPORT", tuesday_0755, 1) == [("AB1", "08:00", None)]
    session.commit()
    insert_ab1 = text(
        "INSERT INTO rt_delays (trip_id, stop_sequence, delay_s, skipped, received_at)"
        " VALUES ('AB1', NULL, :delay, false, now())"
    )
    with Session(traffic_engine) as other:
        other.execute(insert_ab1, {"delay": 240})
        # Read inside the writing transaction (the version held moves with it), then undone.
        assert _expected(other, "BEATTY_AIRPORT", tuesday_0755, 1) == [("AB1", "08:04", 240)]
        other.rollback()
        other.execute(insert_ab1, {"delay": 60})
        other.commit()
    assert _expected(session, "BEATTY_AIRPORT", tuesday_0755, 1) == [("AB1", "08:01", 60)]
    session.commit()
    with traffic_engine.begin() as other:
        other.execute(text("TRUNCATE rt_delays"))
    assert _expected(session, "BEATTY_AIRPORT", tuesday_0755, 1) == [("AB1", "08:00", None)]
