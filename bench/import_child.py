"""Run by ``bench.traffic_scale`` in a child process: migrate a database, import one feed, print
the import's seconds and peak RSS as JSON. A script rather than a module of ``bench``, so that
``PYTHONPATH`` can point it at another checkout's code (main's, for "before" figures).

    python bench/import_child.py DATABASE_URL FEED.zip
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

from sqlalchemy.orm import Session

from services.traffic.importer import import_feed
from services.traffic.models import Base
from services.traffic.service import MIGRATIONS
from shared.db import make_engine, migrate


def main(database_url: str, feed: str) -> None:
    engine = make_engine(database_url)
    migrate(engine, "traffic", MIGRATIONS, Base.metadata)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with Session(engine) as session:
        started = time.perf_counter()
        summary = import_feed(session, feed, name=Path(feed).stem)
        session.commit()
        seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    engine.dispose()
    print(
        json.dumps(
            {
                "seconds": round(seconds, 3),
                "peak_rss_mb": round(peak / 1024, 1),
                "rss_before_import_mb": round(before / 1024, 1),
                "stop_times": summary.row_counts["stop_times.txt"],
            }
        )
    )


if __name__ == "__main__":
    main(*sys.argv[1:3])
