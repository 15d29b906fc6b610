"""The timetable in use written back as a GTFS feed (a zip of the files the importer reads).

What the open-data portal publishes as the GTFS resource: regenerated from the stored tables
rather than kept as the uploaded file, so it is exactly the timetable riders are told about.
Stored names are GTFS's own, except the times kept as seconds (``arrival_s`` →
``arrival_time``); optional files without rows are left out.
"""

from __future__ import annotations

import csv
import io
import zipfile

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.traffic.domain.gtfs_values import format_gtfs_cell, format_gtfs_time
from services.traffic.models import FEED_TABLES
from services.traffic.queries import active_feed

TIME_COLUMNS = {
    "arrival_s": "arrival_time",
    "departure_s": "departure_time",
    "start_s": "start_time",
    "end_s": "end_time",
}


def feed_zip(session: Session) -> bytes:
    """The active feed as the bytes of a GTFS zip; ``NotFound`` before the first import."""
    feed = active_feed(session)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for filename, model in FEED_TABLES.items():
            columns = [c for c in model.__table__.columns if c.name != "feed_id"]
            rows = session.execute(
                select(*columns)
                .where(model.__table__.c.feed_id == feed.feed_id)
                .order_by(*model.__table__.primary_key.columns)
            ).all()
            if not rows and filename not in ("agency.txt", "stops.txt", "routes.txt"):
                continue
            text = io.StringIO()
            writer = csv.writer(text, lineterminator="\r\n")
            writer.writerow([TIME_COLUMNS.get(c.name, c.name) for c in columns])
            for row in rows:
                writer.writerow(
                    [
                        format_gtfs_time(value)
                        if column.name in TIME_COLUMNS and value is not None
                        else format_gtfs_cell(value)
                        for column, value in zip(columns, row, strict=True)
                    ]
                )
            archive.writestr(filename, text.getvalue())
    return out.getvalue()
