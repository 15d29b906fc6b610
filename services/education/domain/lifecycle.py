"""The life of an e-student ID: which step is allowed from which status, and what it announces.

A card is *current* while it is ``active`` or ``suspended``; a citizen holds at most one current
card (a partial unique index in the database). Graduation, revocation and a transfer end the
card; a transfer also issues a new one at the receiving school.
"""

from __future__ import annotations

from shared.errors import Conflict

CURRENT_STATUSES = ("active", "suspended")
ENDED_STATUSES = ("graduated", "revoked", "transferred")
STATUSES = CURRENT_STATUSES + ENDED_STATUSES

ACTIONS: dict[str, tuple[tuple[str, ...], str, str]] = {
    # action: (statuses it applies to, status after, event type it publishes)
    "suspend": (("active",), "suspended", "education.student_card_suspended"),
    "reinstate": (("suspended",), "active", "education.student_card_issued"),
    "graduate": (CURRENT_STATUSES, "graduated", "education.student_card_revoked"),
    "revoke": (CURRENT_STATUSES, "revoked", "education.student_card_revoked"),
    "transfer": (CURRENT_STATUSES, "transferred", "education.student_card_revoked"),
}
ISSUED = "education.student_card_issued"


def step(status: str, action: str) -> tuple[str, str]:
    """``(new status, event type)`` of ``action`` on a card in ``status``; ``Conflict`` (409)
    when the card is not in a status the action applies to (e.g. reinstating a revoked card)."""
    allowed, after, event_type = ACTIONS[action]
    if status not in allowed:
        raise Conflict(
            f"cannot {action} a card that is {status}",
            fields={"status": [f"card is {status}; {action} needs {' or '.join(allowed)}"]},
        )
    return after, event_type
