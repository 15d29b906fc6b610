"""``outbox_lag_seconds`` (the ops overview's ``event_lag_seconds``): the age of the oldest event
the broker has not confirmed, by the database's clock."""

import sqlalchemy as sa
from messaging_app.app import MIGRATIONS, Base, issue_penalty
from sqlalchemy.orm import sessionmaker

from shared.db import UnitOfWork, make_engine, migrate
from shared.outbox import OutboxRelay, outbox_table

CREDIT_CODE = "91110000600037341L"


def test_the_lag_is_the_age_of_the_oldest_unpublished_event(service_config, rabbit_config):
    engine = make_engine(service_config("inspection")["DATABASE_URLS"]["inspection"])
    migrate(engine, "inspection", MIGRATIONS, Base.metadata)
    sessions = sessionmaker(engine)

    def lag() -> float:
        unit = UnitOfWork(sessions, "inspection")
        try:
            return unit.outbox_lag_seconds()
        finally:
            unit.close()

    assert lag() == 0.0  # nothing waits

    for n in range(2):
        issue_penalty(UnitOfWork(sessions, "inspection"), f"P-{n}", CREDIT_CODE)
    with engine.begin() as conn:  # the first one has waited ten minutes, the second one not
        first = conn.execute(sa.select(sa.func.min(outbox_table.c.id))).scalar_one()
        conn.execute(
            sa.update(outbox_table)
            .where(outbox_table.c.id == first)
            .values(created_at=sa.func.now() - sa.text("interval '10 minutes'"))
        )
    assert 600 <= lag() < 700

    assert OutboxRelay(engine, rabbit_config["AMQP_URI"]).publish_pending() == 2
    assert lag() == 0.0
    engine.dispose()
