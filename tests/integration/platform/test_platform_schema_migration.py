"""The hand-written migration creates exactly the tables of models.py, on both databases."""

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from services.platform.models import GENESIS_HASH, Base
from services.platform.service import MIGRATIONS
from shared.db import make_engine, migrate
from shared.outbox import messaging_metadata


def differences(engine: sa.Engine) -> list:
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "version_table": "alembic_version_platform"}
        )
        return compare_metadata(context, [Base.metadata, messaging_metadata])


def head_row(engine: sa.Engine) -> tuple:
    with engine.connect() as conn:
        return tuple(
            conn.execute(sa.text("SELECT id, last_seq, last_hash FROM audit_chain_head")).one()
        )


@pytest.fixture
def migrated(database_url) -> sa.Engine:
    engine = make_engine(database_url("platform"))
    migrate(engine, "platform", MIGRATIONS, Base.metadata)
    yield engine
    engine.dispose()


def test_migration_seeds_the_chain_head_at_genesis(migrated):
    assert head_row(migrated) == (1, 0, GENESIS_HASH)


def test_migrating_twice_is_a_no_op(migrated):
    migrate(migrated, "platform", MIGRATIONS, Base.metadata)
    assert head_row(migrated) == (1, 0, GENESIS_HASH)
