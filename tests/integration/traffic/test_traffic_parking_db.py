"""Parking lots, free spaces and reservations in a real database (services/traffic/parking.py)."""

import datetime as dt
import threading

import pytest
from helpers import lock_waiters, wait_for
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.traffic import parking
from services.traffic.domain import parking as parking_rules
from services.traffic.models import Reservation
from shared.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shared.identity import credit_code_check_char, make_card_number

OPERATOR = "91210100MA0KC1234" + credit_code_check_char("91210100MA0KC1234")
CARD = make_card_number(1)
OTHER_CARD = make_card_number(2)
NOW = dt.datetime(2024, 5, 1, 8, 0)  # naive UTC
HOUR = dt.timedelta(hours=1)
MINUTE = dt.timedelta(minutes=1)
# Shenyang Railway Station square; 300 m north is 300 / 111 195.08 = 0.0026980 degrees.
LAT, LON = 41.7948, 123.3953
METRES_PER_DEGREE = 111_195.08
DEPARTMENT = "traffic"


def _lot(session, lot_id, capacity, lat=LAT, lon=LON, price="3.50"):
    return parking.add_lot(
        session, DEPARTMENT, lot_id, f"Lot {lot_id}", lat, lon, capacity, price, OPERATOR
    )


def test_add_lot_refuses_duplicates(session):
    # Its input is validated by the contract where it enters (tests/unit/traffic).
    lot = _lot(session, "P1", 50)
    assert lot == {
        "lot_id": "P1",
        "name": "Lot P1",
        "lat": LAT,
        "lon": LON,
        "capacity": 50,
        "price_per_hour": "3.50",
        "operator_credit_code": OPERATOR,
        "department": DEPARTMENT,
        "district": None,  # registered without one
    }
    with pytest.raises(Conflict):
        _lot(session, "P1", 10)


def test_only_the_lots_own_department_records_its_occupancy(session):
    _lot(session, "P1", 50)
    with pytest.raises(NotFound):  # as if it did not exist: the lot is not health's
        parking.record_occupancy(session, "health", "P1", 10, NOW)
    assert parking.record_occupancy(session, DEPARTMENT, "P1", 10, NOW)["occupied"] == 10


def test_lots_near_with_live_free_spaces(session):
    _lot(session, "NEAR", 50)
    _lot(session, "NORTH", 20, lat=LAT + 300 / METRES_PER_DEGREE)
    _lot(session, "FAR", 20, lat=LAT + 0.1)  # 11 km away
    at = NOW + 45 * MINUTE
    parking.record_occupancy(session, DEPARTMENT, "NEAR", 40, NOW)
    parking.record_occupancy(session, DEPARTMENT, "NEAR", 45, NOW + 30 * MINUTE)
    parking.record_occupancy(session, DEPARTMENT, "NEAR", 50, NOW + 60 * MINUTE)  # after ``at``
    held = parking.reserve(session, "NEAR", CARD, NOW + 40 * MINUTE, NOW + 3 * HOUR, NOW)
    arrived = parking.reserve(session, "NEAR", OTHER_CARD, NOW + 30 * MINUTE, NOW + 2 * HOUR, NOW)
    parking.check_in(session, arrived["reservation_id"], OTHER_CARD, NOW + 35 * MINUTE)
    session.commit()

    lots = parking.lots_near(session, LAT, LON, 1000, at)
    # NEAR at 8:45: the 8:30 reading says 45 occupied; the car due at 8:40 has not come and
    # holds a space; the checked-in car is among the 45: 50 - 45 - 1 = 4 free.
    # NORTH has no reading: 0 occupied, all 20 free.
    assert [(lot["lot_id"], lot["free_spaces"], lot["occupied"]) for lot in lots] == [
        ("NEAR", 4, 45),
        ("NORTH", 20, 0),
    ]
    assert lots[0]["observed_at"] == "2024-05-01T08:30:00+00:00"
    assert lots[0]["distance_m"] == 0.0
    assert lots[1]["distance_m"] == pytest.approx(300.0, abs=0.1)
    assert lots[1]["observed_at"] is None
    assert held["status"] == "reserved"
    # At 8:56 the reserved car is a no-show (more than 15 minutes late): it holds nothing.
    assert parking.lots_near(session, LAT, LON, 100, NOW + 56 * MINUTE)[0]["free_spaces"] == 5


