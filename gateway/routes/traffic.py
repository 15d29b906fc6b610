"""Traffic: "ride easy" (stops, arrivals, routes, walking to a stop) and "park easy" (lots,
free spaces, reservations). Each route checks its input with ``shared.contracts.traffic`` and
makes one RPC to the traffic service.

Timetable and lot searches are public. Live transit data is pushed by the traffic department
(scope ``traffic.realtime``), which also registers lots (scope ``traffic.parking``). A lot
belongs to the department that registered it, and only that department sends its sensor
counts: to any other, even one holding ``traffic.parking``, the lot does not exist (404, so as
not to reveal it). A resident reserves, lists, cancels and checks in only their own
reservations: the card number is the caller's, never taken from the request.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from gateway.access import PUBLIC, RESIDENT, Department
from gateway.cache import ARRIVALS, MAX_TTL_S, TIMETABLE, Cacheable
from gateway.http import Call, api
from shared.contracts.traffic import (
    MAX_REALTIME_BYTES,
    ArrivalsPage,
    ArrivalsQuery,
    Lot,
    LotIn,
    LotsNearQuery,
    LotsPage,
    LotStatus,
    OccupancyIn,
    RealtimeCounts,
    Reservation,
    ReservationIn,
    ReservationsPage,
    RoutesPage,
    RouteStopsPage,
    StopDetail,
    StopsNearQuery,
    StopsPage,
    Walk,
    WalkQuery,
)

TAGS = ("traffic",)
PROTOBUF = "application/x-protobuf"
REALTIME_SCOPE = "traffic.realtime"
PARKING_SCOPE = "traffic.parking"
TRAFFIC_DEPARTMENT = "traffic"
ARRIVALS_BUCKET_S = 10
"""Arrivals "from now" are kept at most until the end of the clock's current 10 s."""


