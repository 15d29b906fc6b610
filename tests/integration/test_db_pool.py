"""The pool pings a connection only after it sat idle, and replaces one the server closed
(shared.pool, used by shared.db.make_engine), against the real PostgreSQL."""

from __future__ import annotations

import psycopg2.extensions
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import ReadSessionWrites, make_engine, read_session_factory
from shared.pool import ping_when_idle


def test_a_connection_in_use_a_moment_ago_is_not_pinged(database_url):
    """No round trip before each checkout under load: a connection back in the pool a moment
    ago is handed out as it is. Were it closed by the server meanwhile, that one statement
    fails (as a statement does whose connection dies while it runs) and the pool connects
    anew for the next."""
    url = database_url("pool")
    engine = make_engine(url)
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            first_pid = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": first_pid})
        with pytest.raises(sa.exc.OperationalError), engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))  # not pinged first: the dead one was handed out
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one() != first_pid
    finally:
        engine.dispose()
        admin.dispose()


def test_an_idle_connection_the_server_closed_is_replaced(database_url):
    url = database_url("pool")
    # Every connection counts as idle at once: the checkout pings it.
    engine = ping_when_idle(sa.create_engine(url, pool_size=1, max_overflow=0), 0.0)
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            first_pid = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        with admin.connect() as conn:  # a restart or an idle timeout, as the server sees it
            assert conn.execute(
                sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": first_pid}
            ).scalar_one()
        with engine.connect() as conn:  # the ping finds it gone; the pool connects anew
            second_pid = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
            assert conn.execute(sa.text("SELECT 1")).scalar_one() == 1
        assert second_pid != first_pid
    finally:
        engine.dispose()
        admin.dispose()


def test_a_live_idle_connection_is_pinged_and_kept(database_url):
    url = database_url("pool")
    engine = ping_when_idle(sa.create_engine(url, pool_size=1, max_overflow=0), 0.0)
    try:
        with engine.connect() as conn:
            first_pid = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        with engine.connect() as conn:
            # the ping left no transaction open behind it
            status = conn.connection.dbapi_connection.get_transaction_status()
            assert status == psycopg2.extensions.TRANSACTION_STATUS_IDLE
            assert conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one() == first_pid
    finally:
        engine.dispose()


def test_read_sessions_run_each_statement_alone_on_the_engines_own_connections(database_url):
    """``read_session_factory``, behind ``UnitOfWork.read_session``: no transaction is opened
    (one round trip per read, not BEGIN, the read and ROLLBACK); the connection is one of the
    engine's pool and goes back to it transactional again, switched without a statement; an
    ORM write is refused."""
    url = database_url("pool")
    engine = ping_when_idle(sa.create_engine(url, pool_size=1, max_overflow=0))
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE IF NOT EXISTS readings (n int PRIMARY KEY)"))
            conn.execute(sa.text("INSERT INTO readings VALUES (1)"))
            backend = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        with read_session_factory(engine)() as session:
            conn = session.connection()
            assert conn.execute(sa.text("SELECT count(*) FROM readings")).scalar_one() == 1
            assert conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one() == backend
            assert conn.connection.dbapi_connection.get_transaction_status() == (
                psycopg2.extensions.TRANSACTION_STATUS_IDLE  # no transaction block open
            )
            session.add(Reading(n=2))
            with pytest.raises(ReadSessionWrites):
                session.flush()
        with engine.connect() as conn:  # the pool's one connection, back in its own mode
            assert not conn.connection.dbapi_connection.autocommit
            # Never given an explicit isolation level, after which psycopg2 would send a SET
            # at every switch of autocommit: two more round trips a read.
            assert conn.connection.dbapi_connection.isolation_level is None
            conn.execute(sa.text("SELECT 1"))
            assert conn.connection.dbapi_connection.get_transaction_status() == (
                psycopg2.extensions.TRANSACTION_STATUS_INTRANS
            )
            assert conn.execute(sa.text("SELECT count(*) FROM readings")).scalar_one() == 1
    finally:
        engine.dispose()


class _Base(DeclarativeBase):
    pass


class Reading(_Base):
    __tablename__ = "readings"
    n: Mapped[int] = mapped_column(primary_key=True)