def test_reserve_until_full(session):
    _lot(session, "SMALL", 2)
    window = (NOW + HOUR, NOW + 3 * HOUR)
    first = parking.reserve(session, "SMALL", CARD, *window, NOW)
    parking.reserve(session, "SMALL", OTHER_CARD, *window, NOW)
    with pytest.raises(Conflict) as caught:
        parking.reserve(session, "SMALL", CARD, NOW + 2 * HOUR, NOW + 4 * HOUR, NOW)
    assert caught.value.message == "no_free_space"
    # Back to back with both is fine, and cancelling frees a space.
    parking.reserve(session, "SMALL", CARD, NOW + 3 * HOUR, NOW + 4 * HOUR, NOW)
    cancelled = parking.cancel_reservation(session, first["reservation_id"], CARD)
    assert cancelled["status"] == "cancelled"
    parking.reserve(session, "SMALL", CARD, NOW + 2 * HOUR, NOW + 3 * HOUR, NOW)
    session.commit()
    active = session.scalar(
        select(func.count()).select_from(Reservation).where(Reservation.status == "reserved")
    )
    assert active == 3


def test_reserve_validates_its_input(session):
    _lot(session, "P", 5)
    with pytest.raises(ValidationFailed) as caught:
        parking.reserve(session, "P", "2101000000000013", NOW + HOUR, NOW + 2 * HOUR, NOW)
    assert list(caught.value.fields) == ["card_number"]
    with pytest.raises(ValidationFailed) as caught:
        parking.reserve(session, "P", CARD, NOW - HOUR, NOW + HOUR, NOW)
    assert list(caught.value.fields) == ["starts_at"]
    with pytest.raises(NotFound):
        parking.reserve(session, "NOPE", CARD, NOW + HOUR, NOW + 2 * HOUR, NOW)


def test_check_in_check_out_and_cancel_rules(session):
    _lot(session, "P", 5)
    booking = parking.reserve(session, "P", CARD, NOW + HOUR, NOW + 2 * HOUR, NOW)
    key = booking["reservation_id"]
    with pytest.raises(Conflict):  # 40 minutes early: before the 15-minute allowance
        parking.check_in(session, key, CARD, NOW + 20 * MINUTE)
    with pytest.raises(Forbidden):  # someone else's reservation
        parking.cancel_reservation(session, key, OTHER_CARD)
    with pytest.raises(Forbidden):
        parking.check_in(session, key, OTHER_CARD, NOW + 50 * MINUTE)
    assert parking.check_in(session, key, CARD, NOW + 50 * MINUTE)["status"] == "checked_in"
    with pytest.raises(Conflict):
        parking.cancel_reservation(session, key, CARD)
    assert parking.check_out(session, key, CARD)["status"] == "completed"
    with pytest.raises(ValidationFailed):
        parking.check_out(session, "not-a-uuid", CARD)
    with pytest.raises(NotFound):
        parking.cancel_reservation(session, "7c4a0d4e-0000-4000-8000-000000000000", CARD)


def test_card_reservations_and_lot_status(session):
    _lot(session, "P", 3)
    early = parking.reserve(session, "P", CARD, NOW + HOUR, NOW + 2 * HOUR, NOW)
    late = parking.reserve(session, "P", CARD, NOW + 5 * HOUR, NOW + 6 * HOUR, NOW)
    parking.reserve(session, "P", OTHER_CARD, NOW + HOUR, NOW + 3 * HOUR, NOW)
    # Latest start first, the other card's reservation not among them.
    assert [r["reservation_id"] for r in parking.card_reservations(session, CARD)] == [
        late["reservation_id"],
        early["reservation_id"],
    ]
    parking.record_occupancy(session, DEPARTMENT, "P", 1, NOW + 30 * MINUTE)
    # At 9:10 two reserved cars are due (both start at 9:00, neither has come) and the 8:30
    # reading counts 1 occupied: 3 - 1 - 2 = 0 free.
    status = parking.lot_status(session, "P", NOW + 70 * MINUTE)
    assert (status["occupied"], status["free_spaces"], status["observed_at"]) == (
        1,
        0,
        "2024-05-01T08:30:00+00:00",
    )
    assert status["capacity"] == 3 and "distance_m" not in status
    with pytest.raises(NotFound):
        parking.lot_status(session, "NOPE", NOW)


