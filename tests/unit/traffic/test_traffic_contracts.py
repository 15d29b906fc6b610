"""The traffic contract: query strings converted and checked, bodies loaded and dumped for RPC,
responses held to their exact shape (shared/contracts/traffic.py)."""

import datetime as dt
from decimal import Decimal

import pytest
from marshmallow import ValidationError

from services.traffic.handlers import alert_event
from services.traffic.models import ServiceAlert
from shared.contracts import traffic as contract
from shared.contracts.common import load
from shared.errors import ValidationFailed
from shared.identity import credit_code_check_char

OPERATOR = "91210100MA0KC1234" + credit_code_check_char("91210100MA0KC1234")


def test_query_strings_become_numbers_with_defaults():
    assert contract.StopsNearQuery().load({"lat": "41.79", "lon": "123.39"}) == {
        "lat": 41.79,
        "lon": 123.39,
        "radius": 500,
        "limit": 20,
    }
    assert (
        contract.LotsNearQuery().load({"lat": "0", "lon": "0", "radius": "250.5"})["radius"]
        == 250.5
    )
    assert contract.ArrivalsQuery().load({"at": "2007-06-05T07:55:00", "limit": "3"}) == {
        "at": dt.datetime(2007, 6, 5, 7, 55),
        "limit": 3,
    }
    assert contract.ArrivalsQuery().load({}) == {"at": None, "limit": 10}


@pytest.mark.parametrize(
    ("schema", "data", "field"),
    [
        (contract.StopsNearQuery, {"lat": "200", "lon": "0"}, "lat"),
        (contract.StopsNearQuery, {"lat": "0", "lon": "-180.5"}, "lon"),
        (contract.StopsNearQuery, {"lat": "nan", "lon": "0"}, "lat"),
        (contract.StopsNearQuery, {"lat": "0", "lon": "0", "radius": "0"}, "radius"),
        (contract.StopsNearQuery, {"lat": "0", "lon": "0", "radius": 5000.5}, "radius"),
        (contract.LotsNearQuery, {"lat": "0", "lon": "0", "radius": True}, "radius"),
        (contract.LotsNearQuery, {"lat": 0, "lon": None}, "lon"),
        (contract.StopsNearQuery, {"lat": "0", "lon": "0", "limit": 0}, "limit"),
        (contract.StopsNearQuery, {"lat": "0", "lon": "0", "limit": "101"}, "limit"),
        (contract.StopsNearQuery, {"lat": "0", "lon": "0", "radius_m": "5"}, "radius_m"),
        (contract.WalkQuery, {"lat": "0", "lon": "0", "stop_id": ""}, "stop_id"),
        (contract.ArrivalsQuery, {"at": "tomorrow"}, "at"),
    ],
)
def test_bad_query_values_name_the_parameter(schema, data, field):
    with pytest.raises(ValidationError) as caught:
        schema().load(data)
    assert list(caught.value.messages) == [field]


def _lot(**overrides):
    return {
        "lot_id": "P1",
        "name": "Station square",
        "lat": 41.7948,
        "lon": 123.3953,
        "capacity": 50,
        "price_per_hour": 3.5,
        "operator_credit_code": OPERATOR.lower(),
        **overrides,
    }


def test_a_lot_body_is_dumped_json_ready_for_rpc():
    loaded = contract.LotIn().load(_lot())
    assert loaded["price_per_hour"] == Decimal("3.5")
    assert loaded["operator_credit_code"] == OPERATOR  # normalised to upper case
    assert contract.LotIn().dump(loaded) == {
        **_lot(),
        "price_per_hour": "3.5",
        "operator_credit_code": OPERATOR,
    }


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"price_per_hour": 2.505}, "price_per_hour"),
        ({"price_per_hour": -1}, "price_per_hour"),
        ({"capacity": "50"}, "capacity"),  # JSON numbers only
        ({"capacity": -1}, "capacity"),
        ({"operator_credit_code": "123"}, "operator_credit_code"),
        ({"lot_id": "x" * 65}, "lot_id"),
    ],
)
def test_bad_lot_bodies_name_the_field(overrides, field):
    with pytest.raises(ValidationFailed) as caught:
        load(contract.LotIn, _lot(**overrides))
    assert list(caught.value.fields) == [field]


def test_a_reservation_body_keeps_its_offset_for_the_service():
    body = {
        "lot_id": "P1",
        "starts_at": "2024-05-01T17:00:00+08:00",
        "ends_at": "2024-05-01T11:00:00",
    }
    dumped = contract.ReservationIn().dump(contract.ReservationIn().load(body))
    assert dumped == {
        "lot_id": "P1",
        "starts_at": "2024-05-01T17:00:00+08:00",
        "ends_at": "2024-05-01T11:00:00",
    }


def test_response_schemas_refuse_a_missing_or_extra_field():
    reservation = {
        "reservation_id": "0b4bd9d4-59a6-4f5c-9a39-0f7b4e0d1c11",
        "lot_id": "P1",
        "card_number": "2101000000000012",
        "starts_at": "2024-05-01T09:00:00+00:00",
        "ends_at": "2024-05-01T10:00:00+00:00",
        "status": "reserved",
        "created_at": "2024-05-01T08:00:00+00:00",
    }
    assert contract.ReservationsPage().validate({"items": [reservation]}) == {}
    assert contract.Reservation().validate({**reservation, "extra": 1}) == {
        "extra": ["Unknown field."]
    }
    del reservation["status"]
    assert list(contract.Reservation().validate(reservation)) == ["status"]


def test_an_alert_event_spans_its_periods_and_keeps_open_ends_open():
    alert = ServiceAlert(
        alert_id="works",
        header="Road works",
        description="Stop moved 50 m north",
        cause="CONSTRUCTION",
        effect="STOP_MOVED",
        # POSIX 1 181 000 000 is 2007-06-04 23:33:20 UTC; 1 181 100 000 is 2007-06-06 03:20.
        active_periods=[[1_181_050_000, 1_181_100_000], [1_181_000_000, 1_181_060_000]],
        route_ids=["AB"],
        stop_ids=["BULLFROG"],
        trip_ids=[],
    )
    assert alert_event(alert) == {
        "alert_id": "works",
        "header": "Road works",
        "description": "Stop moved 50 m north",
        "route_ids": ["AB"],
        "stop_ids": ["BULLFROG"],
        "active_from": "2007-06-04T23:33:20+00:00",
        "active_until": "2007-06-06T03:20:00+00:00",
    }
    alert.active_periods = [[1_181_000_000, None]]
    assert alert_event(alert)["active_until"] is None
    alert.active_periods = []  # no period: always active
    assert (alert_event(alert)["active_from"], alert_event(alert)["active_until"]) == (None, None)
