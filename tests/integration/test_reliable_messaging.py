"""The messaging claims of the foundation, proven against real RabbitMQ and PostgreSQL.

- an event written with its state change is delivered even when the broker was down at commit;
- a state change that fails writes no event (same transaction);
- a duplicate delivery has one effect;
- a handler that keeps failing ends in the dead-letter queue, with its error, and can be replayed;
- a consumer killed in the middle of a batch loses nothing once it runs again.
"""

import pytest
import sqlalchemy as sa
from helpers import pika_url, publish_raw, wait_for
from messaging_app.app import (
    MIGRATIONS,
    Base,
    BlockedSubject,
    InspectionService,
    LedgerEntry,
    LedgerService,
    issue_penalty,
    penalty_payload,
)
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy.orm import Session, sessionmaker

from shared.contracts.envelope import new_envelope
from shared.db import UnitOfWork, make_engine, migrate
from shared.outbox import OutboxRelay, outbox_table
from smartcity.dead_letters import list_dead_letters, replay_dead_letters

CREDIT_CODE = "91110000600037341L"


def start(runner_factory, config, service_cls):
    runner = runner_factory(config, service_cls)
    runner.start()
    return runner


def ledger_rows(config) -> list[LedgerEntry]:
    engine = make_engine(config["DATABASE_URLS"]["ledger"])
    with Session(engine) as session:
        rows = session.scalars(sa.select(LedgerEntry)).all()
    engine.dispose()
    return rows


def penalty_envelope(record_id: str, subject_id: str = CREDIT_CODE) -> dict:
    return new_envelope(
        "inspection.administrative_penalty_issued",
        penalty_payload(record_id, subject_id),
        source="inspection",
        version=1,
        subject=subject_id,
    )


def test_event_written_while_broker_down_is_delivered_when_relay_catches_up(
    service_config, runner_factory
):
    ledger_config = service_config("ledger")
    start(runner_factory, ledger_config, LedgerService)
    inspection_config = service_config("inspection")
    engine = make_engine(inspection_config["DATABASE_URLS"]["inspection"])
    migrate(engine, "inspection", MIGRATIONS, Base.metadata)

    envelope = issue_penalty(UnitOfWork(sessionmaker(engine), "inspection"), "P-1", CREDIT_CODE)
    # Nothing listens on port 1: this relay meets a broker that is down.
    relay_without_broker = OutboxRelay(engine, "amqp://guest:guest@127.0.0.1:1/")
    assert relay_without_broker.publish_pending() == 0
    with engine.connect() as conn:
        row = conn.execute(sa.select(outbox_table)).one()
    assert row.published_at is None and row.attempts == 1 and row.last_error

    # The broker is reachable again: the service's own relay catches up on start.
    start(runner_factory, inspection_config, InspectionService)
    rows = wait_for(lambda: ledger_rows(ledger_config))
    assert [(r.event_id, r.source_record_id) for r in rows] == [(envelope["event_id"], "P-1")]
    wait_for(lambda: OutboxRelay(engine, "unused").pending_count() == 0)
    engine.dispose()


def test_rpc_write_publishes_event_with_the_callers_request_id(service_config, runner_factory):
    ledger_config = service_config("ledger")
    inspection_config = service_config("inspection")
    start(runner_factory, ledger_config, LedgerService)
    start(runner_factory, inspection_config, InspectionService)

    with ClusterRpcProxy(inspection_config, context_data={"request_id": "req-42"}) as cluster:
        envelope = cluster.inspection.issue("P-7", CREDIT_CODE)

    assert envelope["request_id"] == "req-42"
    rows = wait_for(lambda: ledger_rows(ledger_config))
    assert [r.event_id for r in rows] == [envelope["event_id"]]


def test_failed_state_change_writes_no_event(service_config):
    config = service_config("inspection")
    engine = make_engine(config["DATABASE_URLS"]["inspection"])
    migrate(engine, "inspection", MIGRATIONS, Base.metadata)
    issue_penalty(UnitOfWork(sessionmaker(engine), "inspection"), "P-1", CREDIT_CODE)

    with pytest.raises(sa.exc.IntegrityError):  # same record id: the insert fails at commit
        issue_penalty(UnitOfWork(sessionmaker(engine), "inspection"), "P-1", CREDIT_CODE)

    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(outbox_table)).scalar() == 1
    engine.dispose()


def test_duplicate_delivery_has_one_effect(service_config, runner_factory, rabbit_config):
    config = service_config("ledger")
    start(runner_factory, config, LedgerService)
    envelope = penalty_envelope("P-2")

    publish_raw(rabbit_config["AMQP_URI"], envelope, times=3)

    wait_for(lambda: ledger_rows(config))
    eventlet_settle = 0.5  # give the two duplicates time to be (not) applied
    import eventlet

    eventlet.sleep(eventlet_settle)
    assert [r.event_id for r in ledger_rows(config)] == [envelope["event_id"]]


