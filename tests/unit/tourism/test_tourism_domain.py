"""The pure tourism rules: benefit steps in any order, prices, opening hours, ticket codes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from services.tourism.domain import ticket_codes
from services.tourism.domain.benefits import BenefitState, best_on, newer
from services.tourism.domain.opening import is_open
from services.tourism.domain.pricing import quote

DAY = dt.date(2026, 12, 24)
SECRET = "unit-test-secret-of-at-least-32-characters"


def state(kind: str, active: bool = True, until: dt.date | None = DAY, sequence: int = 1):
    return BenefitState(kind, active, until, f"{kind} reason", sequence)


def test_only_a_newer_step_changes_a_benefit():
    revoked = state("student", active=False, sequence=2)
    assert newer(None, 1)
    assert not newer(revoked, 1)  # the issue that arrives after its revocation
    assert not newer(revoked, 2)  # a redelivery
    assert newer(revoked, 3)


def test_the_best_benefit_valid_on_the_day_prices_the_holders_entry_only():
    benefits = [state("student"), state("disability", until=DAY - dt.timedelta(days=1))]
    assert best_on(benefits, DAY).kind == "student"  # the certificate ended the day before
    price = quote(Decimal("80.00"), 3, benefits, DAY)
    assert (price.total, price.benefit) == (Decimal("200.00"), "student")
    assert [
        (line["visitors"], line["discount_percent"], line["amount"]) for line in price.lines
    ] == [
        (1, 50, "40.00"),
        (2, 0, "160.00"),
    ]
    free = quote(Decimal("80.00"), 1, [state("student"), state("disability")], DAY)
    assert (free.total, free.benefit) == (Decimal("0.00"), "disability")
    inactive = quote(Decimal("33.33"), 1, [state("student", active=False)], DAY)
    assert (inactive.total, inactive.benefit, len(inactive.lines)) == (Decimal("33.33"), None, 1)


@pytest.mark.parametrize(
    ("opens", "closes", "now", "expected"),
    [
        ("08:30", "17:00", "08:30", True),
        ("08:30", "17:00", "17:00", False),
        ("08:30", "17:00", "03:00", False),
        ("18:00", "02:00", "23:30", True),  # a night market, open past midnight
        ("18:00", "02:00", "01:59", True),
        ("18:00", "02:00", "12:00", False),
    ],
)
def test_opening_hours_in_local_time(opens, closes, now, expected):
    t = dt.time.fromisoformat
    assert is_open(t(opens), t(closes), t(now)) is expected


def test_ticket_codes_round_trip_and_refuse_forgeries():
    claims = ticket_codes.TicketClaims("0b7c3f1e-0000-4000-8000-000000000001", "PALACE", DAY)
    code = ticket_codes.sign(claims, SECRET)
    assert ticket_codes.read(code, SECRET) == claims
    assert ticket_codes.sign(claims, SECRET) == code  # the ticket shows one code
    with pytest.raises(ticket_codes.CodeRefused, match="signature"):
        ticket_codes.read(ticket_codes.sign(claims, "another-secret-of-at-least-32-chars!"), SECRET)
    header, _payload, signature = code.split(".")
    other = ticket_codes.sign(ticket_codes.TicketClaims(claims.ticket_id, "MUSEUM", DAY), SECRET)
    with pytest.raises(ticket_codes.CodeRefused):  # another venue's payload, our signature
        ticket_codes.read(f"{header}.{other.split('.')[1]}.{signature}", SECRET)
    with pytest.raises(ticket_codes.CodeRefused, match="not a ticket code"):
        ticket_codes.read("garbage", SECRET)
