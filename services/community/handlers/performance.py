"""Time-limit performance of every affair in the catalogue: counts only, no application.

The database groups the applications by affair, state, due day and the city's day of the
decision, so what leaves it is at most a few rows per affair and day; the pure counting is
``domain/performance.py``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.community.domain.performance import Group, tally
from services.community.handlers import catalogue
from services.community.models import Application
from shared.clock import CITY_TIMEZONE


def time_limit_performance(session: Session, today: date, now: datetime) -> dict[str, Any]:
    """``{"as_of", "affairs": [{"affair", "title", "department", "decided",
    "decided_within_limit", "open", "open_overdue", "within_limit_rate"}]}`` by affair code."""
    decided_on = func.date(func.timezone(CITY_TIMEZONE.key, Application.decided_at))
    rows = session.execute(
        select(
            Application.affair_code,
            Application.status,
            Application.due_on,
            decided_on,
            func.count(),
        ).group_by(Application.affair_code, Application.status, Application.due_on, decided_on)
    ).all()
    affairs = {item.code: item for item in session.scalars(catalogue.latest_versions())}
    counts = tally((Group(*row) for row in rows), sorted(affairs), today)
    items = []
    for code, performance in sorted(counts.items()):
        affair = affairs.get(code)
        items.append(
            {
                "affair": code,
                "title": affair.name if affair else code,
                "department": affair.unit if affair else "",
                "decided": performance.decided,
                "decided_within_limit": performance.decided_within_limit,
                "open": performance.open,
                "open_overdue": performance.open_overdue,
                "within_limit_rate": performance.within_limit_rate,
            }
        )
    return {"as_of": now.isoformat(timespec="seconds"), "affairs": items}
