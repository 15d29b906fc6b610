"""City-wide aggregates for the leaders' dashboard: tickets sold per day and each venue's load
today. Counts only: no card, ticket or visitor is named, so nothing here is audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Date, cast, func, select
from sqlalchemy.orm import Session

from services.tourism.models import Ticket, Venue, VenueDay
from shared.clock import CITY_TIMEZONE

MAX_VENUES = 50
"""The busiest venues listed (by today's load); the dashboard reads the top of the list."""


def ticket_sales(session: Session, today: dt.date, days: int) -> list[dict[str, Any]]:
    """Tickets and visitors booked per city day (the booking's day, not the visit's) over the
    ``days`` days up to ``today``, every day listed; cancelled tickets count nowhere."""
    start = today - dt.timedelta(days=days - 1)
    # booked_at is naive UTC: read it as UTC, then take the day on the city's calendar.
    booked_on = cast(
        func.timezone(str(CITY_TIMEZONE), func.timezone("UTC", Ticket.booked_at)), Date
    )
    rows = session.execute(
        select(booked_on, func.count(), func.coalesce(func.sum(Ticket.visitors), 0))
        .where(Ticket.status != "cancelled", booked_on >= start, booked_on <= today)
        .group_by(booked_on)
    ).all()
    counted = {day: (tickets, int(visitors)) for day, tickets, visitors in rows}
    series = []
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        tickets, visitors = counted.get(day, (0, 0))
        series.append({"date": day.isoformat(), "tickets": tickets, "visitors": visitors})
    return series


def venue_load(session: Session, today: dt.date) -> list[dict[str, Any]]:
    """Each venue's places booked for today against today's capacity, and the people its gate
    last counted inside: the busiest first."""
    rows = session.execute(
        select(
            Venue.venue_id,
            Venue.name,
            Venue.category,
            func.coalesce(VenueDay.capacity, Venue.daily_capacity),
            func.coalesce(VenueDay.sold, 0),
            Venue.present,
        ).outerjoin(
            VenueDay, (VenueDay.venue_id == Venue.venue_id) & (VenueDay.visit_date == today)
        )
    ).all()
    venues = [
        {
            "venue_id": venue_id,
            "name": name,
            "category": category,
            "capacity_today": capacity,
            "booked_today": booked,
            "load_rate": round(booked / capacity, 4) if capacity else None,
            "present": present,
        }
        for venue_id, name, category, capacity, booked, present in rows
    ]
    venues.sort(key=lambda venue: (-(venue["load_rate"] or 0), venue["venue_id"]))
    return venues[:MAX_VENUES]


def tourism_load(session: Session, today: dt.date, days: int) -> dict[str, Any]:
    return {
        "today": today.isoformat(),
        "ticket_sales": ticket_sales(session, today, days),
        "venues": venue_load(session, today),
    }
