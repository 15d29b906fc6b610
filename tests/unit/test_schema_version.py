"""The heads a service expects, read from its revision files without Alembic, are Alembic's."""

import pytest

from shared.db import alembic_config
from shared.schema_version import SchemaNotCurrent, check_schema_current, expected_heads
from smartcity.registry import SERVICE_CLASSES, load

DATABASE_SERVICES = [name for name in SERVICE_CLASSES if hasattr(load(name), "db")]


@pytest.mark.parametrize("service", DATABASE_SERVICES)
def test_expected_heads_are_alembics_heads(service: str) -> None:
    from alembic.script import ScriptDirectory

    database = load(service).db
    script = ScriptDirectory.from_config(
        alembic_config(service, database.versions_dir, database.base.metadata)
    )
    assert expected_heads(database.versions_dir) == frozenset(script.get_heads())


def test_a_database_never_migrated_names_the_command_to_run() -> None:
    import sqlalchemy as sa

    database = load("credit").db
    engine = sa.create_engine("sqlite://")
    with pytest.raises(SchemaNotCurrent, match="smartcity migrate credit"):
        check_schema_current(engine, "credit", database.versions_dir)
