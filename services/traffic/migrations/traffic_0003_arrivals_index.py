"""Arrivals by index: calls of a stop in arrival order, feed extents, delays by size.

``gtfs_stop_times (feed_id, stop_id)`` becomes ``(feed_id, stop_id, arrival_s, departure_s)``
(the old index is its prefix, so nothing that used it gets slower); ``gtfs_feeds`` records the
latest departure and the longest dwell of each feed (NULL for feeds imported before, which
``queries`` measures once); ``rt_delays.delay_s`` is indexed for its min() and max().

Revision ID: traffic_0003
Revises: traffic_0002
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "traffic_0003"
down_revision = "traffic_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("gtfs_feeds", sa.Column("max_departure_s", sa.Integer(), nullable=True))
    op.add_column("gtfs_feeds", sa.Column("max_dwell_s", sa.Integer(), nullable=True))
    op.drop_index("ix_gtfs_stop_times_stop", table_name="gtfs_stop_times")
    op.create_index(
        "ix_gtfs_stop_times_stop_arrival",
        "gtfs_stop_times",
        ["feed_id", "stop_id", "arrival_s", "departure_s"],
    )
    op.create_index("ix_rt_delays_delay", "rt_delays", ["delay_s"])


def downgrade() -> None:
    op.drop_index("ix_rt_delays_delay", table_name="rt_delays")
    op.drop_index("ix_gtfs_stop_times_stop_arrival", table_name="gtfs_stop_times")
    op.create_index("ix_gtfs_stop_times_stop", "gtfs_stop_times", ["feed_id", "stop_id"])
    op.drop_column("gtfs_feeds", "max_dwell_s")
    op.drop_column("gtfs_feeds", "max_departure_s")