def test_failing_handler_dead_letters_then_replay_applies(
    service_config, runner_factory, rabbit_config
):
    config = service_config("ledger", EVENT_RETRY_ATTEMPTS=3)
    engine = make_engine(config["DATABASE_URLS"]["ledger"])
    migrate(engine, "ledger", MIGRATIONS, Base.metadata)
    with Session(engine) as session:
        session.add(BlockedSubject(subject_id=CREDIT_CODE))
        session.commit()
    start(runner_factory, config, LedgerService)
    envelope = penalty_envelope("P-3")
    amqp = pika_url(rabbit_config["AMQP_URI"])

    publish_raw(rabbit_config["AMQP_URI"], envelope)

    letters = wait_for(lambda: list_dead_letters(amqp, "ledger"))
    assert len(letters) == 1
    letter = letters[0]
    assert letter.event_id == envelope["event_id"]
    assert letter.consumer == "ledger.record_penalty"
    assert letter.attempts == 3
    assert "RuntimeError: subject 91110000600037341L is blocked" in letter.error
    assert ledger_rows(config) == []

    with Session(engine) as session:  # the operator fixes the cause ...
        session.execute(sa.delete(BlockedSubject))
        session.commit()
    assert replay_dead_letters(amqp, "ledger").replayed == 1  # ... and replays

    rows = wait_for(lambda: ledger_rows(config))
    assert [r.event_id for r in rows] == [envelope["event_id"]]
    assert list_dead_letters(amqp, "ledger") == []
    engine.dispose()


def test_malformed_message_goes_straight_to_dead_letters(
    service_config, runner_factory, rabbit_config
):
    config = service_config("ledger")
    start(runner_factory, config, LedgerService)
    broken = penalty_envelope("P-4")
    del broken["data"]["subject_id"]

    publish_raw(rabbit_config["AMQP_URI"], broken)

    letters = wait_for(lambda: list_dead_letters(pika_url(rabbit_config["AMQP_URI"]), "ledger"))
    assert letters[0].attempts == 0
    assert "subject_id" in letters[0].error


class SlowLedgerService(LedgerService):
    handling_delay_s = 0.05


def test_consumer_killed_mid_batch_loses_nothing(service_config, runner_factory, rabbit_config):
    config = service_config("ledger", max_workers=4)
    engine = make_engine(config["DATABASE_URLS"]["ledger"])
    migrate(engine, "ledger", MIGRATIONS, Base.metadata)
    # Bind the queue first so that events published before the consumer runs wait for it.
    first = start(runner_factory, config, SlowLedgerService)
    first.stop()
    envelopes = [penalty_envelope(f"P-{n}") for n in range(40)]
    for envelope in envelopes:
        publish_raw(rabbit_config["AMQP_URI"], envelope)

    runner = start(runner_factory, config, SlowLedgerService)
    wait_for(lambda: len(ledger_rows(config)) >= 5)
    runner.kill()  # abrupt: in-flight and prefetched messages are not acknowledged
    processed_before_kill = len(ledger_rows(config))
    assert processed_before_kill < 40

    start(runner_factory, config, SlowLedgerService)
    wait_for(lambda: len(ledger_rows(config)) == 40, timeout=30)
    assert sorted(r.event_id for r in ledger_rows(config)) == sorted(
        e["event_id"] for e in envelopes
    )
    engine.dispose()


def test_log_lines_of_every_worker_carry_the_request_id(service_config, runner_factory, caplog):
    ledger_config = service_config("ledger")
    inspection_config = service_config("inspection")
    start(runner_factory, ledger_config, LedgerService)
    start(runner_factory, inspection_config, InspectionService)

    with caplog.at_level("INFO"):
        with ClusterRpcProxy(inspection_config, context_data={"request_id": "req-77"}) as cluster:
            cluster.inspection.issue("P-8", CREDIT_CODE)
        wait_for(lambda: ledger_rows(ledger_config))
        wait_for(
            lambda: any(r.getMessage().startswith("ledger.record_penalty") for r in caplog.records)
        )

    lines = {
        r.getMessage().split()[0]: r for r in caplog.records if r.name == "shared.observability"
    }
    # The RPC worker, and the event handler the event it wrote caused, both log req-77.
    assert lines["inspection.issue"].request_id == "req-77"
    assert lines["inspection.issue"].service == "inspection"
    assert lines["ledger.record_penalty"].request_id == "req-77"


def test_pruning_forgets_old_published_events_and_marks_but_never_pending_ones(service_config):
    import datetime as dt
    import uuid

    from shared.outbox import processed_events_table

    config = service_config("inspection")
    engine = make_engine(config["DATABASE_URLS"]["inspection"])
    migrate(engine, "inspection", MIGRATIONS, Base.metadata)
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
    for record_id in ("P-old", "P-pending"):
        issue_penalty(UnitOfWork(sessionmaker(engine), "inspection"), record_id, CREDIT_CODE)
    with engine.begin() as conn:
        oldest = conn.execute(sa.select(sa.func.min(outbox_table.c.id))).scalar()
        conn.execute(
            sa.update(outbox_table).where(outbox_table.c.id == oldest).values(published_at=old)
        )
        conn.execute(
            sa.insert(processed_events_table),
            [
                {"consumer": "ledger.x", "event_id": uuid.uuid4(), "processed_at": old},
                {
                    "consumer": "ledger.x",
                    "event_id": uuid.uuid4(),
                    "processed_at": dt.datetime.now(dt.UTC),
                },
            ],
        )

    published, marks = OutboxRelay(engine, "unused").prune(
        dt.datetime.now(dt.UTC) - dt.timedelta(days=14)
    )

    assert (published, marks) == (1, 1)
    with engine.connect() as conn:
        left = conn.execute(sa.select(outbox_table.c.published_at)).all()
        assert left == [(None,)]  # the pending one stays, however old
        assert (
            conn.execute(sa.select(sa.func.count()).select_from(processed_events_table)).scalar()
            == 1
        )
    engine.dispose()
