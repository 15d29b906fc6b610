"""Which department's webhooks may receive which restricted events: one declared table.

Events are ``public`` or ``restricted`` (``shared/contracts/catalogue.py``). Public events
reach every subscriber. Restricted ones carry personal data (ID and card numbers, whose data
was accessed) or a department's own business, so a department's webhook receives a
restricted event only when its type matches a pattern (AMQP topic syntax) the table grants
that department. Integrators receive public events only; nobody receives
``*.personal_data_accessed`` (the access log is read through the API, by the resident it is
about) or ``platform.citizen_card_issued``.

Changing a grant is a change of this table, reviewed like code: an API client's scopes cannot
widen it. Each delivery of a restricted event that names a resident is audited in that
resident's access log (``services/platform/webhooks.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

RESTRICTED_EVENTS_BY_DEPARTMENT: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        # The credit office follows every decision reported to it and the lists it keeps.
        "credit": (
            "*.administrative_penalty_issued",
            "*.commendation_issued",
            "credit.#",
        ),
        # Departments applying joint rewards and punishment follow the red and black lists.
        "health": ("credit.list_changed",),
        "education": ("credit.list_changed",),
        "community": ("credit.list_changed",),
        # Tourism follows its own bookings (e.g. for the venue operators' systems).
        "tourism": ("credit.list_changed", "tourism.ticket_booked"),
        # Traffic follows its own reservations (e.g. for the car park operators' systems).
        "traffic": ("credit.list_changed", "traffic.parking_reserved"),
    }
)
"""Department → topic patterns of the restricted event types its webhooks may receive."""


def restricted_patterns(department: str | None) -> tuple[str, ...]:
    """The patterns of restricted events ``department`` may receive (none for an unknown one)."""
    return RESTRICTED_EVENTS_BY_DEPARTMENT.get(department or "", ())
