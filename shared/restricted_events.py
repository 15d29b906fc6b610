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
        # Hospitals learn of records, consents and consultations of their patients, and the
        # community offices of the applications they handle (per unit: UNIT_AUDIENCE).
        "health": (
            "credit.list_changed",
            "health.record_added",
            "health.consent_changed",
            "health.consultation_requested",
            "health.consultation_answered",
        ),
        "education": ("credit.list_changed",),
        "community": (
            "credit.list_changed",
            "community.application_submitted",
            "community.application_decided",
        ),
        # Tourism follows its own bookings (e.g. for the venue operators' systems).
        "tourism": ("credit.list_changed", "tourism.ticket_booked"),
        # Traffic follows its own reservations (e.g. for the car park operators' systems).
        "traffic": ("credit.list_changed", "traffic.parking_reserved"),
    }
)
"""Department → topic patterns of the restricted event types its webhooks may receive."""


UNIT_AUDIENCE: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "health.record_added": ("author_organization_id", "notified_organization_ids"),
        "health.consent_changed": ("organization_id",),
        "health.consultation_requested": ("requesting_organization_id",),
        "health.consultation_answered": ("requesting_organization_id",),
        "community.application_submitted": ("department",),
        "community.application_decided": ("department",),
    }
)
"""Restricted events that concern single units of a department (a hospital, an office): the
payload fields naming the units that may receive one. A client of such a unit gets the event
only when it is named there; a client without a unit speaks for the whole department (the
consultation centre, the health bureau) and gets them all. Another hospital's patients never
reach a hospital's webhook."""


def unit_may_receive(event_type: str, unit: str | None, data: Mapping[str, object]) -> bool:
    """Whether a department client of ``unit`` may receive this event (see ``UNIT_AUDIENCE``)."""
    fields = UNIT_AUDIENCE.get(event_type)
    if fields is None or unit is None:
        return True
    named: set[object] = set()
    for name in fields:
        value = data.get(name)
        named.update(value if isinstance(value, list) else [value])
    return unit in named


def restricted_patterns(department: str | None) -> tuple[str, ...]:
    """The patterns of restricted events ``department`` may receive (none for an unknown one)."""
    return RESTRICTED_EVENTS_BY_DEPARTMENT.get(department or "", ())
