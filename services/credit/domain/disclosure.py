"""What a department may record about a person, and what it is shown back.

**Purposes.** A record about an individual is processing of personal data, and a department
may do it only for a purpose it is granted. The purpose of a record is its category (a
penalty, a commendation, …); ``INDIVIDUAL_RECORD_PURPOSES`` grants each department the
categories it may report about people, whichever way the record arrives (the HTTP route or a
``*.administrative_penalty_issued`` / ``*.commendation_issued`` event). Records about
enterprises and organisations need no grant. Changing a grant is a change of this table,
reviewed like code, not something an API client's scopes can widen.

**Disclosure.** Individuals' credit files are keyed by resident ID number, but a department
that named the person by citizen card must never get the ID number back: every answer to a
department shows an individual's ``subject_id`` masked (``department_view``).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from shared.errors import Forbidden

INDIVIDUAL_RECORD_PURPOSES: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "traffic": frozenset({"administrative_penalty", "administrative_permit", "commendation"}),
        "health": frozenset({"administrative_penalty", "administrative_permit", "commendation"}),
        "education": frozenset({"commendation", "volunteer_service"}),
        "community": frozenset({"commendation", "volunteer_service"}),
        "tax": frozenset({"tax_arrears"}),
        "court": frozenset({"court_judgment", "dishonest_judgment_debtor"}),
    }
)
"""Department → the record categories it may report about individuals."""


def check_individual_purpose(department: str, subject_type: object, category: object) -> None:
    """``Forbidden`` unless ``department`` is granted ``category`` for records about people."""
    if subject_type != "individual":
        return
    if category not in INDIVIDUAL_RECORD_PURPOSES.get(department, frozenset()):
        raise Forbidden(
            f"{department} is not granted the purpose {category!s:.32} for records about "
            "individuals",
            fields={"category": ["not a purpose granted to this department for individuals"]},
        )


def mask_id_number(id_number: str) -> str:
    """All but the first 4 and last 4 characters hidden: ``2101**********123X``."""
    return id_number[:4] + "*" * (len(id_number) - 8) + id_number[-4:]


def department_view(record: Mapping[str, Any]) -> dict[str, Any]:
    """A record as a department sees it: an individual's ID number masked."""
    if record["subject_type"] != "individual":
        return dict(record)
    return {**record, "subject_id": mask_id_number(record["subject_id"])}


def objection_department_view(objection: Mapping[str, Any]) -> dict[str, Any]:
    """An objection as the source department sees it: its record's subject masked."""
    return {**objection, "record": department_view(objection["record"])}
