"""The one-stop application workflow and the grid incident workflow: which action moves which
state where. An action not allowed in the current state is a ``Conflict`` naming that state.

Applications::

    submitted --accept--> accepted --review--> in_review --approve--> approved
                                                          --reject--> rejected
    accepted | in_review --return--> returned --resubmit (resident)--> submitted
    in_review --approve, credit down--> awaiting_credit_check --(retry)--> approved | rejected

``reject`` is also open from ``submitted`` and ``accepted`` (an ineligible filing need not be
reviewed). A resubmitted application starts again at ``submitted`` with its time limit counted
afresh from the resubmission day: the law counts the limit from the day the materials are
complete (Administrative Licensing Law art. 32).
"""

from __future__ import annotations

from math import ceil

from shared.errors import Conflict

OPEN_STATES = ("submitted", "accepted", "in_review", "awaiting_credit_check", "returned")
"""Not yet decided: the time limit runs (and the due lists show them)."""

DEPARTMENT_ACTIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "accept": (("submitted",), "accepted"),
    "review": (("accepted",), "in_review"),
    "approve": (("in_review",), "approved"),
    "reject": (("submitted", "accepted", "in_review", "awaiting_credit_check"), "rejected"),
    "return": (("accepted", "in_review"), "returned"),
}
RESIDENT_ACTIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "resubmit": (("returned",), "submitted"),
}

INCIDENT_ACTIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "assign": (("reported",), "assigned"),
    "resolve": (("assigned",), "resolved"),
    "close": (("resolved",), "closed"),
}


def next_state(table: dict[str, tuple[tuple[str, ...], str]], current: str, action: str) -> str:
    """The state ``action`` leads to from ``current``; ``Conflict`` naming ``current`` if the
    action is not open there."""
    allowed_from, target = table[action]
    if current not in allowed_from:
        raise Conflict(
            f"cannot {action}: the current state is {current}",
            fields={"status": [f"is {current}; {action} needs {' or '.join(allowed_from)}"]},
            extra={"current_state": current},
        )
    return target


def fast_track_limit(time_limit_days: int) -> int:
    """A red-listed applicant's time limit: half the legal one, rounded up (at least 1)."""
    return max(1, ceil(time_limit_days / 2))


def credit_verdict(check: dict) -> str:
    """What a credit check means for an approval: ``blocked`` (on the black list: joint
    punishment), ``fast_track`` (on the red list: joint reward) or ``clear``."""
    kinds = {entry["list"] for entry in check.get("lists", [])}
    if "black" in kinds:
        return "blocked"
    if "red" in kinds:
        return "fast_track"
    return "clear"


def credit_reason(check: dict) -> str:
    """The credit platform's own words for its verdict (list bases and measures)."""
    reasons = [r for r in check.get("reasons", []) if "list" in r] or check.get("reasons", [])
    return "; ".join(reasons)[:1000]
