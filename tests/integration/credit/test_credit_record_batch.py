"""Credit's batch fast path (``handlers.record_decisions``) and its fallback
(``shared.event_batches.apply_batch``) on a real PostgreSQL built by the migrations."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from credit_samples import ENTERPRISE_CODE, OTHER_ENTERPRISE_CODE, TODAY
from sqlalchemy.orm import sessionmaker

from services.credit import handlers, record_batch
from services.credit.models import CreditRecord, ListEntry
from shared.contracts.envelope import new_envelope
from shared.db import UnitOfWork
from shared.event_batches import apply_batch
from shared.identity import credit_code_check_char
from shared.messaging import Event
from shared.outbox import outbox_table, processed_events_table

CONSUMER = "credit.on_penalty_issued"


def enterprise(n: int) -> str:
    first17 = f"91210100{n:09d}"
    return first17 + credit_code_check_char(first17)


def penalty(source_record_id: str, subject_id: str, **overrides: Any) -> Event:
    data = {
        "source_record_id": source_record_id,
        "subject_type": "enterprise",
        "subject_id": subject_id,
        "category": "administrative_penalty",
        "severity": "minor",
        "basis": f"decision {source_record_id}",
        "decided_on": "2025-05-01",
        "valid_until": "2027-05-01",
        "summary": None,
        **overrides,
    }
    envelope = new_envelope(
        "traffic.administrative_penalty_issued",
        data,
        source="traffic",
        version=1,
        subject=subject_id,
        request_id=f"req-{source_record_id}",
    )
    return Event.from_body(envelope)


def decisions(events: list[Event]) -> list[tuple[Event, dict[str, Any]]]:
    return [(event, {**event.data, "polarity": "negative"}) for event in events]


@contextmanager
def counted_statements(engine: sa.Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement.split(None, 1)[0].upper())

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def outbox_types(engine: sa.Engine) -> list[tuple[str, str | None]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(outbox_table.c.envelope).order_by(outbox_table.c.id))
        return [(row.envelope["type"], row.envelope["request_id"]) for row in rows]


def count_of(engine: sa.Engine, table: Any) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


@pytest.fixture
def uow(credit_engine: sa.Engine) -> Iterator[UnitOfWork]:
    unit = UnitOfWork(sessionmaker(credit_engine, expire_on_commit=False), "credit")
    yield unit
    unit.close()


def test_a_batch_costs_the_same_statements_whatever_its_size(credit_engine, uow):
    small = [penalty(f"S-{n}", enterprise(n)) for n in range(3)]
    large = [penalty(f"L-{n}", enterprise(100 + n)) for n in range(15)]
    with counted_statements(credit_engine) as for_small:
        handlers.record_decisions(uow, decisions(small), CONSUMER, TODAY)
        uow.commit()
    with counted_statements(credit_engine) as for_large:
        handlers.record_decisions(uow, decisions(large), CONSUMER, TODAY)
        uow.commit()
    # claim, subjects, records, counting records, standing entries, outbox (+ BEGIN, COMMIT)
    assert for_small == for_large
    assert for_small.count("INSERT") == 4 and for_small.count("SELECT") == 2
    assert count_of(credit_engine, CreditRecord.__table__) == 18
    assert count_of(credit_engine, processed_events_table) == 18
    assert outbox_types(credit_engine) == [
        ("credit.record_added", f"req-{event.data['source_record_id']}")
        for event in [*small, *large]
    ]


def test_lists_are_reconciled_once_per_subject_of_a_batch(credit_engine, uow):
    # Three negative records within 12 months put the enterprise on the black list.
    events = [penalty(f"B-{n}", ENTERPRISE_CODE) for n in range(3)]
    events.append(penalty("B-other", OTHER_ENTERPRISE_CODE))
    handlers.record_decisions(uow, decisions([*events, events[0]]), CONSUMER, TODAY)
    uow.commit()

    types = outbox_types(credit_engine)
    assert types.count(("credit.record_added", "req-B-0")) == 1  # the duplicate: once
    assert [t for t in types if t[0] == "credit.list_changed"] == [
        ("credit.list_changed", "req-B-2")  # one addition, by the subject's last event
    ]
    with sessionmaker(credit_engine)() as session:
        (entry,) = session.scalars(sa.select(ListEntry)).all()
        assert (entry.list_kind, entry.removed_on) == ("black", None)
        assert len(entry.basis_record_ids) == 3

    # Delivered again: every event id is claimed already, nothing is written.
    handlers.record_decisions(uow, decisions(events), CONSUMER, TODAY)
    uow.commit()
    assert outbox_types(credit_engine) == types
    assert count_of(credit_engine, CreditRecord.__table__) == 4


def test_a_record_stored_before_makes_the_fast_path_give_way(credit_engine, uow):
    stored = penalty("R-1", ENTERPRISE_CODE)
    handlers.record_decisions(uow, decisions([stored]), CONSUMER, TODAY)
    uow.commit()
    resent = penalty("R-1", ENTERPRISE_CODE)  # the same decision under a new event id
    with pytest.raises(record_batch.RecordExists):
        handlers.record_decisions(uow, decisions([resent]), CONSUMER, TODAY)
    uow.rollback()


def test_the_fallback_isolates_a_poison_event_and_applies_the_rest_once(credit_engine, uow):
    stored = penalty("F-0", enterprise(1))
    handlers.record_decisions(uow, decisions([stored]), CONSUMER, TODAY)
    uow.commit()
    good = [penalty(f"F-{n}", enterprise(n + 1)) for n in range(1, 4)]
    resent = penalty("F-0", enterprise(1))  # stored before, new event id: created=False
    poison = penalty("F-poison", enterprise(9), decided_on="2999-01-01")  # in the future
    batch = [good[0], resent, poison, good[1], good[0], good[2], stored]
    prepared = dict((event.event_id, payload) for event, payload in decisions(batch))

    def record_all(events: list[Event]) -> None:
        handlers.record_decisions(uow, [(e, prepared[e.event_id]) for e in events], CONSUMER, TODAY)

    def record_one(event: Event) -> None:
        handlers.record_decision(uow, event, CONSUMER, prepared[event.event_id], TODAY)

    failures = apply_batch(uow, batch, record_all, record_one)

    assert list(failures) == [poison.event_id]
    assert "decided_on" in str(failures[poison.event_id])
    with credit_engine.connect() as conn:
        sources = conn.execute(
            sa.select(CreditRecord.source_record_id).order_by(CreditRecord.source_record_id)
        ).scalars()
        assert list(sources) == ["F-0", "F-1", "F-2", "F-3"]
        claimed = conn.execute(sa.select(processed_events_table.c.event_id)).scalars()
        expected = {stored.event_id, resent.event_id, *(e.event_id for e in good)}
        assert {str(event_id) for event_id in claimed} == expected
    added = [t for t in outbox_types(credit_engine) if t[0] == "credit.record_added"]
    assert sorted(added) == sorted(
        ("credit.record_added", f"req-F-{n}") for n in range(4)
    )  # F-0 once (before), the resent repeat announced nothing


def test_a_batch_of_one_takes_the_savepoint_path(credit_engine, uow):
    event = penalty("O-1", ENTERPRISE_CODE)
    calls: list[str] = []

    def record_all(events: list[Event]) -> None:
        calls.append("all")

    def record_one(one: Event) -> None:
        calls.append("one")
        handlers.record_decision(uow, one, CONSUMER, {**one.data, "polarity": "negative"}, TODAY)

    assert apply_batch(uow, [event], record_all, record_one) == {}
    assert calls == ["one"]
    assert count_of(credit_engine, CreditRecord.__table__) == 1
