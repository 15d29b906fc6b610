"""How the red and black lists moved: entries added and removed per day, every subject type
counted, none named (the leaders' dashboard; counts are not personal data)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.credit.models import ListEntry
from shared.contracts.credit import LIST_KINDS


def list_changes(session: Session, today: date, days: int) -> dict[str, Any]:
    """Per day of the ``days`` up to ``today`` (every day listed, oldest first): entries that
    took effect and entries removed, per list."""
    start = today - timedelta(days=days - 1)
    counts: dict[tuple[date, str, str], int] = {}
    for change, column in (("added", ListEntry.effective_on), ("removed", ListEntry.removed_on)):
        rows = session.execute(
            select(column, ListEntry.list_kind, func.count())
            .where(column >= start, column <= today)
            .group_by(column, ListEntry.list_kind)
        ).all()
        for day, kind, count in rows:
            counts[(day, kind, change)] = count
    series = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        entry: dict[str, Any] = {"date": day.isoformat()}
        for kind in LIST_KINDS:
            for change in ("added", "removed"):
                entry[f"{kind}_{change}"] = counts.get((day, kind, change), 0)
        series.append(entry)
    return {"from": start.isoformat(), "to": today.isoformat(), "days": series}
