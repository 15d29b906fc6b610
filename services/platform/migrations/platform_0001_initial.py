"""Platform tables: residents and cards, login, API clients, audit chain, base registries.

Revision ID: platform_0001
Revises:
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "platform_0001"
down_revision = None
branch_labels = ("platform",)
depends_on = None

_Id = sa.BigInteger()
_Time = sa.DateTime(timezone=True)
_GENESIS_HASH = "0" * 64


def upgrade() -> None:
    op.create_table(
        "residents",
        sa.Column("resident_id", sa.Uuid(), primary_key=True),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("id_number", sa.String(18), nullable=False, unique=True),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("phone", sa.String(11), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("registered_at", _Time, nullable=False),
    )
    op.create_table(
        "citizen_cards",
        sa.Column("serial", _Id, primary_key=True, autoincrement=True),
        sa.Column("card_number", sa.String(16), nullable=True, unique=True),
        sa.Column(
            "resident_id",
            sa.Uuid(),
            sa.ForeignKey("residents.resident_id"),
            nullable=False,
            unique=True,
        ),
        sa.Column("issued_at", _Time, nullable=False),
    )
    op.create_table(
        "linked_cards",
        sa.Column("id", _Id, primary_key=True, autoincrement=True),
        sa.Column(
            "card_number",
            sa.String(16),
            sa.ForeignKey("citizen_cards.card_number"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("number", sa.String(64), nullable=False),
        sa.Column("linked_at", _Time, nullable=False),
        sa.UniqueConstraint("kind", "number", name="uq_linked_cards_kind_number"),
    )
    op.create_index("ix_linked_cards_card_number", "linked_cards", ["card_number"])
    op.create_table(
        "login_attempts",
        sa.Column("id", _Id, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(32), nullable=False),
        sa.Column("outcome", sa.String(10), nullable=False),
        sa.Column("client_ip", sa.String(64), nullable=True),
        sa.Column("attempted_at", _Time, nullable=False),
    )
    op.create_index("ix_login_attempts_username_at", "login_attempts", ["username", "attempted_at"])
    op.create_table(
        "refresh_tokens",
        sa.Column("token_id", sa.Uuid(), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column(
            "card_number",
            sa.String(16),
            sa.ForeignKey("citizen_cards.card_number"),
            nullable=False,
        ),
        sa.Column("issued_at", _Time, nullable=False),
        sa.Column("expires_at", _Time, nullable=False),
        sa.Column("revoked_at", _Time, nullable=True),
    )
    op.create_index("ix_refresh_tokens_family_id", "refresh_tokens", ["family_id"])
    op.create_table(
        "api_clients",
        sa.Column("client_id", sa.Uuid(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("department", sa.String(20), nullable=True),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("key_prefix", sa.String(20), nullable=False, unique=True),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("created_at", _Time, nullable=False),
        sa.Column("revoked_at", _Time, nullable=True),
    )
    op.create_table(
        "audit_entries",
        sa.Column("seq", _Id, primary_key=True, autoincrement=False),
        sa.Column("event_id", sa.Uuid(), nullable=False, unique=True),
        sa.Column("occurred_at", _Time, nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("actor_role", sa.String(50), nullable=False),
        sa.Column("department", sa.String(50), nullable=True),
        sa.Column("subject", sa.String(32), nullable=False),
        sa.Column("action", sa.String(10), nullable=False),
        sa.Column("resource", sa.String(200), nullable=False),
        sa.Column("purpose", sa.String(200), nullable=False),
        sa.Column("request_id", sa.String(100), nullable=True),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index(
        "ix_audit_entries_subject_occurred_at", "audit_entries", ["subject", "occurred_at"]
    )
    op.create_index(
        "ix_audit_entries_department_occurred_at", "audit_entries", ["department", "occurred_at"]
    )
    head = op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
    )
    op.bulk_insert(head, [{"id": 1, "last_seq": 0, "last_hash": _GENESIS_HASH}])
    op.create_table(
        "legal_entities",
        sa.Column("credit_code", sa.String(18), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("legal_representative", sa.String(50), nullable=False),
        sa.Column("registered_address", sa.String(300), nullable=False),
        sa.Column("established_on", sa.Date(), nullable=False),
        sa.Column("registered_at", _Time, nullable=False),
    )
    op.create_table(
        "housing",
        sa.Column("housing_id", sa.Uuid(), primary_key=True),
        sa.Column("address", sa.String(300), nullable=False),
        sa.Column("district", sa.String(50), nullable=False),
        sa.Column("building", sa.String(20), nullable=False),
        sa.Column("unit", sa.String(20), nullable=False),
        sa.Column("room", sa.String(20), nullable=False),
        sa.Column(
            "owner_card_number",
            sa.String(16),
            sa.ForeignKey("citizen_cards.card_number"),
            nullable=False,
        ),
        sa.Column("registered_at", _Time, nullable=False),
        sa.UniqueConstraint(
            "district", "address", "building", "unit", "room", name="uq_housing_dwelling"
        ),
    )
    op.create_index("ix_housing_owner_card_number", "housing", ["owner_card_number"])


def downgrade() -> None:
    op.drop_index("ix_housing_owner_card_number", table_name="housing")
    op.drop_table("housing")
    op.drop_table("legal_entities")
    op.drop_table("audit_chain_head")
    op.drop_index("ix_audit_entries_department_occurred_at", table_name="audit_entries")
    op.drop_index("ix_audit_entries_subject_occurred_at", table_name="audit_entries")
    op.drop_table("audit_entries")
    op.drop_table("api_clients")
    op.drop_index("ix_refresh_tokens_family_id", table_name="refresh_tokens")
    op.drop_table("refresh_tokens")
    op.drop_index("ix_login_attempts_username_at", table_name="login_attempts")
    op.drop_table("login_attempts")
    op.drop_index("ix_linked_cards_card_number", table_name="linked_cards")
    op.drop_table("linked_cards")
    op.drop_table("citizen_cards")
    op.drop_table("residents")
