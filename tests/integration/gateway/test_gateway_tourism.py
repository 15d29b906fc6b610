"""Tourism over real HTTP: the platform, credit and tourism services behind the gateway.

A resident registers; the platform's ``citizen_card_issued`` gives them a resident-tourist
card, which shows under ``/api/v1/me``. The venue office registers venues, the gates push
occupancy and validate codes of their own venue, residents book and never see or cancel
another's tickets, the service centre registers a visitor and books for them.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from gateway_samples import HAN_MEIMEI, LI_LEI, PALACE
from helpers import wait_for

from services.credit.service import CreditService
from services.platform.service import PlatformService
from services.tourism.service import TourismService
from shared.clock import city_today
from smartcity import demo_tourism

TODAY = city_today()
OPERATOR = "91110000600037341L"
NIGHT_MARKET = {
    **PALACE,
    "venue_id": "NIGHT-MARKET",
    "name": "Zhongjie night market",
    "category": "shop",
    "lat": 41.8010,
    "lon": 123.4600,
    "opens_at": "03:00",
    "closes_at": "03:01",
}


@pytest.fixture
def stack(stack_factory, monkeypatch):
    monkeypatch.setenv("TOURISM_TICKET_SECRET", "gateway-tourism-test-secret-0123456789abcdef")
    return stack_factory((PlatformService, CreditService, TourismService))


def test_residents_book_venues_and_gates_admit_their_own_tickets(stack):
    office = stack.client("department", "tourism", scopes=("tourism.venues",))
    palace_gate = stack.client("department", "tourism", scopes=("tourism.gate",), unit="PALACE")
    market_gate = stack.client(
        "department", "tourism", scopes=("tourism.gate",), unit="NIGHT-MARKET"
    )
    li_card, li = stack.resident(LI_LEI)
    _, han = stack.resident(HAN_MEIMEI, name="Han Meimei", phone="13912345678")

    # The citizen-card event gave Li a resident-tourist card; /me lists it.
    def tourist_cards() -> list[dict]:
        me = stack.call("GET", "/api/v1/me", li).json()
        return [c for c in me["linked_cards"] if c["kind"] == "tourist_card"]

    [linked] = wait_for(tourist_cards)
    card = stack.call("GET", "/api/v1/tourism/me", li).json()
    assert card["card_id"] == linked["number"] and card["citizen_card"] == li_card
    again = stack.call("POST", "/api/v1/tourism/me", li).json()
    assert again["card_id"] == card["card_id"]  # at most one

    # Venues: bad input names the field; the office registers; residents may not.
    bad = stack.call("POST", "/api/v1/tourism/venues", office, json={**PALACE, "price": "-1"})
    assert bad.status_code == 400 and "price" in bad.json()["fields"]
    assert stack.call("POST", "/api/v1/tourism/venues", li, json=PALACE).status_code == 403
    for venue in (PALACE, NIGHT_MARKET):
        response = stack.call("POST", "/api/v1/tourism/venues", office, json=venue)
        assert response.status_code == 201, response.text
    pushed = stack.call(
        "PUT", "/api/v1/tourism/venues/PALACE/occupancy", palace_gate, json={"present": 42}
    )
    assert pushed.status_code == 200 and pushed.json()["present"] == 42
    other = stack.call(
        "PUT", "/api/v1/tourism/venues/PALACE/occupancy", market_gate, json={"present": 1}
    )
    assert other.status_code == 404  # another venue's gate: hidden

    near = stack.call(
        "GET", "/api/v1/tourism/venues", params={"lat": 41.797, "lon": 123.451, "radius": 2000}
    ).json()
    assert [v["venue_id"] for v in near["items"]] == ["PALACE", "NIGHT-MARKET"]
    assert near["items"][0]["distance_m"] < near["items"][1]["distance_m"]
    assert near["items"][0]["present"] == 42
    shops = stack.call("GET", "/api/v1/tourism/venues", params={"category": "shop"}).json()
    assert [v["venue_id"] for v in shops["items"]] == ["NIGHT-MARKET"]
    opened = stack.call("GET", "/api/v1/tourism/venues", params={"open_now": "true"}).json()
    assert {v["venue_id"] for v in opened["items"]} == {
        v["venue_id"] for v in near["items"] if v["open_now"]
    }
    bad_query = stack.call("GET", "/api/v1/tourism/venues", params={"lat": 41.8})
    assert bad_query.status_code == 400 and "lon" in bad_query.json()["fields"]

    # Booking: validated, priced, shown with its computation and a QR code.
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    body = {"venue_id": "PALACE", "visit_date": tomorrow, "visitors": 0}
    refused = stack.call("POST", "/api/v1/tourism/me/tickets", li, json=body)
    assert refused.status_code == 400 and "visitors" in refused.json()["fields"]
    wait_for(lambda: stack.call("GET", "/api/v1/tourism/me", han).status_code == 200)
    hans = stack.call("POST", "/api/v1/tourism/me/tickets", han, json={**body, "visitors": 1})
    assert hans.status_code == 201, hans.text
    booked = stack.call("POST", "/api/v1/tourism/me/tickets", li, json={**body, "visitors": 2})
    assert booked.status_code == 201, booked.text
    ticket = booked.json()
    assert ticket["total_price"] == "100.00" and len(ticket["computation"]) == 2
    qr = stack.call("GET", f"/api/v1/tourism/me/tickets/{ticket['ticket_id']}/qr", li)
    assert qr.status_code == 200 and qr.headers["Content-Type"].startswith("image/svg+xml")

    # Another resident never sees or cancels it.
    path = f"/api/v1/tourism/me/tickets/{ticket['ticket_id']}"
    assert stack.call("GET", f"{path}/qr", han).status_code == 404
    assert stack.call("POST", f"{path}/cancel", han).status_code == 404
    theirs = stack.call("GET", "/api/v1/tourism/me/tickets", han).json()["items"]
    assert [t["ticket_id"] for t in theirs] == [hans.json()["ticket_id"]]
    mine = stack.call("GET", "/api/v1/tourism/me/tickets", li).json()
    assert [t["ticket_id"] for t in mine["items"]] == [ticket["ticket_id"]]

    # Today's ticket at the gate: other venue 403, admitted once, then 409; forged 400.
    today_body = {"venue_id": "PALACE", "visit_date": TODAY.isoformat(), "visitors": 1}
    today = stack.call("POST", "/api/v1/tourism/me/tickets", li, json=today_body).json()
    scan = {"code": today["code"]}
    wrong = stack.call("POST", "/api/v1/tourism/gate/validations", market_gate, json=scan)
    assert wrong.status_code == 403 and "code" in wrong.json()["fields"]
    admitted = stack.call("POST", "/api/v1/tourism/gate/validations", palace_gate, json=scan)
    assert admitted.status_code == 200 and admitted.json()["ticket_id"] == today["ticket_id"]
    admission = admitted.headers["X-Request-Id"]

    def admission_logged() -> list[dict]:
        log = stack.call("GET", "/api/v1/me/access-log", li, params={"limit": 200}).json()
        return [e for e in log["items"] if e["request_id"] == admission]

    [entry] = wait_for(admission_logged)
    assert (entry["resource"], entry["purpose"]) == ("tourist_ticket", "gate_admission")
    reused = stack.call("POST", "/api/v1/tourism/gate/validations", palace_gate, json=scan)
    assert reused.status_code == 409 and "already used" in reused.json()["message"]
    forged = stack.call(
        "POST", "/api/v1/tourism/gate/validations", palace_gate, json={"code": today["code"][:-3]}
    )
    assert forged.status_code == 400 and "code" in forged.json()["fields"]

    # Cancel tomorrow's ticket; the statistics count what is left.
    assert stack.call("POST", f"{path}/cancel", li).json()["status"] == "cancelled"
    stats = stack.call(
        "GET",
        "/api/v1/tourism/statistics",
        office,
        params={"from": TODAY.isoformat(), "to": tomorrow},
    ).json()
    assert stats["days"] == [
        {
            "venue_id": "PALACE",
            "visit_date": TODAY.isoformat(),
            "visitors_booked": 1,
            "visitors_entered": 1,
            "sales": "50.00",
        },
        {
            "venue_id": "PALACE",
            "visit_date": tomorrow,
            "visitors_booked": 1,
            "visitors_entered": 0,
            "sales": "50.00",
        },
    ]


def test_the_service_centre_registers_visitors_and_books_for_them(stack):
    office = stack.client("department", "tourism", scopes=("tourism.venues",))
    desk = stack.client("department", "tourism", scopes=("tourism.visitors",))
    assert stack.call("POST", "/api/v1/tourism/venues", office, json=PALACE).status_code == 201
    expires = (TODAY + timedelta(days=7)).isoformat()
    visitor = {
        "name": "Anna Schmidt",
        "document_type": "passport",
        "document_number": "c01x00t47",
        "expires_on": expires,
    }
    bad_id = {**visitor, "document_type": "id_number", "document_number": "210102199003071234"}
    refused = stack.call("POST", "/api/v1/tourism/visitors", desk, json=bad_id)
    assert refused.status_code == 400 and "document_number" in refused.json()["fields"]
    created = stack.call("POST", "/api/v1/tourism/visitors", desk, json=visitor)
    assert created.status_code == 201, created.text
    card = created.json()
    assert (card["kind"], card["expires_on"], card["citizen_card"]) == ("visitor", expires, None)
    renewed = stack.call("POST", "/api/v1/tourism/visitors", desk, json=visitor)
    assert renewed.status_code == 200 and renewed.json()["card_id"] == card["card_id"]

    book = f"/api/v1/tourism/visitors/{card['card_id']}/tickets"
    late = (TODAY + timedelta(days=8)).isoformat()
    after_expiry = stack.call(
        "POST", book, desk, json={"venue_id": "PALACE", "visit_date": late, "visitors": 1}
    )
    assert after_expiry.status_code == 400 and "visit_date" in after_expiry.json()["fields"]
    ticket = stack.call(
        "POST", book, desk, json={"venue_id": "PALACE", "visit_date": expires, "visitors": 1}
    )
    assert ticket.status_code == 201 and ticket.json()["total_price"] == "50.00"
    assert stack.call("POST", book, office, json={}).status_code == 403

    # The demo data loads over the same API, and loading it twice is harmless.
    keys = {
        name: stack.client(role, department, tuple(scopes), unit)
        for name, (role, department, scopes, unit) in demo_tourism.CLIENTS.items()
    }
    first, second = (demo_tourism.load(stack.url, keys, []) for _ in range(2))
    assert first == second
    listed = stack.call("GET", "/api/v1/tourism/venues", params={"limit": 200}).json()
    demo = {v["venue_id"]: v for v in listed["items"] if v["venue_id"].startswith("DEMO-")}
    assert set(demo) == {venue["venue_id"] for venue in demo_tourism.VENUES}
    assert demo["DEMO-PALACE"]["present"] == 420
