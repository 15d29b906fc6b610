"""``UnitOfWork.claim`` and ``claim_many`` on a real PostgreSQL: one statement, new ids only,
and a concurrent duplicate waits for the first claim instead of claiming twice."""

import uuid

import eventlet
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from shared.db import UnitOfWork, make_engine
from shared.outbox import messaging_metadata, processed_events_table

CONSUMER = "ledger.on_penalty"


def unit_of_work(engine: sa.Engine) -> UnitOfWork:
    return UnitOfWork(sessionmaker(engine), "ledger")


def marks(engine: sa.Engine) -> list[str]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(processed_events_table.c.event_id)).scalars()
        return sorted(str(row) for row in rows)


def ids(n: int) -> list[str]:
    return [str(uuid.uuid4()) for _ in range(n)]


def test_claim_many_returns_only_the_ids_not_claimed_before(database_url):
    engine = make_engine(database_url("ledger"))
    messaging_metadata.create_all(engine)
    old, new = ids(2), ids(3)
    first = unit_of_work(engine)
    assert first.claim_many(old, CONSUMER) == set(old)
    first.commit()
    first.close()

    second = unit_of_work(engine)
    # already claimed, new, and one new id twice in the same batch
    assert second.claim_many([*old, *new, new[0]], CONSUMER) == set(new)
    assert second.claim_many(new, CONSUMER) == set()  # in the same transaction: seen
    assert second.claim_many(old, "other.consumer") == set(old)  # per consumer
    assert second.claim(new[0], CONSUMER) is False
    second.rollback()
    second.close()
    assert marks(engine) == sorted(old)  # the rolled-back claims are gone

    third = unit_of_work(engine)
    assert third.claim(new[0], CONSUMER) is True
    third.commit()
    third.close()
    assert marks(engine) == sorted([*old, new[0]])
    engine.dispose()


def test_a_concurrent_duplicate_claim_waits_and_then_claims_only_what_is_left(database_url):
    engine = make_engine(database_url("ledger"))
    messaging_metadata.create_all(engine)
    shared_id, mine, theirs = ids(3)
    first, second = unit_of_work(engine), unit_of_work(engine)
    assert first.claim_many([mine, shared_id], CONSUMER) == {mine, shared_id}
    # The second claim blocks on the first's uncommitted mark of ``shared_id``.
    waiting = eventlet.spawn(second.claim_many, [shared_id, theirs], CONSUMER)
    eventlet.sleep(0.3)
    first.commit()
    assert waiting.wait() == {theirs}
    second.commit()
    assert marks(engine) == sorted([shared_id, mine, theirs])
    first.close()
    second.close()
    engine.dispose()
