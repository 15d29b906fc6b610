"""``shared.prepared.PreparedRead`` against the real PostgreSQL: prepared once per connection,
run by name, and prepared again when a migration changed its tables under it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from shared.db import read_session_factory
from shared.prepared import PreparedRead

readings = sa.table("readings", sa.column("n"), sa.column("label"))
BY_N = PreparedRead(
    "test_readings_by_n",
    sa.select(readings.c.n, readings.c.label)
    .where(readings.c.n >= sa.bindparam("from_n"))
    .order_by(readings.c.n)
    .limit(2),
)


@pytest.fixture
def engine(database_url):
    engine = sa.create_engine(database_url("prepared"), pool_size=1, max_overflow=0)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE readings (n int PRIMARY KEY, label text)"))
        conn.execute(sa.text("INSERT INTO readings VALUES (1, 'a'), (2, 'b'), (3, 'c')"))
    yield engine
    engine.dispose()


def _prepared_names(conn) -> list[str]:
    return list(conn.scalars(sa.text("SELECT name FROM pg_prepared_statements")))


def test_a_read_is_prepared_once_per_connection_and_answers_by_name(engine):
    with engine.connect() as conn:
        assert [tuple(row) for row in BY_N.execute(conn, {"from_n": 2})] == [(2, "b"), (3, "c")]
        assert _prepared_names(conn) == ["test_readings_by_n"]
        assert BY_N.execute(conn, {"from_n": 3}).one().label == "c"  # by column name too
        assert _prepared_names(conn) == ["test_readings_by_n"]  # not prepared twice


def test_a_changed_table_is_prepared_again_outside_a_transaction(engine):
    read_session = read_session_factory(engine)
    with read_session() as session:
        assert BY_N.execute(session.connection(), {"from_n": 1}).first().label == "a"
    with engine.begin() as conn:  # a migration changes the result's type
        conn.execute(sa.text("ALTER TABLE readings ALTER COLUMN label TYPE varchar(8)"))
    with read_session() as session:  # the pool's one connection, prepared before the change
        assert BY_N.execute(session.connection(), {"from_n": 1}).first().label == "a"


def test_inside_a_transaction_the_connection_is_dropped_and_the_error_raised(engine):
    with engine.connect() as conn:
        BY_N.execute(conn, {"from_n": 1}).all()
        conn.commit()
        backend = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        conn.commit()
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE readings ALTER COLUMN label TYPE varchar(8)"))
    with engine.connect() as conn, pytest.raises(sa.exc.NotSupportedError):
        BY_N.execute(conn, {"from_n": 1})
    with engine.connect() as conn:  # a new connection, which prepares it afresh
        assert conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one() != backend
        assert BY_N.execute(conn, {"from_n": 1}).first().label == "a"
