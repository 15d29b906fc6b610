"""The catalogue of every event the city publishes: the one source of truth.

Publishers validate against it before writing to the outbox, consumers load with it, the
integrator docs (``smartcity events``, ``docs/events.md``) and the tests read it.

A type is ``<source service>.<name>``. A few events are *shared*: any department may publish
them under its own name (``traffic.administrative_penalty_issued``), so they are catalogued as
``*.<name>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from marshmallow import Schema, ValidationError, fields

from shared.contracts import event_payloads as p
from shared.contracts.common import schema_instance
from shared.errors import ValidationFailed

Classification = Literal["public", "restricted"]


@dataclass(frozen=True)
class EventSpec:
    type: str
    version: int
    schema: type[Schema]
    classification: Classification
    description: str

    @property
    def name(self) -> str:
        return self.type.split(".", 1)[1]

    @property
    def shared(self) -> bool:
        """Published by any department under its own service name."""
        return self.type.startswith("*.")


def _specs(*specs: EventSpec) -> dict[str, EventSpec]:
    return {spec.type: spec for spec in specs}


CATALOGUE: dict[str, EventSpec] = _specs(
    # -- shared events, published by any department ------------------------------------------
    EventSpec(
        "*.administrative_penalty_issued",
        1,
        p.AdministrativeDecisionIssued,
        "restricted",
        "A department imposed an administrative penalty on a person or organisation; "
        "the credit service records it.",
    ),
    EventSpec(
        "*.commendation_issued",
        1,
        p.AdministrativeDecisionIssued,
        "restricted",
        "A department commended a person or organisation; the credit service records it.",
    ),
    EventSpec(
        "*.personal_data_accessed",
        1,
        p.PersonalDataAccessed,
        "restricted",
        "Someone read or wrote a resident's personal data; the platform appends it to "
        "the hash-chained audit log.",
    ),
    # -- platform ------------------------------------------------------------------------------
    EventSpec(
        "platform.citizen_card_issued",
        1,
        p.CitizenCardIssued,
        "restricted",
        "A resident registered under their real name and got a citizen card.",
    ),
    EventSpec(
        "platform.registration_repeated",
        1,
        p.RegistrationRepeated,
        "restricted",
        "Someone registered an ID number that already holds a card; nothing changed. "
        "For the SMS channel: tell the holder (the phone on record).",
    ),
    EventSpec(
        "*.card_linked",
        1,
        p.CardLinked,
        "restricted",
        "A sector service linked one of its cards (student ID, tourist card) to a citizen "
        "card; the platform shows it on the resident's profile.",
    ),
    EventSpec(
        "platform.legal_entity_registered",
        1,
        p.LegalEntityRegistered,
        "public",
        "An enterprise or organisation entered the legal-entity registry under its unified "
        "social credit code; the credit service names its subject after it.",
    ),
    # -- traffic -------------------------------------------------------------------------------
    EventSpec(
        "traffic.feed_imported",
        1,
        p.FeedImported,
        "public",
        "A GTFS feed replaced the transit schedule.",
    ),
    EventSpec(
        "traffic.service_alert_published",
        1,
        p.ServiceAlertPublished,
        "public",
        "A transit service alert from a GTFS-Realtime feed.",
    ),
    EventSpec(
        "traffic.realtime_updated",
        1,
        p.RealtimeUpdated,
        "public",
        "A GTFS-Realtime message replaced (or updated) the live delays and alerts; arrivals "
        "read before it may be wrong.",
    ),
    EventSpec(
        "traffic.parking_reserved",
        1,
        p.ParkingReserved,
        "restricted",
        "A resident reserved a parking space.",
    ),
    EventSpec(
        "traffic.parking_occupancy_changed",
        1,
        p.ParkingOccupancyChanged,
        "public",
        "A parking lot reported its occupancy.",
    ),
    # -- credit --------------------------------------------------------------------------------
    EventSpec(
        "credit.record_added",
        1,
        p.CreditRecordAdded,
        "restricted",
        "A credit record was collected for a subject.",
    ),
    EventSpec(
        "credit.list_changed",
        1,
        p.CreditListChanged,
        "restricted",
        "A subject went on or came off the red list or the black list.",
    ),
    EventSpec(
        "credit.objection_resolved",
        1,
        p.CreditObjectionResolved,
        "restricted",
        "The source department resolved an objection to a credit record.",
    ),
    # -- health: each institution's patients; restricted, no clinical content --------------
    EventSpec(
        "health.record_added",
        1,
        p.HealthRecordAdded,
        "restricted",
        "An institution wrote a record (a FHIR resource) of a patient; the institutions the "
        "patient consented to learn of it. Ids and types only, no clinical content.",
    ),
    EventSpec(
        "health.consent_changed",
        1,
        p.HealthConsentChanged,
        "restricted",
        "A resident granted or withdrew an institution's access to their health records.",
    ),
    EventSpec(
        "health.consultation_requested",
        1,
        p.HealthConsultationChanged,
        "restricted",
        "A hospital asked the remote consultation centre for a specialist's opinion.",
    ),
    EventSpec(
        "health.consultation_answered",
        1,
        p.HealthConsultationChanged,
        "restricted",
        "The assigned specialist answered a remote consultation.",
    ),
    # -- education -------------------------------------------------------------------------------
    EventSpec(
        "education.student_card_issued",
        1,
        p.StudentCardChanged,
        "restricted",
        "A school issued (or reinstated) an e-student ID on a citizen card; tourism grants "
        "the student benefit.",
    ),
    EventSpec(
        "education.student_card_suspended",
        1,
        p.StudentCardChanged,
        "restricted",
        "An e-student ID was suspended; tourism removes the student benefit.",
    ),
    EventSpec(
        "education.student_card_revoked",
        1,
        p.StudentCardChanged,
        "restricted",
        "An e-student ID ended (revoked, graduated or transferred away); tourism removes the "
        "student benefit.",
    ),
    EventSpec(
        "education.exam_published",
        1,
        p.ExamPublished,
        "public",
        "A school published an exam's results (aggregates only, through the API).",
    ),
    # -- community -------------------------------------------------------------------------------
    EventSpec(
        "community.application_submitted",
        1,
        p.ApplicationSubmitted,
        "restricted",
        "A resident filed an application for a community affair.",
    ),
    EventSpec(
        "community.application_decided",
        1,
        p.ApplicationDecided,
        "restricted",
        "The handling department approved or rejected an application; tourism grants the "
        "disability benefit from an approved disability certificate.",
    ),
    # -- tourism ---------------------------------------------------------------------------------
    EventSpec(
        "tourism.ticket_booked",
        1,
        p.TicketBooked,
        "restricted",
        "A card holder booked a venue ticket.",
    ),
    EventSpec(
        "tourism.venue_occupancy_changed",
        1,
        p.VenueOccupancyChanged,
        "public",
        "A venue's gate reported how many people are inside now.",
    ),
    EventSpec(
        "tourism.ticket_used",
        1,
        p.TicketUsed,
        "public",
        "A venue gate accepted a ticket (no holder data).",
    ),
)


def spec_for(event_type: str) -> EventSpec:
    """The spec of a concrete type (``traffic.administrative_penalty_issued`` → ``*.…``)."""
    if event_type in CATALOGUE:
        return CATALOGUE[event_type]
    _, _, name = event_type.partition(".")
    shared = CATALOGUE.get(f"*.{name}")
    if shared is None:
        raise KeyError(f"unknown event type {event_type!r}: declare it in shared.contracts")
    return shared


def validate_payload(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """Check ``data`` against the catalogue; return it JSON-ready (dumped by the schema)."""
    schema = schema_instance(spec_for(event_type).schema)
    try:
        loaded = schema.load(data)
    except ValidationError as exc:
        raise ValidationFailed(f"invalid {event_type} payload", fields=exc.messages) from exc
    return schema.dump(loaded)


def load_payload(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """Deserialise a received payload (dates become ``date`` objects etc.)."""
    return spec_for(event_type).schema().load(data)


# --- what integrators are told: JSON Schema, personal fields, examples ------------------------

PERSONAL = "personal"
"""Field metadata key (``metadata={"personal": True}``) of payload fields holding personal data:
the public feed strips them, the catalogue lists them."""

_EXAMPLE_TIME = "2026-12-01T08:00:00+08:00"
_EXAMPLE_UUID = "7f1c7a52-2f0e-4c55-9b53-2d3f5f7b0a11"


def personal_fields(spec: EventSpec) -> list[str]:
    """The payload fields of ``spec`` that hold personal data, in declaration order."""
    return [name for name, field in spec.schema().fields.items() if field.metadata.get(PERSONAL)]


def json_schema(spec: EventSpec) -> dict[str, Any]:
    """The JSON Schema of the payload, converted from its marshmallow schema by apispec (the
    converter the gateway's OpenAPI document uses); personal fields carry ``x-personal``."""
    from apispec.ext.marshmallow.openapi import OpenAPIConverter

    converter = OpenAPIConverter("3.0.3", lambda _schema: None, None)
    schema = converter.schema2jsonschema(spec.schema)
    for name in personal_fields(spec):
        schema["properties"][name]["x-personal"] = True
    return schema


def example_payload(spec: EventSpec) -> dict[str, Any]:
    """An example ``data`` of the type, derived from the schema's field types (it validates)."""
    return {name: _example_value(name, field) for name, field in spec.schema().fields.items()}


def _example_value(name: str, field: fields.Field) -> Any:
    choices = getattr(field.validate, "choices", None)
    for validator in getattr(field, "validators", ()):
        choices = choices or getattr(validator, "choices", None)
    if choices:
        return next(iter(choices))
    by_type: list[tuple[type, Any]] = [
        (fields.AwareDateTime, _EXAMPLE_TIME),
        (fields.DateTime, _EXAMPLE_TIME),
        (fields.Date, "2026-12-01"),
        (fields.UUID, _EXAMPLE_UUID),
        (fields.Boolean, True),
        (fields.Integer, 1),
        (fields.Decimal, "12.50"),
        (fields.Float, 1.5),
    ]
    for kind, value in by_type:
        if isinstance(field, kind):
            return value
    if isinstance(field, fields.List):
        return [_example_value(name, field.inner)]
    if isinstance(field, fields.Dict):
        return {"example": _example_value(name, field.value_field or fields.String())}
    return f"example-{name.replace('_', '-')}"


def public_data(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` without the fields the catalogue marks personal (what the public feed carries)."""
    personal = set(personal_fields(spec_for(event_type)))
    return {name: value for name, value in data.items() if name not in personal}


def catalogue_entries() -> list[dict[str, Any]]:
    """Every event type as ``GET /api/v1/events/catalogue`` and ``docs/events.md`` show it."""
    return [
        {
            "type": spec.type,
            "version": spec.version,
            "classification": spec.classification,
            "description": spec.description,
            "personal_fields": personal_fields(spec),
            "schema": json_schema(spec),
            "example": example_payload(spec),
        }
        for spec in CATALOGUE.values()
    ]
