"""Traffic's pure logic: no database, no messaging (an import-linter contract holds every
module here to that).

- ``gtfs``: reading a GTFS feed and GTFS-Realtime messages into plain values;
- ``schedule``: the timetable's arithmetic (service days, frequencies, delays, arrivals);
- ``geo``: distances, bearings, walking times, bounding boxes, stop descriptions;
- ``parking``: reservation windows, free spaces, no-shows and their penalty.
"""
