"""Arrivals computed from the sample feed by hand (services/traffic/schedule.py).

The sample feed (``unzip -p tests/data/gtfs/sample_gtfs.zip <file>``):

calendar.txt        FULLW runs every day, WE on Saturday and Sunday, 2007-01-01 to 2010-12-31
calendar_dates.txt  FULLW,20070604,2: FULLW does not run on Monday 2007-06-04
stop_times.txt at BEATTY_AIRPORT (all trips FULLW except the AAMV ones, which are WE):
    STBA  seq 2  6:20 (the shuttle leaves STAGECOACH at 6:00: 20 minutes into its trip)
    AB1   seq 1  8:00        AB2   seq 2  12:15
    AAMV1 seq 1  8:00        AAMV2 seq 2  11:00    AAMV3 seq 1 13:00    AAMV4 seq 2 16:00
frequencies.txt:
    STBA  6:00:00-22:00:00 every 1800 s: runs leave at 6:00, 6:30, ... 21:30 (22:00 excluded),
          so the shuttle is at BEATTY_AIRPORT at x:20 and x:50 from 6:20 to 21:50
    CITY1 and CITY2: 6:00-7:59:59 every 1800 s, 8:00-9:59:59 every 600 s,
          10:00-15:59:59 every 1800 s, ... ; at NADAV CITY1 arrives 6:12 / leaves 6:14 in a trip
          leaving 6:00, CITY2 arrives 6:42 / leaves 6:44 in a trip leaving EMSI at 6:30: both
          arrive 12 minutes and leave 14 minutes after their run starts.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from google.transit import gtfs_realtime_pb2

from services.traffic.domain.realtime import parse_realtime
from services.traffic.domain.schedule import (
    Delay,
    ServiceCalendar,
    ServiceException,
    StopCall,
    TripInfo,
    active_services,
    resolve_delays,
    service_datetime,
    upcoming_arrivals,
)

LA = ZoneInfo("America/Los_Angeles")


def _seen(arrivals):
    return [
        (a.trip_id, a.scheduled.isoformat(), a.expected.isoformat(), a.delay_s) for a in arrivals
    ]


def _times(arrivals):
    return [(a.trip_id, a.scheduled.strftime("%m-%d %H:%M")) for a in arrivals]


def test_active_services_honour_weekdays_ranges_and_exceptions(timetable):
    stop = timetable("BEATTY_AIRPORT")
    calendars, exceptions = stop["calendars"], stop["exceptions"]
    assert active_services(dt.date(2007, 6, 9), calendars, exceptions) == {"FULLW", "WE"}  # Sat
    assert active_services(dt.date(2007, 6, 11), calendars, exceptions) == {"FULLW"}  # Mon
    assert active_services(dt.date(2007, 6, 4), calendars, exceptions) == set()  # removed
    assert active_services(dt.date(2011, 1, 1), calendars, exceptions) == set()  # after end


def test_added_date_runs_outside_the_calendar():
    calendars = [ServiceCalendar("WEEKDAY", (True,) * 5 + (False,) * 2, dt.date(2024, 1, 1),
                                 dt.date(2024, 12, 31))]  # fmt: skip
    added = [ServiceException("WEEKDAY", dt.date(2024, 6, 8), 1)]  # a Saturday
    assert active_services(dt.date(2024, 6, 8), calendars, added) == {"WEEKDAY"}
    assert active_services(dt.date(2024, 6, 9), calendars, added) == set()


def test_saturday_mixes_weekend_and_daily_trips_with_the_shuttle_frequency(timetable):
    # Saturday 2007-06-09 10:30: FULLW and WE run. Next: shuttle 10:50, AAMV2 11:00, shuttle
    # 11:20 and 11:50, AB2 12:15, shuttle 12:20.
    arrivals = upcoming_arrivals(
        dt.datetime(2007, 6, 9, 10, 30), limit=6, **timetable("BEATTY_AIRPORT")
    )
    assert _times(arrivals) == [
        ("STBA", "06-09 10:50"),
        ("AAMV2", "06-09 11:00"),
        ("STBA", "06-09 11:20"),
        ("STBA", "06-09 11:50"),
        ("AB2", "06-09 12:15"),
        ("STBA", "06-09 12:20"),
    ]
    first = arrivals[1]
    assert (first.route_id, first.route_short_name, first.headsign) == ("AAMV", "50", "to Airport")
    assert first.to_dict() == {
        "trip_id": "AAMV2",
        "route_id": "AAMV",
        "route_short_name": "50",
        "headsign": "to Airport",
        "scheduled": "2007-06-09T11:00:00",
        "expected": "2007-06-09T11:00:00",
        "delay_s": None,
    }


def test_an_ordinary_monday_has_no_weekend_trips(timetable):
    # Monday 2007-06-11 10:30: FULLW only: shuttle 10:50, 11:20, 11:50, AB2 12:15.
    arrivals = upcoming_arrivals(
        dt.datetime(2007, 6, 11, 10, 30), limit=4, **timetable("BEATTY_AIRPORT")
    )
    assert _times(arrivals) == [
        ("STBA", "06-11 10:50"),
        ("STBA", "06-11 11:20"),
        ("STBA", "06-11 11:50"),
        ("AB2", "06-11 12:15"),
    ]


def test_calendar_dates_removal_leaves_the_day_empty(timetable):
    # Monday 2007-06-04: FULLW removed, WE not on Mondays: nothing until Tuesday's first
    # shuttle at 6:20.
    arrivals = upcoming_arrivals(
        dt.datetime(2007, 6, 4, 10, 30), limit=3, **timetable("BEATTY_AIRPORT")
    )
    assert _times(arrivals) == [
        ("STBA", "06-05 06:20"),
        ("STBA", "06-05 06:50"),
        ("STBA", "06-05 07:20"),
    ]


def test_frequency_runs_end_before_end_time(timetable):
    # The last shuttle run leaves at 21:30 and is at the airport at 21:50; at 21:55 the next
    # one is Wednesday's first, 6:20.
    arrivals = upcoming_arrivals(
        dt.datetime(2007, 6, 5, 21, 55), limit=1, **timetable("BEATTY_AIRPORT")
    )
    assert _times(arrivals) == [("STBA", "06-06 06:20")]


def test_frequency_trips_are_offset_from_their_first_departure(timetable):
    # NADAV 7:05: runs leaving 7:00 and 7:30 arrive 7:12 and 7:42, for CITY1 and CITY2 alike
    # (equal times are ordered by trip id).
    arrivals = upcoming_arrivals(dt.datetime(2007, 6, 5, 7, 5), limit=4, **timetable("NADAV"))
    assert _times(arrivals) == [
        ("CITY1", "06-05 07:12"),
        ("CITY2", "06-05 07:12"),
        ("CITY1", "06-05 07:42"),
        ("CITY2", "06-05 07:42"),
    ]


def test_a_vehicle_still_at_the_stop_is_listed_until_it_leaves(timetable):
    # NADAV 9:53: the runs leaving 9:40 arrive 9:52 and leave 9:54, so they are still there;
    # the 9:50 runs (last of the 8:00-9:59:59 window) arrive at 10:02.
    arrivals = upcoming_arrivals(dt.datetime(2007, 6, 5, 9, 53), limit=3, **timetable("NADAV"))
    assert _times(arrivals) == [
        ("CITY1", "06-05 09:52"),
        ("CITY2", "06-05 09:52"),
        ("CITY1", "06-05 10:02"),
    ]


def test_trips_past_midnight_belong_to_the_previous_service_day():
    # A Monday-only service with a call at 24:10:00: Tuesday 00:10 local.
    monday_only = ServiceCalendar(
        "MON", (True,) + (False,) * 6, dt.date(2007, 1, 1), dt.date(2007, 12, 31)
    )
    trips = {"NIGHT": TripInfo("NIGHT", "N", "MON", "N1", "Night")}
    calls = [StopCall("NIGHT", 5, 24 * 3600 + 600, 24 * 3600 + 600)]
    tuesday = upcoming_arrivals(
        dt.datetime(2007, 6, 12, 0, 5), calls, trips, [monday_only], [], limit=5
    )
    assert _times(tuesday) == [("NIGHT", "06-12 00:10")]
    # Sunday 23:50: the next run is Monday's, at Tuesday 00:10.
    sunday = upcoming_arrivals(
        dt.datetime(2007, 6, 10, 23, 50), calls, trips, [monday_only], [], limit=5
    )
    assert _times(sunday) == [("NIGHT", "06-12 00:10")]
    # Saturday 23:50: only the service days Friday to Sunday are searched: nothing.
    assert (
        upcoming_arrivals(dt.datetime(2007, 6, 9, 23, 50), calls, trips, [monday_only], [], limit=5)
        == []
    )
    # Monday 23:50: the same run, ten minutes after midnight.
    monday = upcoming_arrivals(
        dt.datetime(2007, 6, 11, 23, 50), calls, trips, [monday_only], [], limit=5
    )
    assert _times(monday) == [("NIGHT", "06-12 00:10")]


def test_service_day_starts_at_noon_minus_12_hours_on_dst_days():
    # 2007-03-11, Los Angeles springs forward at 2:00. Noon PDT is 19:00 UTC; minus 12 h is
    # 07:00 UTC = 23:00 PST on the 10th. So 08:00:00 is 15:00 UTC = 08:00 PDT, and 01:00:00
    # is 08:00 UTC = 00:00 PST.
    assert service_datetime(dt.date(2007, 3, 11), 8 * 3600, LA) == dt.datetime(2007, 3, 11, 8)
    assert service_datetime(dt.date(2007, 3, 11), 3600, LA) == dt.datetime(2007, 3, 11, 0)
    # 2007-11-04 falls back: noon PST = 20:00 UTC, minus 12 h = 08:00 UTC = 01:00 PDT, so
    # 08:00:00 is 16:00 UTC = 08:00 PST. Without a zone every day is 24 h.
    assert service_datetime(dt.date(2007, 11, 4), 8 * 3600, LA) == dt.datetime(2007, 11, 4, 8)
    assert service_datetime(dt.date(2007, 3, 11), 3600) == dt.datetime(2007, 3, 11, 1)


# --- Real-time ------------------------------------------------------------------------------


def _feed_message(*entities):
    message = gtfs_realtime_pb2.FeedMessage()
    message.header.gtfs_realtime_version = "2.0"
    message.header.timestamp = 1_181_055_600  # 2007-06-05 08:00 PDT
    for build in entities:
        build(message.entity.add(id=f"e{len(message.entity)}"))
    return message.SerializeToString()


def _ab1_two_minutes_late(entity):
    entity.trip_update.trip.trip_id = "AB1"
    entity.trip_update.trip.start_date = "20070605"
    entity.trip_update.stop_time_update.add(stop_sequence=1).arrival.delay = 120


def test_realtime_delay_applies_to_its_run_and_is_carried_to_later_stops(
    timetable, scheduled_stops
):
    update = parse_realtime(_feed_message(_ab1_two_minutes_late))
    delays = resolve_delays(update.delays, scheduled_stops, LA, update.timestamp)
    assert delays == [Delay("AB1", 1, 120, service_date=dt.date(2007, 6, 5))]

    # At BEATTY_AIRPORT on Tuesday 7:55, AB1 (8:00) is expected at 8:02; the shuttle at 8:20
    # has no prediction.
    at_airport = upcoming_arrivals(
        dt.datetime(2007, 6, 5, 7, 55), delays=delays, limit=2, **timetable("BEATTY_AIRPORT")
    )
    assert _seen(at_airport) == [
        ("AB1", "2007-06-05T08:00:00", "2007-06-05T08:02:00", 120),
        ("STBA", "2007-06-05T08:20:00", "2007-06-05T08:20:00", None),
    ]
    # AB1's next stop BULLFROG (arrives 8:10) has no prediction of its own: the delay carries.
    at_bullfrog = upcoming_arrivals(
        dt.datetime(2007, 6, 5, 8, 0), delays=delays, limit=1, **timetable("BULLFROG")
    )
    assert _seen(at_bullfrog) == [("AB1", "2007-06-05T08:10:00", "2007-06-05T08:12:00", 120)]
    # Wednesday's AB1 is another run: on time as far as anyone knows.
    wednesday = upcoming_arrivals(
        dt.datetime(2007, 6, 6, 7, 55), delays=delays, limit=1, **timetable("BEATTY_AIRPORT")
    )
    assert _seen(wednesday) == [("AB1", "2007-06-06T08:00:00", "2007-06-06T08:00:00", None)]


def test_absolute_times_and_stop_ids_are_matched_to_the_timetable(scheduled_stops):
    # AB1 is due at BULLFROG (its stop_sequence 2) at 8:10 PDT on 2007-06-05 = 15:10 UTC =
    # 1 181 056 200 s since 1970; predicted at 1 181 056 380, i.e. 180 s late. The run has no
    # start date: the message time (8:00 PDT that day) picks 2007-06-05.
    def predicted_by_time(entity):
        entity.trip_update.trip.trip_id = "AB1"
        update = entity.trip_update.stop_time_update.add(stop_id="BULLFROG")
        update.arrival.time = 1_181_056_380

    update = parse_realtime(_feed_message(predicted_by_time))
    assert resolve_delays(update.delays, scheduled_stops, LA, update.timestamp) == [
        Delay("AB1", 2, 180, service_date=dt.date(2007, 6, 5))
    ]


def test_trip_delay_cancellation_skipped_stop_and_unknown_trip(timetable, scheduled_stops):
    def ab2_five_minutes_late(entity):
        entity.trip_update.trip.trip_id = "AB2"
        entity.trip_update.trip.start_date = "20070609"
        entity.trip_update.delay = 300

    def aamv2_cancelled(entity):
        entity.trip_update.trip.trip_id = "AAMV2"
        entity.trip_update.trip.start_date = "20070609"
        relationship = gtfs_realtime_pb2.TripDescriptor.CANCELED
        entity.trip_update.trip.schedule_relationship = relationship

    def shuttle_skips_the_airport(entity):
        entity.trip_update.trip.trip_id = "STBA"
        entity.trip_update.trip.start_date = "20070609"
        entity.trip_update.trip.start_time = "10:30:00"
        stop = entity.trip_update.stop_time_update.add(stop_sequence=2)
        stop.schedule_relationship = gtfs_realtime_pb2.TripUpdate.StopTimeUpdate.SKIPPED

    def unknown_trip(entity):
        entity.trip_update.trip.trip_id = "GHOST"
        entity.trip_update.delay = 60

    update = parse_realtime(
        _feed_message(
            ab2_five_minutes_late, aamv2_cancelled, shuttle_skips_the_airport, unknown_trip
        )
    )
    delays = resolve_delays(update.delays, scheduled_stops, LA, update.timestamp)
    assert len(delays) == 3  # GHOST is not in the timetable

    # Saturday 10:30 without live data: shuttle 10:50, AAMV2 11:00, shuttle 11:20, 11:50,
    # AB2 12:15. Now the 10:30 shuttle run (at the airport 10:50) skips the stop, AAMV2 is
    # cancelled and AB2 comes at 12:20 (300 s late), before the 12:20 shuttle because equal
    # expected times are ordered by the scheduled time.
    arrivals = upcoming_arrivals(
        dt.datetime(2007, 6, 9, 10, 30), delays=delays, limit=4, **timetable("BEATTY_AIRPORT")
    )
    assert _seen(arrivals) == [
        ("STBA", "2007-06-09T11:20:00", "2007-06-09T11:20:00", None),
        ("STBA", "2007-06-09T11:50:00", "2007-06-09T11:50:00", None),
        ("AB2", "2007-06-09T12:15:00", "2007-06-09T12:20:00", 300),
        ("STBA", "2007-06-09T12:20:00", "2007-06-09T12:20:00", None),
    ]
