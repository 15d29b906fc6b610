"""The remote consultation centre's workflow: states, who moves them, and time limits.

requested → assigned → answered → closed; requested or assigned → cancelled. Any other move is
a conflict naming the state the consultation is in.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from shared.errors import Conflict

TRANSITIONS: dict[str, dict[str, str]] = {
    "assign": {"requested": "assigned"},
    "answer": {"assigned": "answered"},
    "close": {"answered": "closed"},
    "cancel": {"requested": "cancelled", "assigned": "cancelled"},
}
OPEN_STATES = ("requested", "assigned")
"""States in which the centre still owes an answer (and may be overdue)."""

TIME_LIMITS = {
    "emergency": timedelta(hours=1),
    "urgent": timedelta(hours=24),
    "routine": timedelta(hours=72),
}
"""From the request to the specialist's answer."""


def next_state(action: str, state: str) -> str:
    """The state ``action`` leads to from ``state``; ``Conflict`` (409) naming it otherwise."""
    target = TRANSITIONS[action].get(state)
    if target is None:
        allowed = ", ".join(TRANSITIONS[action])
        raise Conflict(
            f"cannot {action} a consultation that is {state} (only when {allowed})",
            fields={"state": [state]},
            extra={"state": state},
        )
    return target


def due_at(urgency: str, requested_at: datetime) -> datetime:
    return requested_at + TIME_LIMITS[urgency]


def is_overdue(state: str, due: datetime, now: datetime) -> bool:
    return state in OPEN_STATES and due < now
