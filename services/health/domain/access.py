"""Who may read a patient's records: the pure rules behind every read.

- A resident reads what is about them (their citizen card), nothing else.
- An institution always reads what it wrote itself (it is the author).
- Another institution reads under a consent in force that permits it: status ``active``, the
  moment inside its period. A deny in force for that institution wins over a permit.
- Without consent, an institution reads only by break-glass: a stated emergency reason, which
  becomes the audited purpose (``break-glass: <reason>``).

The decision is taken on every request from the consents read in that request: a consent
withdrawn or expired stops access at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from services.health.domain.resources import parse_moment, referenced_id
from shared.clock import CITY_TIMEZONE
from shared.errors import Forbidden, Unprocessable

HEALTH_DEPARTMENT = "health"
RECORDS_SCOPE = "health.records"
CONSULTATION_CENTRE_SCOPE = "health.consultations"


@dataclass(frozen=True)
class Caller:
    """Who called, from the gateway's context: a resident (by card) or an institution."""

    actor: str
    role: str
    card_number: str | None = None
    organization_id: str | None = None
    scopes: frozenset[str] = frozenset()

    @property
    def is_resident(self) -> bool:
        return self.role == "resident" and self.card_number is not None

    @property
    def is_institution(self) -> bool:
        return self.organization_id is not None and RECORDS_SCOPE in self.scopes


def caller_of(context: Mapping[str, Any]) -> Caller:
    role = context.get("actor_role") or "system"
    actor = context.get("actor") or "system"
    scopes = frozenset(context.get("scopes") or ())
    if role == "resident":
        return Caller(actor, role, card_number=actor, scopes=scopes)
    if role == "department" and context.get("department") == HEALTH_DEPARTMENT:
        return Caller(actor, role, organization_id=context.get("unit"), scopes=scopes)
    return Caller(actor, role, scopes=scopes)


def require_institution(caller: Caller) -> str:
    """The caller's institution id; only institutions (health clients with a unit) write."""
    if not caller.is_institution:
        raise Forbidden("only a medical institution (a health client with a unit) may do this")
    return caller.organization_id  # type: ignore[return-value]


@dataclass(frozen=True)
class ConsentTerms:
    """What a Consent says about one institution's access to one resident's records."""

    consent_id: str
    organization_id: str
    provision: str
    status: str
    starts_at: datetime | None
    ends_at: datetime | None
    purpose: str | None

    def in_force(self, now: datetime) -> bool:
        return (
            self.status == "active"
            and (self.starts_at is None or self.starts_at <= now)
            and (self.ends_at is None or now < self.ends_at)
        )


def consent_terms(consent_id: str, consent: dict[str, Any]) -> ConsentTerms:
    """The terms of a validated Consent: exactly one Organization in ``provision.actor``."""
    provision = consent.get("provision", {})
    organizations = [
        found
        for actor in provision.get("actor", [])
        if (found := referenced_id(actor.get("reference"), "Organization"))
    ]
    if len(organizations) != 1:
        raise Unprocessable(
            "a consent names exactly one institution",
            fields={"Consent.provision.actor": ["one reference Organization/<id> is required"]},
        )
    period = provision.get("period", {})
    purposes = provision.get("purpose") or [{}]
    return ConsentTerms(
        consent_id=consent_id,
        organization_id=organizations[0],
        provision=provision["type"],
        status=consent["status"],
        starts_at=_period_bound(period["start"]) if period.get("start") else None,
        ends_at=_period_end(period.get("end")),
        purpose=purposes[0].get("code"),
    )


def _period_bound(value: str) -> datetime:
    """A period's bound as a moment. A date without a time is a day of the city's calendar: a
    consent given in Shenyang "from 3 May" starts at midnight there, not at 08:00."""
    moment = parse_moment(value)
    return moment if "T" in value else moment.replace(tzinfo=CITY_TIMEZONE)


def _period_end(end: str | None) -> datetime | None:
    if not end:
        return None
    moment = _period_bound(end)
    # A period ending on a day includes that day.
    return moment + timedelta(days=1) if len(end) == len("2026-01-01") else moment


@dataclass(frozen=True)
class Decision:
    allowed: bool
    basis: str
    purpose: str


def read_decision(
    caller: Caller,
    card_number: str | None,
    author_organization_id: str | None,
    consents: Iterable[ConsentTerms],
    now: datetime,
    purpose: str,
    break_glass: str | None = None,
) -> Decision:
    """Whether ``caller`` may read a record of the resident holding ``card_number``."""
    if caller.is_resident:
        own = card_number is not None and caller.card_number == card_number
        return Decision(own, "resident" if own else "not_theirs", purpose)
    if not caller.is_institution:
        return Decision(False, "not_an_institution", purpose)
    if author_organization_id == caller.organization_id:
        return Decision(True, "author", purpose)
    in_force = [
        terms
        for terms in consents
        if terms.organization_id == caller.organization_id and terms.in_force(now)
    ]
    if in_force and not any(terms.provision == "deny" for terms in in_force):
        return Decision(True, "consent", purpose)
    if break_glass:
        return Decision(True, "break-glass", f"break-glass: {break_glass}")
    return Decision(False, "no_consent", purpose)


def consented_keys(consents: Iterable[tuple[str, ConsentTerms]], now: datetime) -> set[str]:
    """Of ``(key, terms)`` pairs, the keys a consent in force permits and none denies: the
    cards an institution may read (pairs of one institution), or the institutions that may
    read one resident (pairs of one card)."""
    permitted: set[str] = set()
    denied: set[str] = set()
    for card, terms in consents:
        if terms.in_force(now):
            (denied if terms.provision == "deny" else permitted).add(card)
    return permitted - denied


def consent_resource(
    consent_id: str,
    patient_id: str,
    organization_id: str,
    provision: str,
    purpose: str,
    starts_on: str | None,
    ends_on: str | None,
    now: datetime,
) -> dict[str, Any]:
    """The FHIR Consent of a resident's simple grant form."""
    period = {key: value for key, value in (("start", starts_on), ("end", ends_on)) if value}
    actor = {
        "role": {"coding": [{"system": ROLE_SYSTEM, "code": "IRCP"}]},
        "reference": {"reference": f"Organization/{organization_id}"},
    }
    body: dict[str, Any] = {
        "resourceType": "Consent",
        "id": consent_id,
        "status": "active",
        "scope": {"coding": [{"system": SCOPE_SYSTEM, "code": "patient-privacy"}]},
        "category": [{"coding": [{"system": LOINC, "code": "59284-0"}]}],
        "patient": {"reference": f"Patient/{patient_id}"},
        "dateTime": now.isoformat(),
        "provision": {
            "type": provision,
            "actor": [actor],
            "purpose": [{"system": PURPOSE_SYSTEM, "code": purpose}],
        },
    }
    if period:
        body["provision"]["period"] = period
    return body


ROLE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
SCOPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/consentscope"
PURPOSE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
LOINC = "http://loinc.org"


def withdrawn(consent: dict[str, Any]) -> dict[str, Any]:
    return {**consent, "status": "inactive"}
