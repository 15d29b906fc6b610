"""Subscriptions: webhooks grow Orion's model (status, expiry, throttling, filter, counters,
secret rotation), deliveries keep publish order and replays, the event log for replays and
the outbox of the public feed.

Revision ID: platform_0004
Revises: platform_0003
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "platform_0004"
down_revision = "platform_0003"
branch_labels = None
depends_on = None

_Time = sa.DateTime(timezone=True)


def upgrade() -> None:
    add = op.add_column
    add("webhooks", sa.Column("endpoint", sa.String(300), nullable=False, server_default=""))
    op.alter_column("webhooks", "endpoint", server_default=None)
    op.execute("UPDATE webhooks SET endpoint = substring(url from '^[a-zA-Z]+://[^/?#]+')")
    op.create_index("ix_webhooks_endpoint", "webhooks", ["endpoint"])
    add("webhooks", sa.Column("status", sa.String(10), nullable=False, server_default="active"))
    add("webhooks", sa.Column("expires_at", _Time, nullable=True))
    add("webhooks", sa.Column("throttling_s", sa.Integer(), nullable=False, server_default="0"))
    add("webhooks", sa.Column("filter", sa.JSON(), nullable=False, server_default="[]"))
    add("webhooks", sa.Column("max_fails", sa.Integer(), nullable=True))
    add("webhooks", sa.Column("description", sa.String(200), nullable=True))
    add("webhooks", sa.Column("previous_secret", sa.String(64), nullable=True))
    add("webhooks", sa.Column("previous_secret_until", _Time, nullable=True))
    add("webhooks", sa.Column("last_queued_at", _Time, nullable=True))
    add("webhooks", sa.Column("times_sent", sa.Integer(), nullable=False, server_default="0"))
    add("webhooks", sa.Column("fails_counter", sa.Integer(), nullable=False, server_default="0"))
    add("webhooks", sa.Column("last_notification", _Time, nullable=True))
    add("webhooks", sa.Column("last_success", _Time, nullable=True))
    add("webhooks", sa.Column("last_success_code", sa.Integer(), nullable=True))
    add("webhooks", sa.Column("last_failure", _Time, nullable=True))
    add("webhooks", sa.Column("last_failure_reason", sa.String(500), nullable=True))

    add(
        "webhook_deliveries",
        sa.Column("seq", sa.BigInteger(), sa.Identity(), nullable=False),
    )
    op.create_unique_constraint("uq_webhook_deliveries_seq", "webhook_deliveries", ["seq"])
    add(
        "webhook_deliveries",
        sa.Column("order_key", sa.String(120), nullable=False, server_default=""),
    )
    op.execute("UPDATE webhook_deliveries SET order_key = event_type")
    add(
        "webhook_deliveries",
        sa.Column("generation", sa.Integer(), nullable=False, server_default="0"),
    )
    op.drop_constraint("uq_webhook_deliveries_webhook_event", "webhook_deliveries", type_="unique")
    op.create_unique_constraint(
        "uq_webhook_deliveries_generation",
        "webhook_deliveries",
        ["webhook_id", "event_id", "generation"],
    )
    op.create_index(
        "ix_webhook_deliveries_order", "webhook_deliveries", ["webhook_id", "order_key", "seq"]
    )

    op.create_table(
        "event_log",
        sa.Column("event_id", sa.Uuid(), primary_key=True),
        sa.Column("event_type", sa.String(120), nullable=False),
        sa.Column("occurred_at", _Time, nullable=False),
        sa.Column("received_at", _Time, nullable=False),
        sa.Column("envelope", sa.JSON(), nullable=False),
    )
    op.create_index("ix_event_log_occurred_at", "event_log", ["occurred_at"])
    op.create_index("ix_event_log_received_at", "event_log", ["received_at"])

    op.create_table(
        "public_outbox",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.Uuid(), nullable=False, unique=True),
        sa.Column("type", sa.String(120), nullable=False),
        sa.Column("envelope", sa.JSON(), nullable=False),
        sa.Column("created_at", _Time, nullable=False, server_default=sa.func.now()),
        sa.Column("published_at", _Time, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("claimed_until", _Time, nullable=True),
    )
    op.create_index("ix_public_outbox_pending", "public_outbox", ["published_at", "id"])


def downgrade() -> None:
    op.drop_table("public_outbox")
    op.drop_table("event_log")
    op.drop_index("ix_webhook_deliveries_order", table_name="webhook_deliveries")
    op.drop_constraint("uq_webhook_deliveries_generation", "webhook_deliveries", type_="unique")
    op.create_unique_constraint(
        "uq_webhook_deliveries_webhook_event", "webhook_deliveries", ["webhook_id", "event_id"]
    )
    op.drop_constraint("uq_webhook_deliveries_seq", "webhook_deliveries", type_="unique")
    for column in ("generation", "order_key", "seq"):
        op.drop_column("webhook_deliveries", column)
    op.drop_index("ix_webhooks_endpoint", table_name="webhooks")
    for column in (
        "endpoint",
        "status",
        "expires_at",
        "throttling_s",
        "filter",
        "max_fails",
        "description",
        "previous_secret",
        "previous_secret_until",
        "last_queued_at",
        "times_sent",
        "fails_counter",
        "last_notification",
        "last_success",
        "last_success_code",
        "last_failure",
        "last_failure_reason",
    ):
        op.drop_column("webhooks", column)