def test_no_shows_are_marked_and_counted_over_30_days(session):
    _lot(session, "P", 5)
    long_ago = NOW - 40 * 24 * HOUR
    starts = [long_ago, NOW - 20 * 24 * HOUR, NOW - 5 * 24 * HOUR, NOW - HOUR, NOW - 10 * MINUTE]
    for start in starts:
        parking.reserve(session, "P", CARD, start, start + HOUR, start - HOUR)
    marked = parking.mark_no_shows(session, NOW)
    # All but the one that started 10 minutes ago (still within the 15-minute grace).
    assert (
        [m["starts_at"] for m in marked]
        == [  # oldest first, as UTC ISO 8601
            start.replace(tzinfo=dt.UTC).isoformat() for start in starts[:4]
        ]
    )
    # The one 40 days ago is outside the 30-day window: 3 no-shows count.
    count = parking.no_show_count(session, CARD, NOW)
    assert count == 3
    assert parking_rules.repeat_offender(count)
    assert parking.no_show_count(session, OTHER_CARD, NOW) == 0


def test_sweep_names_the_no_show_that_reaches_the_threshold_once(session):
    _lot(session, "P", 5)

    def booking(card, start):
        return parking.reserve(session, "P", card, start, start + HOUR, start - HOUR)

    first = booking(CARD, NOW - 20 * 24 * HOUR)
    other = booking(OTHER_CARD, NOW - 6 * 24 * HOUR)
    second = booking(CARD, NOW - 5 * 24 * HOUR)
    marked, offenders = parking.sweep_no_shows(session, NOW - 4 * 24 * HOUR)
    # Two no-shows of CARD and one of OTHER_CARD, oldest first: nobody at 3 yet.
    assert [m["reservation_id"] for m in marked] == [
        first["reservation_id"],
        other["reservation_id"],
        second["reservation_id"],
    ]
    assert offenders == []

    third = booking(CARD, NOW - HOUR)
    fourth = booking(CARD, NOW - 50 * MINUTE)
    marked, offenders = parking.sweep_no_shows(session, NOW)
    # CARD had 2; the third makes 3 (the threshold), the fourth 4: one offence, by the third.
    assert [m["reservation_id"] for m in marked] == [
        third["reservation_id"],
        fourth["reservation_id"],
    ]
    assert offenders == [parking_rules.RepeatNoShows(CARD, third["reservation_id"], 4)]
    session.commit()

    assert parking.sweep_no_shows(session, NOW + MINUTE) == ([], [])


def test_sweeps_take_turns(traffic_engine, session):
    _lot(session, "P", 5)
    for start in (NOW - 3 * HOUR, NOW - 2 * HOUR, NOW - HOUR):
        parking.reserve(session, "P", CARD, start, start + HOUR, start - HOUR)
    session.commit()
    second_result = []

    with Session(traffic_engine) as first:
        marked, offenders = parking.sweep_no_shows(first, NOW)
        assert (len(marked), len(offenders)) == (3, 1)

        def second_sweep() -> None:
            with Session(traffic_engine) as second:
                second_result.append(parking.sweep_no_shows(second, NOW))
                second.commit()

        waiting = threading.Thread(target=second_sweep)
        waiting.start()
        # Without the turn-taking the second sweep would skip the rows the first has locked
        # and be done at once, finding nothing and so never the crossing.
        wait_for(lambda: lock_waiters(traffic_engine) == 1)
        assert second_result == []
        first.commit()
    waiting.join(timeout=10)
    assert second_result == [([], [])]  # it ran after the first and found nothing new


def test_last_space_goes_to_exactly_one_of_two_concurrent_requests(traffic_engine, session):
    _lot(session, "LAST", 1)
    session.commit()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def request(card: str) -> None:
        with Session(traffic_engine) as own:
            barrier.wait()
            try:
                parking.reserve(own, "LAST", card, NOW + HOUR, NOW + 2 * HOUR, NOW)
                # Hold the lock until the other request waits for it.
                wait_for(lambda: lock_waiters(traffic_engine) == 1)
                own.commit()
                outcomes.append("reserved")
            except Conflict as error:
                outcomes.append(error.message)

    threads = [threading.Thread(target=request, args=(card,)) for card in (CARD, OTHER_CARD)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert sorted(outcomes) == ["no_free_space", "reserved"]
    assert session.scalar(select(func.count()).select_from(Reservation)) == 1