def arrivals_expiry(call: Call, result: dict[str, Any], now: float) -> float:
    """When a cached arrivals answer may stop being the answer by the clock alone.

    With ``at`` the answer is of a fixed moment: only a new timetable or a real-time update
    (both events) change it. From now, it changes when the first listed vehicle leaves or the
    service days move on at midnight: the service says when (``valid_until``). The entry also
    ends with the current ``ARRIVALS_BUCKET_S`` of the clock, which bounds what a clock skew
    between the gateway and the traffic service could cost.
    """
    if call.query["at"] is not None:
        return now + MAX_TTL_S
    bucket_end = (now // ARRIVALS_BUCKET_S + 1) * ARRIVALS_BUCKET_S
    return min(bucket_end, dt.datetime.fromisoformat(result["valid_until"]).timestamp())


TIMETABLE_READ = Cacheable(tags=(TIMETABLE,))
ARRIVALS_READ = Cacheable(tags=(ARRIVALS,), expires=arrivals_expiry)


class TrafficRoutes:
    # --- ride easy ---------------------------------------------------------------------------

    @api(
        "GET",
        "/api/v1/traffic/stops",
        access=PUBLIC,
        tags=TAGS,
        query=StopsNearQuery,
        response=StopsPage,
        summary="Stops near a point, nearest first",
        cache=TIMETABLE_READ,
    )
    def traffic_stops_near(self, call: Call) -> dict[str, Any]:
        query = call.query
        return self.services.traffic.stops_near(
            query["lat"], query["lon"], query["radius"], query["limit"]
        )

    @api(
        "GET",
        "/api/v1/traffic/stops/<stop_id>",
        access=PUBLIC,
        tags=TAGS,
        response=StopDetail,
        summary="A stop, where it is in plain words, and its routes",
        cache=TIMETABLE_READ,
    )
    def traffic_stop(self, call: Call) -> dict[str, Any]:
        return self.services.traffic.stop_detail(call.path["stop_id"])

    @api(
        "GET",
        "/api/v1/traffic/stops/<stop_id>/arrivals",
        access=PUBLIC,
        tags=TAGS,
        query=ArrivalsQuery,
        response=ArrivalsPage,
        summary="The next vehicles at a stop, with live delays",
        cache=ARRIVALS_READ,
    )
    def traffic_arrivals(self, call: Call) -> dict[str, Any]:
        at = call.query["at"]
        return self.services.traffic.arrivals(
            call.path["stop_id"], at.isoformat() if at else None, call.query["limit"]
        )

    @api(
        "GET",
        "/api/v1/traffic/routes",
        access=PUBLIC,
        tags=TAGS,
        response=RoutesPage,
        summary="Every route of the timetable",
        cache=TIMETABLE_READ,
    )
    def traffic_routes(self, call: Call) -> dict[str, Any]:
        return self.services.traffic.routes()

    @api(
        "GET",
        "/api/v1/traffic/routes/<route_id>/stops",
        access=PUBLIC,
        tags=TAGS,
        response=RouteStopsPage,
        summary="The stops of a route in travel order",
        cache=TIMETABLE_READ,
    )
    def traffic_route_stops(self, call: Call) -> dict[str, Any]:
        return self.services.traffic.route_stops(call.path["route_id"])

    @api(
        "GET",
        "/api/v1/traffic/walk",
        access=PUBLIC,
        tags=TAGS,
        query=WalkQuery,
        response=Walk,
        summary="Walking from a point to a stop: distance, minutes, direction",
        cache=TIMETABLE_READ,
    )
    def traffic_walk(self, call: Call) -> dict[str, Any]:
        query = call.query
        return self.services.traffic.walk(query["lat"], query["lon"], query["stop_id"])

    @api(
        "POST",
        "/api/v1/traffic/realtime",
        tags=TAGS,
        access=Department(scope=REALTIME_SCOPE, name=TRAFFIC_DEPARTMENT),
        content_types=(PROTOBUF,),
        max_body_bytes=MAX_REALTIME_BYTES,
        response=RealtimeCounts,
        summary="Push a GTFS-Realtime FeedMessage (protobuf): delays and service alerts",
    )
    def traffic_push_realtime(self, call: Call) -> dict[str, Any]:
        return self.services.traffic.push_realtime(base64.b64encode(call.raw_body).decode())

    # --- park easy: lots ---------------------------------------------------------------------

    @api(
        "GET",
        "/api/v1/traffic/parking/lots",
        access=PUBLIC,
        tags=TAGS,
        query=LotsNearQuery,
        response=LotsPage,
        summary="Parking lots near a point with their free spaces now",
    )
    def traffic_lots_near(self, call: Call) -> dict[str, Any]:
        query = call.query
        return self.services.traffic.lots_near(query["lat"], query["lon"], query["radius"])

    @api(
        "POST",
        "/api/v1/traffic/parking/lots",
        tags=TAGS,
        status=201,
        access=Department(scope=PARKING_SCOPE, name=TRAFFIC_DEPARTMENT),
        body=LotIn,
        response=Lot,
        summary="Register a parking lot; it is ours: only we may update it",
    )
    def traffic_add_lot(self, call: Call) -> dict[str, Any]:
        return self.services.traffic.add_lot(call.principal.department, LotIn().dump(call.body))

    @api(
        "PUT",
        "/api/v1/traffic/parking/lots/<lot_id>/occupancy",
        tags=TAGS,
        access=Department(scope=PARKING_SCOPE),
        body=OccupancyIn,
        response=LotStatus,
        summary="A sensor count of occupied spaces of our lot, observed now (another "
        "department's lot is 404)",
    )
    def traffic_record_occupancy(self, call: Call) -> dict[str, Any]:
        return self.services.traffic.record_occupancy(
            call.principal.department, call.path["lot_id"], call.body["occupied"]
        )

    # --- park easy: the calling resident's reservations --------------------------------------

    @api(
        "POST",
        "/api/v1/traffic/parking/reservations",
        access=RESIDENT,
        tags=TAGS,
        status=201,
        body=ReservationIn,
        response=Reservation,
        personal_data=True,
        summary="Reserve a space (409 when the lot is full for that window)",
    )
    def traffic_reserve(self, call: Call) -> dict[str, Any]:
        body = ReservationIn().dump(call.body)
        return self.services.traffic.reserve(
            call.principal.id, body["lot_id"], body["starts_at"], body["ends_at"]
        )

    @api(
        "GET",
        "/api/v1/traffic/parking/reservations",
        access=RESIDENT,
        tags=TAGS,
        response=ReservationsPage,
        personal_data=True,
        summary="My parking reservations",
    )
    def traffic_my_reservations(self, call: Call) -> dict[str, Any]:
        return self.services.traffic.my_reservations(call.principal.id)

    @api(
        "POST",
        "/api/v1/traffic/parking/reservations/<reservation_id>/cancel",
        access=RESIDENT,
        tags=TAGS,
        response=Reservation,
        personal_data=True,
        summary="Cancel my reservation before arriving",
    )
    def traffic_cancel_reservation(self, call: Call) -> dict[str, Any]:
        return self.services.traffic.cancel_reservation(
            call.principal.id, call.path["reservation_id"]
        )

    @api(
        "POST",
        "/api/v1/traffic/parking/reservations/<reservation_id>/check-in",
        access=RESIDENT,
        tags=TAGS,
        response=Reservation,
        personal_data=True,
        summary="My reserved car has arrived (from 15 minutes before the start)",
    )
    def traffic_check_in(self, call: Call) -> dict[str, Any]:
        return self.services.traffic.check_in(call.principal.id, call.path["reservation_id"])
