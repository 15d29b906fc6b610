"""Applying a batch of events in one transaction: all at once, else each in its own savepoint.

``shared.messaging.EventSubscriber`` hands a ``batch=True`` handler a list of events; the
handler returns ``apply_each(self.db, events, apply_one)``, or ``apply_batch(self.db, events,
apply_all, apply_one)`` when it has a set-based form (a few statements for the whole batch).
The subscriber acknowledges the events that committed and retries (then dead-letters) each one
that failed, alone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError

if TYPE_CHECKING:
    from shared.db import UnitOfWork
    from shared.messaging import Event

log = logging.getLogger(__name__)

EventFailures = dict[str, BaseException]
"""What a batch handler returns: the event ids that failed, each with its error."""


def apply_each(
    uow: UnitOfWork, events: list[Event], apply: Callable[[Event], object]
) -> EventFailures:
    """Apply each event in a savepoint of one transaction, commit once; return the failures.

    A unique-key clash (a concurrent worker stored the same row or claimed the same event)
    runs that event once more, as ``commit_retrying`` does: the second run finds the row, or
    ``claim`` returns False. Each event's outbox entries carry its own request id.
    """
    failures: EventFailures = {}
    for event in events:
        uow.context["request_id"] = event.request_id
        try:
            try:
                _in_savepoint(uow, event, apply)
            except IntegrityError:
                _in_savepoint(uow, event, apply)
        except Exception as exc:
            log.warning("event %s (%s) failed in its batch: %s", event.event_id, event.type, exc)
            failures[event.event_id] = exc
    uow.context.pop("request_id", None)
    uow.commit()
    return failures


def apply_batch(
    uow: UnitOfWork,
    events: list[Event],
    apply_all: Callable[[list[Event]], object],
    apply_one: Callable[[Event], object],
) -> EventFailures:
    """The fast path: ``apply_all(events)`` and one commit, no savepoints. If anything of it
    fails (a poison event, a unique-key clash with a concurrent worker, a deadlock), nothing of
    it is kept: the batch runs again through ``apply_each``, so the failing event is found and
    goes alone to retry / dead letters while the others commit.

    ``apply_all`` must have the effect of ``apply_one`` on each event in turn (idempotency
    included: ``uow.claim_many`` in the same transaction); it may raise for any event.
    """
    if len(events) > 1:
        try:
            apply_all(events)
            uow.commit()
            return {}
        except Exception as exc:
            uow.rollback()
            log.info("batch of %d fell back to one savepoint per event: %s", len(events), exc)
        finally:
            uow.context.pop("request_id", None)
    return apply_each(uow, events, apply_one)


def _in_savepoint(uow: UnitOfWork, event: Event, apply: Callable[[Event], object]) -> None:
    savepoint = uow.session.begin_nested()
    try:
        apply(event)
        uow.session.flush()  # a clash raises here, inside the savepoint
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()
