"""The relay holds no transaction while it talks to the broker; a lease keeps relays apart."""

import sqlalchemy as sa
from messaging_app.app import MIGRATIONS, Base, issue_penalty
from sqlalchemy.orm import sessionmaker

from shared.db import UnitOfWork, make_engine, migrate
from shared.outbox import OutboxRelay, outbox_table

CREDIT_CODE = "91110000600037341L"


def _outbox_with_events(config: dict, count: int) -> sa.Engine:
    engine = make_engine(config["DATABASE_URLS"]["inspection"])
    migrate(engine, "inspection", MIGRATIONS, Base.metadata)
    for n in range(count):
        issue_penalty(UnitOfWork(sessionmaker(engine), "inspection"), f"P-{n}", CREDIT_CODE)
    return engine


def _open_transactions(engine: sa.Engine) -> int:
    """Sessions of this database (other than ours) that sit inside a transaction."""
    with engine.connect() as conn:
        return conn.execute(
            sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'"
            )
        ).scalar_one()


class ObservingRelay(OutboxRelay):
    """A relay that looks at the database at the moment it publishes each batch."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.open_transactions_while_publishing: list[int] = []

    def _publish_batch(self, rows):
        self.open_transactions_while_publishing.append(_open_transactions(self.engine))
        return super()._publish_batch(rows)


def test_no_transaction_is_open_while_the_relay_publishes(service_config, rabbit_config):
    engine = _outbox_with_events(service_config("inspection"), 3)
    relay = ObservingRelay(engine, rabbit_config["AMQP_URI"])

    assert relay.publish_pending() == 3

    assert relay.open_transactions_while_publishing == [0]  # one batch, confirmed once
    assert relay.pending_count() == 0
    engine.dispose()


def test_a_claimed_batch_is_not_taken_by_another_instance_until_its_lease_runs_out(
    service_config, rabbit_config
):
    engine = _outbox_with_events(service_config("inspection"), 3)
    first = OutboxRelay(engine, rabbit_config["AMQP_URI"], batch_size=2)
    second = OutboxRelay(engine, rabbit_config["AMQP_URI"])

    claimed_by_first = [row.id for row in first._claim_batch()]
    claimed_by_second = [row.id for row in second._claim_batch()]

    assert len(claimed_by_first) == 2 and len(claimed_by_second) == 1
    assert set(claimed_by_first).isdisjoint(claimed_by_second)
    assert second._claim_batch() == []  # both leases still run

    # The first instance died with its batch: once the lease is over, another takes it, in order.
    with engine.begin() as conn:
        conn.execute(
            sa.update(outbox_table)
            .where(outbox_table.c.id.in_(claimed_by_first))
            .values(claimed_until=sa.func.now() - sa.text("interval '1 second'"))
        )
    assert [row.id for row in second._claim_batch()] == sorted(claimed_by_first)
    engine.dispose()


def test_a_failed_publish_releases_the_rest_of_the_claim_for_the_next_tick(service_config):
    engine = _outbox_with_events(service_config("inspection"), 2)
    relay_without_broker = OutboxRelay(engine, "amqp://guest:guest@127.0.0.1:1/")

    assert relay_without_broker.publish_pending() == 0

    with engine.connect() as conn:
        rows = conn.execute(sa.select(outbox_table).order_by(outbox_table.c.id)).all()
    assert [(r.attempts, r.claimed_until, r.published_at) for r in rows] == [
        (1, None, None),
        (0, None, None),
    ]
    engine.dispose()
