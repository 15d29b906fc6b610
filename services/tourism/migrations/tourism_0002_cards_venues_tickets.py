"""The tourism tables: tourist cards, benefits, venues, daily places and tickets.

Written by hand to match ``services/tourism/models.py`` (``tests/integration/test_migrations.py``
compares the migrated schema with the models).

Revision ID: tourism_0002
Revises: tourism_0001
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "tourism_0002"
down_revision = "tourism_0001"
branch_labels = None
depends_on = None


def _required(name: str, type_: sa.types.TypeEngine, *args: object, **kwargs: object) -> sa.Column:
    return sa.Column(name, type_, *args, nullable=False, **kwargs)


def _optional(name: str, type_: sa.types.TypeEngine) -> sa.Column:
    return sa.Column(name, type_, nullable=True)


def upgrade() -> None:
    op.create_table(
        "tourist_cards",
        _required("card_id", sa.String(32), primary_key=True),
        _required("kind", sa.String(16)),
        _optional("citizen_card", sa.String(16)),
        _optional("resident_id", sa.Uuid()),
        _optional("holder_name", sa.String(200)),
        _optional("document_type", sa.String(16)),
        _optional("document_number", sa.String(32)),
        _optional("expires_on", sa.Date()),
        _required("issued_by", sa.String(64)),
        _required("issued_at", sa.DateTime()),
        sa.UniqueConstraint("citizen_card", name="uq_tourist_cards_citizen_card"),
        sa.UniqueConstraint("document_type", "document_number", name="uq_tourist_cards_document"),
    )
    op.create_table(
        "benefits",
        _required("id", sa.Uuid(), primary_key=True),
        _required("kind", sa.String(16)),
        _required("reference", sa.String(200)),
        _required("citizen_card", sa.String(16)),
        _required("source", sa.String(64)),
        _required("active", sa.Boolean()),
        _optional("valid_until", sa.Date()),
        _required("reason", sa.String(500)),
        _required("sequence", sa.Integer()),
        _required("changed_at", sa.DateTime()),
        sa.UniqueConstraint("kind", "reference", name="uq_benefits_kind_reference"),
    )
    op.create_index("ix_benefits_citizen_card", "benefits", ["citizen_card"])
    op.create_table(
        "venues",
        _required("venue_id", sa.String(64), primary_key=True),
        _required("department", sa.String(64)),
        _required("name", sa.String(200)),
        _required("category", sa.String(32)),
        _required("lat", sa.Float()),
        _required("lon", sa.Float()),
        _required("opens_at", sa.Time()),
        _required("closes_at", sa.Time()),
        _required("daily_capacity", sa.Integer()),
        _required("price", sa.Numeric(12, 2)),
        _required("operator_credit_code", sa.String(18)),
        _required("black_listed", sa.Boolean()),
        _optional("present", sa.Integer()),
        _optional("occupancy_observed_at", sa.DateTime()),
    )
    op.create_index("ix_venues_operator", "venues", ["operator_credit_code"])
    op.create_index("ix_venues_lat_lon", "venues", ["lat", "lon"])
    op.create_table(
        "venue_days",
        _required("venue_id", sa.String(64), sa.ForeignKey("venues.venue_id"), primary_key=True),
        _required("visit_date", sa.Date(), primary_key=True),
        _required("capacity", sa.Integer()),
        _required("sold", sa.Integer()),
    )
    op.create_table(
        "tickets",
        _required("ticket_id", sa.Uuid(), primary_key=True),
        _required("venue_id", sa.String(64), sa.ForeignKey("venues.venue_id")),
        _required("card_id", sa.String(32), sa.ForeignKey("tourist_cards.card_id")),
        _required("visit_date", sa.Date()),
        _required("visitors", sa.Integer()),
        _required("total_price", sa.Numeric(12, 2)),
        _required("computation", sa.JSON()),
        _optional("benefit", sa.String(16)),
        _required("status", sa.String(16)),
        _required("booked_at", sa.DateTime()),
        _optional("used_at", sa.DateTime()),
        _optional("cancelled_at", sa.DateTime()),
    )
    op.create_index("ix_tickets_card", "tickets", ["card_id"])
    op.create_index("ix_tickets_venue_date", "tickets", ["venue_id", "visit_date"])


def downgrade() -> None:
    for table in ("tickets", "venue_days", "venues", "benefits", "tourist_cards"):
        op.drop_table(table)
