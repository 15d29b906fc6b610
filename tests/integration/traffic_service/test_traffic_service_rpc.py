"""The traffic service over RPC: transit questions on the sample feed, live data, parking,
reservations and the no-show sweep, with the events each change publishes."""

import base64
import datetime as dt

import pytest
from helpers import wait_for
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from traffic_service_support import (
    LOT_LAT,
    LOT_LON,
    TUESDAY_0755,
    lot_payload,
    realtime_message,
    utc_iso,
)

from services.traffic import parking
from services.traffic.models import Reservation, Stop
from shared.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shared.identity import make_card_number
from shared.outbox import OutboxRelay, outbox_table

CARD = make_card_number(1)
OTHER_CARD = make_card_number(2)
HOUR = dt.timedelta(hours=1)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def test_transit_questions_on_the_sample_feed(sample_feed, traffic):
    rpc = traffic.rpc
    # Distances from (36.91, -116.76) are worked out in tests/integration/traffic: EMSI 516.2 m,
    # NANAA 565.1 m, then DADAN, NADAV and STAGECOACH.
    nearest = rpc.stops_near(36.91, -116.76, 1000, 2)
    assert [(s["stop_id"], s["distance_m"]) for s in nearest["items"]] == [
        ("EMSI", pytest.approx(516.2, abs=0.2)),
        ("NANAA", pytest.approx(565.1, abs=0.2)),
    ]
    assert rpc.stop_detail("EMSI")["routes"] == [
        {"route_id": "CITY", "short_name": "40", "long_name": "City"}
    ]
    # Saturday 10:30 at the airport: the 10:50 shuttle, then the weekend AAMV2 at 11:00.
    saturday = rpc.arrivals("BEATTY_AIRPORT", "2007-06-09T10:30:00", 2)
    assert [(a["trip_id"], a["scheduled"], a["delay_s"]) for a in saturday["items"]] == [
        ("STBA", "2007-06-09T10:50:00", None),
        ("AAMV2", "2007-06-09T11:00:00", None),
    ]
    # The same moment with an offset: 17:30 UTC is 10:30 PDT.
    assert (
        rpc.arrivals("BEATTY_AIRPORT", "2007-06-09T17:30:00+00:00", 1)["items"][0]["scheduled"]
        == "2007-06-09T10:50:00"
    )
    assert [r["route_id"] for r in rpc.routes()["items"]] == ["AB", "BFC", "STBA", "CITY", "AAMV"]
    assert [s["stop_id"] for s in rpc.route_stops("CITY")["items"]] == [
        "STAGECOACH",
        "NANAA",
        "NADAV",
        "DADAN",
        "EMSI",
    ]
    # 662.5 m to EMSI at 1.3 m/s: 509.6 s, 9 minutes rounded up (see tests/integration/traffic).
    walk = rpc.walk(36.9, -116.76, "EMSI")
    assert (walk["minutes"], walk["stop"]["stop_id"]) == (9, "EMSI")
    assert walk["distance_m"] == pytest.approx(662.5, abs=0.2)


def test_errors_cross_rpc_with_their_class_and_field(sample_feed, traffic):
    rpc = traffic.rpc
    with pytest.raises(NotFound):
        rpc.stop_detail("NOWHERE")
    with pytest.raises(ValidationFailed) as caught:
        rpc.stops_near(95, 0, 100)
    assert list(caught.value.fields) == ["lat"]
    with pytest.raises(ValidationFailed) as caught:
        rpc.arrivals("BEATTY_AIRPORT", "10:30")
    assert list(caught.value.fields) == ["at"]
    with pytest.raises(ValidationFailed) as caught:
        rpc.push_realtime("not base64!")
    assert list(caught.value.fields) == ["feed_message"]


def test_a_pushed_delay_moves_expected_and_a_new_alert_is_announced_once(
    sample_feed, traffic, event_tap
):
    alerts = event_tap("traffic.service_alert_published")
    before = traffic.rpc.arrivals("BEATTY_AIRPORT", TUESDAY_0755, 1)["items"]
    assert [(a["trip_id"], a["expected"], a["delay_s"]) for a in before] == [
        ("AB1", "2007-06-05T08:00:00", None)
    ]
    message = realtime_message(delays={"AB1": 120}, alerts={"works": "Road works at Bullfrog"})

    counts = traffic.rpc.push_realtime(base64.b64encode(message).decode())

    assert counts == {"delays": 1, "ignored": 0, "alerts": 1}
    # AB1 leaves the airport at 8:00 by the timetable; 120 s late it leaves at 8:02.
    (after,) = traffic.rpc.arrivals("BEATTY_AIRPORT", TUESDAY_0755, 1)["items"]
    assert (after["scheduled"], after["expected"], after["delay_s"]) == (
        "2007-06-05T08:00:00",
        "2007-06-05T08:02:00",
        120,
    )
    envelope = alerts.next()
    assert (envelope["type"], envelope["source"]) == ("traffic.service_alert_published", "traffic")
    # Active from POSIX 1 181 000 000 to 1 181 100 000 (UTC).
    assert envelope["data"] == {
        "alert_id": "works",
        "header": "Road works at Bullfrog",
        "description": "",
        "route_ids": [],
        "stop_ids": ["BULLFROG"],
        "active_from": "2007-06-04T23:33:20+00:00",
        "active_until": "2007-06-06T03:20:00+00:00",
    }
    # A full dataset repeats the alerts in force: the same alert is not announced again.
    traffic.rpc.push_realtime(base64.b64encode(message).decode())
    assert alerts.rest() == []


