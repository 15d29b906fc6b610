"""A synthetic GTFS feed of N times a real one (Cairns by default), streamed into a zip.

    python -m bench.synthetic_feed --times 100 out.zip [--shared-stops]

Each copy of the source feed (Cairns by default) gets new ids for its stops, routes, services,
trips and shapes (``<id>~<copy>``; copy 0 keeps the original ids), so the result has N times the
rows and the busiest stop of copy 0 has exactly the calls it has in the source. With
``--shared-stops`` the stops are not copied: every copy's trips call at the same stops, so the
busiest stop has N times its calls (the harder case for arrivals). Agencies are kept once.

The zip is written file by file and line by line (``csv`` in, ``csv`` out, deflate), so memory
stays flat whatever N is.
"""

from __future__ import annotations

import argparse
import csv
import io
import zipfile
from pathlib import Path
from typing import IO

CAIRNS = Path(__file__).resolve().parent.parent / "tests" / "data" / "gtfs" / "cairns_gtfs.zip"

# The id columns renamed per copy, by file; references use the same names.
ID_COLUMNS = {
    "stops.txt": ("stop_id", "parent_station"),
    "routes.txt": ("route_id",),
    "calendar.txt": ("service_id",),
    "calendar_dates.txt": ("service_id",),
    "shapes.txt": ("shape_id",),
    "trips.txt": ("route_id", "service_id", "trip_id", "shape_id"),
    "stop_times.txt": ("trip_id", "stop_id"),
    "frequencies.txt": ("trip_id",),
    "transfers.txt": ("from_stop_id", "to_stop_id"),
}
KEPT_ONCE = ("agency.txt", "feed_info.txt")


def build(source: Path, target: Path, times: int, shared_stops: bool = False) -> None:
    with (
        zipfile.ZipFile(source) as feed,
        zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out,
    ):
        for info in feed.infolist():
            name = info.filename.rsplit("/", 1)[-1]
            with feed.open(info) as raw, out.open(info.filename, "w", force_zip64=True) as sink:
                text = io.TextIOWrapper(sink, encoding="utf-8", newline="")
                once = name in KEPT_ONCE or (shared_stops and name == "stops.txt")
                if once or name not in ID_COLUMNS:
                    text.write(io.TextIOWrapper(raw, encoding="utf-8-sig", newline="").read())
                else:
                    _copies(raw, text, name, times, shared_stops)
                text.flush()
                text.detach()


def _copies(raw: IO[bytes], text: IO[str], name: str, times: int, shared_stops: bool) -> None:
    """Write ``times`` copies of one file, re-reading the member for each copy."""
    writer = csv.writer(text, lineterminator="\n")
    renamed = [
        column for column in ID_COLUMNS[name] if not (shared_stops and column.endswith("stop_id"))
    ]
    data = raw.read().decode("utf-8-sig")  # one source file, whatever ``times`` is
    for copy in range(times):
        reader = csv.reader(io.StringIO(data, newline=""))
        header = next(reader)
        if copy == 0:
            writer.writerow(header)
        positions = [header.index(column) for column in renamed if column in header]
        suffix = f"~{copy}"
        for record in reader:
            if copy:
                for position in positions:
                    if position < len(record) and record[position]:
                        record[position] += suffix
            writer.writerow(record)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("target", type=Path)
    parser.add_argument("--times", type=int, default=100)
    parser.add_argument("--source", type=Path, default=CAIRNS)
    parser.add_argument("--shared-stops", action="store_true")
    arguments = parser.parse_args()
    build(arguments.source, arguments.target, arguments.times, arguments.shared_stops)
    print(f"{arguments.target}: {arguments.times} x {arguments.source.name}")


if __name__ == "__main__":
    main()
