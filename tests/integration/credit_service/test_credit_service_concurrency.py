"""Two records of one subject stored at the same time still put it on the black list.

Black list (services/credit/rules.json): 3 negative records decided within 12 months. The
subject has one committed record; two transactions add the second and the third at once.
Each alone sees two records; the list decision must see all three.
"""

from __future__ import annotations

import eventlet
from credit_service_support import TODAY, days_ago, record_payload
from helpers import lock_waiters, wait_for
from sqlalchemy.orm import Session

from services.credit import repository
from services.credit.models import Base
from services.credit.service import MIGRATIONS
from shared.db import make_engine, migrate


def test_concurrent_records_of_one_subject_are_counted_together(database_url):
    engine = make_engine(database_url("credit"))
    migrate(engine, "credit", MIGRATIONS, Base.metadata)

    def penalty(number: int) -> dict:
        return record_payload(f"MS-{number}", severity="minor", decided_on=days_ago(10 * number))

    with Session(engine) as session:
        repository.add_record(session, "market_supervision", penalty(1), TODAY)
        session.commit()

    first, second = Session(engine), Session(engine)
    _, _, first_changes = repository.add_record(first, "market_supervision", penalty(2), TODAY)
    assert first_changes == []  # it sees records 1 and 2 only
    # The second transaction waits for the first at the subject's lock ...
    racing = eventlet.spawn(repository.add_record, second, "market_supervision", penalty(3), TODAY)
    wait_for(lambda: lock_waiters(engine) == 1)
    assert not racing.dead
    first.commit()
    # ... and then counts the first one's record as well: 3 negatives, black list.
    _, created, second_changes = racing.wait()
    second.commit()
    assert created
    assert [(c["list"], c["change"]) for c in second_changes] == [("black", "added")]
    for session in (first, second):
        session.close()
    engine.dispose()
