"""Traffic's pure logic: no database, no messaging (an import-linter contract holds every
module here to that).

- ``gtfs``: reading a GTFS feed (streamed, checked by file, line and field) into plain values;
- ``realtime``: a GTFS-Realtime message's trip delays and service alerts;
- ``schedule``: the timetable's arithmetic (service days, frequencies, delays, arrivals);
- ``geo``: distances, bearings, walking times, bounding boxes, stop descriptions;
- ``parking``: reservation windows, free spaces, no-shows and their penalty.
"""
