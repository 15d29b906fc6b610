"""The operator's side of the suite: the ``smartcity`` command, process supervision, demo data."""
