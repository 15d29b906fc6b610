"""Parking for the public and the city's leaders: every lot with its state, and occupancy by
district. Nothing here names a resident (reservations are only counted in free spaces).

Each lot counts with its latest sensor reading (0 without one); the summing by district is
pure, in ``domain/parking.py`` (``district_loads``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.traffic.domain.parking import district_loads
from services.traffic.models import ParkingLot
from services.traffic.parking import latest_readings, lot_dict, lot_states


def by_district(session: Session, at: dt.datetime) -> dict[str, Any]:
    """``{"as_of", "districts": [{"district", "lots", "capacity", "occupied",
    "occupancy_rate"}]}`` at ``at`` (naive UTC)."""
    lots = session.execute(
        select(ParkingLot.lot_id, ParkingLot.district, ParkingLot.capacity)
    ).all()
    readings = latest_readings(session, [lot.lot_id for lot in lots], at)
    loads = district_loads(
        (lot.district, lot.capacity, readings.get(lot.lot_id, (0, None))[0]) for lot in lots
    )
    return {
        "as_of": at.replace(tzinfo=dt.UTC).isoformat(timespec="seconds"),
        "districts": [
            {
                "district": load.district,
                "lots": load.lots,
                "capacity": load.capacity,
                "occupied": load.occupied,
                "occupancy_rate": load.occupancy_rate,
            }
            for load in loads
        ],
    }


def all_lots(session: Session, at: dt.datetime) -> list[dict[str, Any]]:
    """Every lot by id, with its state at ``at`` (naive UTC) as ``lot_status`` gives it."""
    lots = list(session.scalars(select(ParkingLot).order_by(ParkingLot.lot_id)))
    states = lot_states(session, lots, at)
    return [{**lot_dict(lot), **states[lot.lot_id]} for lot in lots]
