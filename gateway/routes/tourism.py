"""Tourism: the resident-tourist card, venues, e-tickets and the gates.

Who books for whom: a resident books on their own resident-tourist card with their access
token (the card is found by the citizen card the token names). A visitor without a citizen
card has no login: the tourism service centre's desk (a department client with scope
``tourism.visitors``) registers the visitor's passport or ID number and books on the visitor
card it issued. A venue gate is a department client with scope ``tourism.gate`` whose ``unit``
is its venue id: it pushes occupancy and validates codes of its own venue only.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from gateway.access import PUBLIC, RESIDENT, Department
from gateway.cache import VENUES, Cacheable, next_minute
from gateway.http import Call, api
from shared.contracts import tourism as contract
from shared.contracts.common import Page

TAGS = ("tourism",)
VENUE_OFFICE = Department(contract.VENUES_SCOPE, contract.TOURISM_DEPARTMENT)
GATE = Department(contract.GATE_SCOPE, contract.TOURISM_DEPARTMENT)
SERVICE_CENTRE = Department(contract.VISITORS_SCOPE, contract.TOURISM_DEPARTMENT)
VENUE_READ = Cacheable(tags=(VENUES,), expires=next_minute)
"""Emptied by ``tourism.venue_occupancy_changed``; ``open_now`` changes on the minute."""


class TourismRoutes:
    # --- cards --------------------------------------------------------------------------

    @api(
        "POST",
        "/api/v1/tourism/me",
        access=RESIDENT,
        personal_data=True,
        tags=TAGS,
        response=contract.TouristCard,
        summary="Get my resident-tourist card (issued now if I have none; at most one)",
    )
    def tourism_request_card(self, call: Call) -> dict[str, Any]:
        return self.services.tourism.request_card(call.principal.id)

    @api(
        "GET",
        "/api/v1/tourism/me",
        access=RESIDENT,
        personal_data=True,
        tags=TAGS,
        response=contract.TouristCard,
        summary="My resident-tourist card with its benefits (source, validity, reason)",
    )
    def tourism_my_card(self, call: Call) -> dict[str, Any]:
        return self.services.tourism.my_card(call.principal.id)

    @api(
        "POST",
        "/api/v1/tourism/visitors",
        access=SERVICE_CENTRE,
        tags=TAGS,
        status=201,
        body=contract.VisitorCardIn,
        response=contract.TouristCard,
        summary="Register a visitor (passport or ID number) for a visitor card with an expiry "
        "date (201; 200 renewing the card of a document registered before)",
    )
    def tourism_register_visitor(self, call: Call) -> tuple[int, dict[str, Any]]:
        body = contract.VisitorCardIn().dump(call.body)
        result = self.services.tourism.register_visitor(call.principal.department, body)
        return (201 if result["created"] else 200), result["card"]

    @api(
        "POST",
        "/api/v1/tourism/visitors/<visitor_id>/tickets",
        access=SERVICE_CENTRE,
        tags=TAGS,
        status=201,
        body=contract.TicketBookingIn,
        response=contract.TouristTicket,
        summary="Book for a visitor on their visitor card (visitor_id: its card_id; 409 when "
        "sold out)",
    )
    def tourism_book_for_visitor(self, call: Call) -> dict[str, Any]:
        body = contract.TicketBookingIn().dump(call.body)
        return self.services.tourism.book_for_visitor(call.path["visitor_id"], body)

    # --- venues -------------------------------------------------------------------------

    @api(
        "POST",
        "/api/v1/tourism/venues",
        access=VENUE_OFFICE,
        tags=TAGS,
        status=201,
        body=contract.VenueIn,
        response=contract.Venue,
        summary="Register a venue; its operator is checked with credit (flagged if black-listed)",
    )
    def tourism_add_venue(self, call: Call) -> dict[str, Any]:
        body = contract.VenueIn().dump(call.body)
        return self.services.tourism.add_venue(call.principal.department, body)

    @api(
        "GET",
        "/api/v1/tourism/venues",
        access=PUBLIC,
        tags=TAGS,
        query=contract.VenueSearchQuery,
        response=contract.VenuePage,
        summary="Venues near a point, by category, open now, with live occupancy",
        cache=VENUE_READ,
    )
    def tourism_search_venues(self, call: Call) -> dict[str, Any]:
        return self.services.tourism.search_venues(contract.VenueSearchQuery().dump(call.query))

    @api(
        "GET",
        "/api/v1/tourism/venues/<venue_id>",
        access=PUBLIC,
        tags=TAGS,
        response=contract.Venue,
        summary="One venue with its live occupancy and credit flag",
        cache=VENUE_READ,
    )
    def tourism_venue(self, call: Call) -> dict[str, Any]:
        return self.services.tourism.venue(call.path["venue_id"])

    @api(
        "PUT",
        "/api/v1/tourism/venues/<venue_id>/occupancy",
        access=GATE,
        tags=TAGS,
        body=contract.VenuePresenceIn,
        response=contract.Venue,
        summary="The gate's count of people inside its venue now (another venue is 404)",
    )
    def tourism_record_presence(self, call: Call) -> dict[str, Any]:
        return self.services.tourism.record_presence(
            call.path["venue_id"], call.principal.unit, call.body["present"]
        )

    # --- tickets ------------------------------------------------------------------------

    @api(
        "POST",
        "/api/v1/tourism/me/tickets",
        access=RESIDENT,
        personal_data=True,
        tags=TAGS,
        status=201,
        body=contract.TicketBookingIn,
        response=contract.TouristTicket,
        summary="Book a venue for a day on my card, priced with my benefits (409 sold out, "
        "422 without a card)",
    )
    def tourism_book(self, call: Call) -> dict[str, Any]:
        body = contract.TicketBookingIn().dump(call.body)
        return self.services.tourism.book(call.principal.id, body)

    @api(
        "GET",
        "/api/v1/tourism/me/tickets",
        access=RESIDENT,
        personal_data=True,
        tags=TAGS,
        query=Page,
        response=contract.TouristTicketPage,
        summary="My tickets, latest visit first",
    )
    def tourism_my_tickets(self, call: Call) -> dict[str, Any]:
        return self.services.tourism.my_tickets(
            call.principal.id, call.query["limit"], call.query["offset"]
        )

    @api(
        "GET",
        "/api/v1/tourism/me/tickets/<ticket_id>/qr",
        access=RESIDENT,
        personal_data=True,
        tags=TAGS,
        summary="My ticket's one-time code as an SVG QR code (another's ticket is 404)",
    )
    def tourism_ticket_qr(self, call: Call) -> Response:
        svg = self.services.tourism.my_ticket_qr(call.principal.id, call.path["ticket_id"])
        return Response(svg, mimetype="image/svg+xml")

    @api(
        "POST",
        "/api/v1/tourism/me/tickets/<ticket_id>/cancel",
        access=RESIDENT,
        personal_data=True,
        tags=TAGS,
        response=contract.TouristTicket,
        summary="Cancel my ticket before its visit date (409 on or after it; another's is 404)",
    )
    def tourism_cancel_ticket(self, call: Call) -> dict[str, Any]:
        return self.services.tourism.cancel_ticket(call.principal.id, call.path["ticket_id"])

    @api(
        "POST",
        "/api/v1/tourism/gate/validations",
        access=GATE,
        tags=TAGS,
        body=contract.TicketGateValidationIn,
        response=contract.TicketGateValidation,
        summary="Admit a ticket at our gate, once: 400 forged or malformed code, 403 another "
        "venue's ticket, 409 used, cancelled or another day's",
    )
    def tourism_validate_ticket(self, call: Call) -> dict[str, Any]:
        return self.services.tourism.validate_ticket(call.principal.unit, call.body["code"])

    @api(
        "GET",
        "/api/v1/tourism/statistics",
        access=VENUE_OFFICE,
        tags=TAGS,
        query=contract.TourismStatsQuery,
        response=contract.TourismStatistics,
        summary="Visitors per venue per day, sales and benefit usage over visit dates",
    )
    def tourism_statistics(self, call: Call) -> dict[str, Any]:
        query = call.query
        return self.services.tourism.statistics(
            call.principal.department,
            query["date_from"].isoformat(),
            query["date_to"].isoformat(),
        )
