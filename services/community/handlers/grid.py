"""The community grid: cells with their base data, locating a point, and incidents.

A grid client whose ``unit`` is set is a grid worker: it sees and acts on the incidents of the
cells it works (``grid_worker`` = its unit); another cell's incident answers 404. A grid client
without a unit is the grid centre and sees every cell. Incident reporters are never shown to
grid clients (an incident is about a place, not a person); a resident follows their own.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from services.community.domain.geometry import cell_of_point, polygon_of
from services.community.domain.workflow import INCIDENT_ACTIONS, next_state
from services.community.models import GridCell, Incident
from shared.db import UnitOfWork, fetch_page
from shared.errors import NotFound, Unprocessable, invalid

INCIDENT_LIMIT_HOURS = {
    "public_safety": 24,
    "environment_sanitation": 72,
    "facilities_repair": 120,
    "neighbour_dispute": 72,
}
"""Calendar hours from report to closure per category (grid incidents run around the clock)."""


def cell_view(cell: GridCell) -> dict[str, Any]:
    return {
        "cell_id": cell.id,
        "name": cell.name,
        "district": cell.district,
        "polygon": cell.polygon,
        "grid_worker": cell.grid_worker,
        "households": cell.households,
        "population": cell.population,
        "special_care": cell.special_care,
    }


def put_cell(session: Session, cell_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """Create or replace a cell (its polygon checked) and its base data counts."""
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,32}", cell_id):
        raise invalid("cell_id", "1-32 letters, digits, '-' or '_'")
    polygon_of(data["polygon"])
    cell = session.get(GridCell, cell_id) or GridCell(id=cell_id)
    for name in ("name", "district", "polygon", "grid_worker"):
        setattr(cell, name, data[name])
    for name in ("households", "population", "special_care"):
        setattr(cell, name, data.get(name, 0))
    session.add(cell)
    session.flush()
    return cell_view(cell)


def cells(session: Session, limit: int, offset: int) -> dict[str, Any]:
    page = fetch_page(session, select(GridCell), GridCell.id, limit=limit, offset=offset)
    return {**page, "items": [cell_view(cell) for cell in page["items"]]}


def locate(session: Session, lon: float, lat: float) -> dict[str, Any]:
    shapes = list(session.execute(select(GridCell.id, GridCell.polygon)).tuples())
    cell_id = cell_of_point(shapes, lon, lat)
    cell = session.get(GridCell, cell_id) if cell_id else None
    return {"cell_id": cell_id, "cell": cell_view(cell) if cell else None}


def _view(incident: Incident, now: datetime) -> dict[str, Any]:
    return {
        "incident_id": str(incident.id),
        "cell_id": incident.cell_id,
        "category": incident.category,
        "lon": incident.lon,
        "lat": incident.lat,
        "description": incident.description,
        "photo_ref": incident.photo_ref,
        "status": incident.status,
        "assignee": incident.assignee,
        "reported_at": incident.reported_at.isoformat(),
        "due_at": incident.due_at.isoformat(),
        "overdue": incident.status != "closed" and now > incident.due_at,
        "history": incident.history,
    }


def report(uow: UnitOfWork, data: dict[str, Any], now: datetime) -> dict[str, Any]:
    """An incident at a point; it belongs to the cell covering the point (422 outside)."""
    located = locate(uow.session, data["lon"], data["lat"])
    if located["cell_id"] is None:
        raise Unprocessable(
            "the location is outside every grid cell",
            fields={"lon": ["outside every grid cell"], "lat": ["outside every grid cell"]},
        )
    context = uow.context
    reporter, role = str(context.get("actor") or "system"), str(context.get("actor_role"))
    incident = Incident(
        id=uuid.uuid4(),
        cell_id=located["cell_id"],
        category=data["category"],
        lon=data["lon"],
        lat=data["lat"],
        photo_ref=data.get("photo_ref"),
        description=data["description"],
        reporter=reporter,
        reporter_role=role,
        status="reported",
        reported_at=now,
        due_at=now + timedelta(hours=INCIDENT_LIMIT_HOURS[data["category"]]),
        history=[{"action": "report", "to_status": "reported", "at": now.isoformat()}],
    )
    uow.session.add(incident)
    uow.session.flush()
    if role == "resident":
        uow.record_access(reporter, "write", "community_incident")
    return _view(incident, now)


def my_incidents(uow: UnitOfWork, card: str, limit: int, offset: int, now: datetime) -> dict:
    statement = select(Incident).where(Incident.reporter == card)
    page = fetch_page(uow.session, statement, Incident.reported_at, limit=limit, offset=offset)
    uow.record_access(card, "read", "community_incident")
    return {**page, "items": [_view(item, now) for item in page["items"]]}


def _worked(statement: Any, unit: str | None) -> Any:
    if unit is None:
        return statement
    mine = select(GridCell.id).where(GridCell.grid_worker == unit)
    return statement.where(Incident.cell_id.in_(mine))


def incidents(
    session: Session, unit: str | None, query: dict[str, Any], now: datetime
) -> dict[str, Any]:
    statement = _worked(select(Incident), unit)
    if query.get("cell_id"):
        statement = statement.where(Incident.cell_id == query["cell_id"])
    if query.get("status"):
        statement = statement.where(Incident.status == query["status"])
    page = fetch_page(
        session, statement, Incident.reported_at, limit=query["limit"], offset=query["offset"]
    )
    return {**page, "items": [_view(item, now) for item in page["items"]]}


def act(
    session: Session,
    unit: str | None,
    incident_id: str,
    data: dict[str, Any],
    actor: str,
    now: datetime,
) -> dict[str, Any]:
    """assign (naming the assignee), resolve, close: each step kept in the history."""
    try:
        key = uuid.UUID(str(incident_id))
    except ValueError:
        raise NotFound("no such incident") from None
    statement = _worked(select(Incident).where(Incident.id == key), unit).with_for_update()
    incident = session.scalars(statement).first()
    if incident is None:
        raise NotFound("no such incident")
    old = incident.status
    incident.status = next_state(INCIDENT_ACTIONS, old, data["action"])
    if data["action"] == "assign":
        if not data.get("assignee"):
            raise invalid("assignee", "assign needs an assignee")
        incident.assignee = data["assignee"]
    step = {"action": data["action"], "from_status": old, "to_status": incident.status}
    step.update({"actor": actor, "note": data.get("note"), "at": now.isoformat()})
    incident.history = [*incident.history, step]
    session.flush()
    return _view(incident, now)


def statistics(session: Session, unit: str | None, now: datetime) -> dict[str, Any]:
    """Counts per cell and category: all, open, closed, and open past their time limit."""
    is_open = Incident.status != "closed"
    statement = _worked(
        select(
            Incident.cell_id,
            Incident.category,
            func.count(),
            func.sum(case((is_open, 1), else_=0)),
            func.sum(case((is_open & (Incident.due_at < now), 1), else_=0)),
        ),
        unit,
    ).group_by(Incident.cell_id, Incident.category)
    rows = session.execute(statement.order_by(Incident.cell_id, Incident.category)).all()
    return {
        "items": [
            {
                "cell_id": cell_id,
                "category": category,
                "total": total,
                "open": int(open_count),
                "closed": total - int(open_count),
                "overdue": int(overdue),
            }
            for cell_id, category, total, open_count, overdue in rows
        ]
    }
