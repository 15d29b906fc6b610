"""The tourism contracts refuse bad input naming the field; prices always add up."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.tourism.domain.benefits import BenefitState
from services.tourism.domain.pricing import quote
from shared.contracts.common import load
from shared.contracts.tourism import (
    TicketBookingIn,
    TourismStatsQuery,
    VenueIn,
    VenueSearchQuery,
    VisitorCardIn,
)
from shared.errors import ValidationFailed

VENUE = {
    "venue_id": "PALACE",
    "name": "Mukden Palace",
    "category": "scenic_spot",
    "lat": 41.7968,
    "lon": 123.451,
    "opens_at": "08:30",
    "closes_at": "17:00",
    "daily_capacity": 100,
    "price": "50.00",
    "operator_credit_code": "91110000600037341L",
}


def refused(schema, data) -> dict:
    with pytest.raises(ValidationFailed) as error:
        load(schema, data)
    return error.value.fields


@pytest.mark.parametrize(
    ("schema", "data", "field"),
    [
        (VenueIn, {**VENUE, "closes_at": "08:30"}, "closes_at"),
        (VenueIn, {**VENUE, "opens_at": "25:00"}, "opens_at"),
        (VenueIn, {**VENUE, "price": "1.005"}, "price"),
        (VenueIn, {**VENUE, "category": "casino"}, "category"),
        (VenueIn, {**VENUE, "venue_id": "a/b"}, "venue_id"),
        (VenueIn, {**VENUE, "operator_credit_code": "91110000600037341X"}, "operator_credit_code"),
        (VenueSearchQuery, {"lat": 41.8}, "lon"),
        (
            TicketBookingIn,
            {"venue_id": "P", "visit_date": "2026-12-24", "visitors": 21},
            "visitors",
        ),
        (TourismStatsQuery, {"from": "2026-12-24", "to": "2026-12-01"}, "to"),
        (
            VisitorCardIn,
            {
                "name": "A",
                "document_type": "visa",
                "document_number": "X",
                "expires_on": "2027-01-01",
            },
            "document_type",
        ),
    ],
)
def test_bad_input_names_the_field(schema, data, field):
    assert field in refused(schema, data)


def test_a_good_venue_loads():
    loaded = load(VenueIn, VENUE)
    assert (loaded["opens_at"], loaded["price"]) == (dt.time(8, 30), Decimal("50.00"))


@given(
    price=st.decimals(min_value=0, max_value=100_000, places=2),
    visitors=st.integers(min_value=1, max_value=20),
    kind=st.sampled_from([None, "student", "disability"]),
)
def test_the_lines_of_a_price_add_up_to_its_total(price, visitors, kind):
    day = dt.date(2026, 12, 24)
    benefits = [BenefitState(kind, True, None, "reason", 1)] if kind else []
    result = quote(price, visitors, benefits, day)
    assert sum(Decimal(line["amount"]) for line in result.lines) == result.total
    assert sum(line["visitors"] for line in result.lines) == visitors
    assert Decimal(0) <= result.total <= price * visitors