def test_lots_occupancy_and_its_event(traffic, event_tap):
    occupancy = event_tap("traffic.parking_occupancy_changed")
    lot = traffic.rpc.add_lot("traffic", lot_payload("P1", 50, price_per_hour="3.5"))
    assert lot == {
        **lot_payload("P1", 50),
        "price_per_hour": "3.50",
        "department": "traffic",
        "district": None,
    }
    with pytest.raises(Conflict):
        traffic.rpc.add_lot("traffic", lot_payload("P1", 10))
    with pytest.raises(ValidationFailed) as caught:
        traffic.rpc.add_lot("traffic", lot_payload("P2", 10, price_per_hour="2.505"))
    assert list(caught.value.fields) == ["price_per_hour"]

    status = traffic.rpc.record_occupancy("traffic", "P1", 12)

    assert (status["occupied"], status["free_spaces"]) == (12, 38)  # 50 - 12, none reserved
    envelope = occupancy.next()
    assert envelope["subject"] == "P1"
    assert envelope["data"] == {
        "lot_id": "P1",
        "capacity": 50,
        "occupied": 12,
        "free_spaces": 38,
        "observed_at": status["observed_at"],
    }
    (near,) = traffic.rpc.lots_near(LOT_LAT, LOT_LON, 500)["items"]
    assert (near["lot_id"], near["distance_m"], near["free_spaces"]) == ("P1", 0.0, 38)
    with pytest.raises(ValidationFailed) as caught:
        traffic.rpc.record_occupancy("traffic", "P1", 51)
    assert list(caught.value.fields) == ["occupied"]


def test_a_resident_reserves_lists_and_cancels_only_their_own(traffic, event_tap):
    events = event_tap("traffic.parking_reserved", "traffic.personal_data_accessed")
    traffic.rpc.add_lot("traffic", lot_payload("P1", 5))
    starts, ends = _utcnow() + HOUR, _utcnow() + 2 * HOUR
    # What the gateway sends with a resident's call (nameko drops its null department).
    resident = {"actor": CARD, "actor_role": "resident"}
    with ClusterRpcProxy(traffic.config, context_data=resident, timeout=15) as cluster:
        booked = cluster.traffic.reserve(CARD, "P1", utc_iso(starts), utc_iso(ends))

        assert {key: booked[key] for key in ("lot_id", "card_number", "status")} == {
            "lot_id": "P1",
            "card_number": CARD,
            "status": "reserved",
        }
        assert (booked["starts_at"], booked["ends_at"]) == (utc_iso(starts), utc_iso(ends))
        reserved = events.next()
        assert (reserved["type"], reserved["subject"]) == ("traffic.parking_reserved", CARD)
        assert reserved["data"] == {
            key: booked[key]
            for key in ("reservation_id", "lot_id", "card_number", "starts_at", "ends_at")
        }
        audit = events.next()
        assert audit["type"] == "traffic.personal_data_accessed"
        assert audit["data"] == {
            "actor": CARD,
            "actor_role": "resident",
            "department": None,
            "subject": CARD,
            "action": "write",
            "resource": "parking_reservation",
            "purpose": "parking",
        }
        assert cluster.traffic.my_reservations(CARD) == {"items": [booked]}

    key = booked["reservation_id"]
    assert traffic.rpc.my_reservations(OTHER_CARD) == {"items": []}
    with pytest.raises(Forbidden):
        traffic.rpc.cancel_reservation(OTHER_CARD, key)
    with pytest.raises(Forbidden):
        traffic.rpc.check_in(OTHER_CARD, key)
    with pytest.raises(Conflict):  # an hour early: check-in opens 15 minutes before the start
        traffic.rpc.check_in(CARD, key)
    assert traffic.rpc.cancel_reservation(CARD, key)["status"] == "cancelled"


def test_the_last_space_goes_to_one_of_two_concurrent_reservations(traffic):
    traffic.rpc.add_lot("traffic", lot_payload("LAST", 1))
    window = (utc_iso(_utcnow() + HOUR), utc_iso(_utcnow() + 2 * HOUR))

    replies = [traffic.rpc.reserve.call_async(card, "LAST", *window) for card in (CARD, OTHER_CARD)]

    outcomes = []
    for reply in replies:
        try:
            outcomes.append(reply.result()["status"])
        except Conflict as error:
            outcomes.append(error.message)
    assert sorted(outcomes) == ["no_free_space", "reserved"]
    with Session(traffic.engine) as session:
        assert session.scalar(select(func.count()).select_from(Reservation)) == 1


SWEEP_AT = dt.datetime(2024, 5, 1, 8, 0)  # a fixed clock (UTC); 16:00 on 1 May in Shenyang


