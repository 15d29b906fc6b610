"""Every service's Alembic history builds exactly its ``models.py`` (plus the shared messaging
tables), on PostgreSQL (the one database of the suite); migrating twice is a no-op.
Hand-written revisions cannot drift from the models unnoticed."""

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from shared.db import make_engine, migrate
from shared.outbox import messaging_metadata
from smartcity.registry import SERVICE_CLASSES, load

SERVICES_WITH_DATABASES = sorted(name for name in SERVICE_CLASSES if name != "gateway")


@pytest.fixture
def url_for(database_url):
    return database_url


@pytest.mark.parametrize("service", SERVICES_WITH_DATABASES)
def test_migrated_schema_matches_the_models(service, url_for):
    database = load(service).db
    engine = make_engine(url_for(service))
    migrate(engine, service, database.versions_dir, database.base.metadata)
    migrate(engine, service, database.versions_dir, database.base.metadata)  # no-op

    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "version_table": f"alembic_version_{service}"}
        )
        differences = compare_metadata(context, [database.base.metadata, messaging_metadata])
        version_rows = conn.execute(
            sa.text(f"SELECT count(*) FROM alembic_version_{service}")
        ).scalar()
    engine.dispose()
    assert differences == []
    assert version_rows == 2  # the shared messaging branch and the service's own
