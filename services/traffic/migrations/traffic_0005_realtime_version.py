"""A version of the stored real-time predictions, counted by the database itself.

``rt_version`` holds one row whose ``version`` a statement-level trigger on ``rt_delays`` sets
to a new number with every statement that inserts, updates, deletes or truncates predictions,
in the writing transaction, whoever writes. Arrivals hold the predictions in memory per
version and read only the version on each request (``services/traffic/live_delays.py``).
The index on ``rt_delays.delay_s``, which served the min() and max() each read of arrivals
took, goes: the range is now measured in memory, once per version.

Revision ID: traffic_0005
Revises: traffic_0004
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "traffic_0005"
down_revision = "traffic_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rt_version",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name="ck_rt_version_one_row"),
    )
    op.execute("INSERT INTO rt_version (id, version) VALUES (1, 0)")
    # From a sequence, not version + 1: a number taken by a transaction that rolled back is
    # never handed out again, so a version always names one content of rt_delays.
    op.execute("CREATE SEQUENCE rt_version_seq")
    op.execute(
        """
        CREATE FUNCTION rt_delays_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE rt_version SET version = nextval('rt_version_seq') WHERE id = 1;
            RETURN NULL;
        END
        $$
        """
    )
    for event in ("INSERT OR UPDATE OR DELETE", "TRUNCATE"):
        name = "rt_delays_truncated" if event == "TRUNCATE" else "rt_delays_changed"
        op.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON rt_delays "
            "FOR EACH STATEMENT EXECUTE FUNCTION rt_delays_changed()"
        )
    op.drop_index("ix_rt_delays_delay", table_name="rt_delays")


def downgrade() -> None:
    op.create_index("ix_rt_delays_delay", "rt_delays", ["delay_s"])
    op.execute("DROP TRIGGER rt_delays_truncated ON rt_delays")
    op.execute("DROP TRIGGER rt_delays_changed ON rt_delays")
    op.execute("DROP FUNCTION rt_delays_changed()")
    op.drop_table("rt_version")
    op.execute("DROP SEQUENCE rt_version_seq")