def test_three_no_shows_make_exactly_one_penalty_however_often_the_sweep_runs(traffic, event_tap):
    penalties = event_tap("*.administrative_penalty_issued")
    traffic.rpc.add_lot("traffic", lot_payload("P1", 5))
    with Session(traffic.engine) as session:
        # Reserved (each an hour before its start) and never checked in: CARD three times in
        # the 30 days before SWEEP_AT, OTHER_CARD twice.
        starts = {
            CARD: [SWEEP_AT - 20 * 24 * HOUR, SWEEP_AT - 3 * 24 * HOUR, SWEEP_AT - HOUR],
            OTHER_CARD: [SWEEP_AT - 2 * 24 * HOUR, SWEEP_AT - 2 * HOUR],
        }
        booked = {
            card: [
                parking.reserve(session, "P1", card, start, start + HOUR, start - HOUR)
                for start in card_starts
            ]
            for card, card_starts in starts.items()
        }
        session.commit()

    result = traffic.rpc.sweep_no_shows(utc_iso(SWEEP_AT))

    third = booked[CARD][2]["reservation_id"]
    record_id = f"no-show-{CARD}-{third}"
    assert result == {"marked": 5, "penalties": [record_id]}
    envelope = penalties.next()
    assert (envelope["type"], envelope["subject"]) == (
        "traffic.administrative_penalty_issued",
        CARD,
    )
    assert envelope["data"] == {
        "source_record_id": record_id,
        "subject_type": "individual",
        "subject_id": CARD,
        "subject_name": None,  # the traffic service knows the card, not the name
        "category": "administrative_penalty",
        "severity": "minor",
        "basis": "Shenyang parking reservation rules, no-show",
        "decided_on": "2024-05-01",
        "valid_until": "2025-05-01",
        "summary": "3 reserved parking spaces not taken up within 30 days",
    }

    # Again a minute later and on the real clock: nothing new is a no-show, nothing is sent.
    assert traffic.rpc.sweep_no_shows(utc_iso(SWEEP_AT + dt.timedelta(minutes=1))) == {
        "marked": 0,
        "penalties": [],
    }
    assert traffic.rpc.sweep_no_shows() == {"marked": 0, "penalties": []}
    wait_for(lambda: OutboxRelay(traffic.engine, "unused").pending_count() == 0)
    assert penalties.rest() == []
    with Session(traffic.engine) as session:
        types = session.scalars(select(outbox_table.c.type)).all()
    assert types.count("traffic.administrative_penalty_issued") == 1

    with pytest.raises(ValidationFailed) as caught:  # would mark cars that may still come
        traffic.rpc.sweep_no_shows(utc_iso(_utcnow() + HOUR))
    assert list(caught.value.fields) == ["now"]


def test_parking_by_district_sums_lots_and_their_latest_counts(traffic):
    assert traffic.rpc.parking_by_district()["districts"] == []
    traffic.rpc.add_lot("traffic", lot_payload("H1", 50, district="Heping"))
    traffic.rpc.add_lot("traffic", lot_payload("H2", 30, district="Heping"))
    traffic.rpc.add_lot("traffic", lot_payload("S1", 0, district="Shenhe"))
    traffic.rpc.add_lot("traffic", lot_payload("OLD", 20))  # registered without a district
    with pytest.raises(ValidationFailed) as caught:
        traffic.rpc.add_lot("traffic", lot_payload("X", 5, district="Atlantis"))
    assert list(caught.value.fields) == ["district"]
    traffic.rpc.record_occupancy("traffic", "H1", 10)
    traffic.rpc.record_occupancy("traffic", "H1", 25)  # the latest count is the state
    traffic.rpc.record_occupancy("traffic", "H2", 15)
    traffic.rpc.record_occupancy("traffic", "OLD", 5)

    summary = traffic.rpc.parking_by_district()

    assert dt.datetime.fromisoformat(summary["as_of"]).tzinfo is not None
    assert summary["districts"] == [
        {"district": "Heping", "lots": 2, "capacity": 80, "occupied": 40, "occupancy_rate": 0.5},
        {"district": "Shenhe", "lots": 1, "capacity": 0, "occupied": 0, "occupancy_rate": None},
        {
            "district": "unassigned",
            "lots": 1,
            "capacity": 20,
            "occupied": 5,
            "occupancy_rate": 0.25,
        },
    ]
    lots = traffic.rpc.lots()["items"]
    assert [lot["lot_id"] for lot in lots] == ["H1", "H2", "OLD", "S1"]
    assert (lots[0]["district"], lots[0]["occupied"], lots[0]["free_spaces"]) == ("Heping", 25, 25)


def test_every_boarding_stop_of_the_feed(sample_feed, traffic):
    with Session(traffic.engine) as session:
        boarding = session.scalars(select(Stop.stop_id).where(Stop.location_type == 0)).all()
    stops = traffic.rpc.stops()["items"]
    assert [stop["stop_id"] for stop in stops] == sorted(boarding)
    assert set(stops[0]) == {"stop_id", "name", "lat", "lon"}
