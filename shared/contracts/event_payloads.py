"""Payload schemas of the catalogued events (``data`` inside the envelope)."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate


class Payload(Schema):
    class Meta:
        unknown = RAISE


SUBJECT_TYPES = ("enterprise", "organisation", "individual")


class AdministrativeDecisionIssued(Payload):
    """A penalty or commendation, as any department reports it to the credit platform."""

    source_record_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    subject_type = fields.String(required=True, validate=validate.OneOf(SUBJECT_TYPES))
    subject_id = fields.String(
        required=True,
        metadata={
            "description": "credit code, resident ID number or citizen card number",
            "personal": True,
        },
    )
    subject_name = fields.String(load_default=None, allow_none=True, metadata={"personal": True})
    category = fields.String(required=True)
    severity = fields.String(required=True, validate=validate.OneOf(("minor", "serious", "severe")))
    basis = fields.String(required=True, metadata={"description": "legal document reference"})
    decided_on = fields.Date(required=True)
    valid_until = fields.Date(required=True)
    summary = fields.String(load_default=None, allow_none=True)


class PersonalDataAccessed(Payload):
    actor = fields.String(
        required=True, metadata={"description": "client id or resident card", "personal": True}
    )
    actor_role = fields.String(required=True)
    department = fields.String(required=True, allow_none=True)
    subject = fields.String(
        required=True,
        metadata={
            "description": "citizen card number, or the resident ID number (the platform "
            "files the access under that resident's card)",
            "personal": True,
        },
    )
    action = fields.String(required=True, validate=validate.OneOf(("read", "write")))
    resource = fields.String(required=True)
    purpose = fields.String(required=True)


class CitizenCardIssued(Payload):
    resident_id = fields.UUID(required=True, metadata={"personal": True})
    card_number = fields.String(required=True, metadata={"personal": True})
    issued_at = fields.AwareDateTime(required=True, format="iso")


class RegistrationRepeated(Payload):
    """Someone tried to register an ID number that already holds a card: the holder is told
    (by SMS) instead of the caller, so registration reveals nothing."""

    card_number = fields.String(required=True, metadata={"personal": True})
    phone = fields.String(required=True, metadata={"personal": True})
    attempted_at = fields.AwareDateTime(required=True, format="iso")


class LegalEntityRegistered(Payload):
    """Public register data of an enterprise or organisation (no personal data)."""

    credit_code = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(("enterprise", "organisation")))
    established_on = fields.Date(required=True)


CARD_KINDS = ("student_id", "tourist_card", "health_archive", "disability_certificate")
"""The sector cards a citizen card can carry (``*.card_linked``)."""


class CardLinked(Payload):
    card_number = fields.String(required=True, metadata={"personal": True})
    kind = fields.String(required=True, validate=validate.OneOf(CARD_KINDS))
    linked_number = fields.String(required=True, metadata={"personal": True})


class FeedImported(Payload):
    feed_id = fields.String(required=True)
    agency = fields.String(required=True)
    timezone = fields.String(required=True)
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)


class ServiceAlertPublished(Payload):
    alert_id = fields.String(required=True)
    header = fields.String(required=True)
    description = fields.String(load_default="")
    route_ids = fields.List(fields.String(), load_default=list)
    stop_ids = fields.List(fields.String(), load_default=list)
    active_from = fields.AwareDateTime(load_default=None, allow_none=True, format="iso")
    active_until = fields.AwareDateTime(load_default=None, allow_none=True, format="iso")


class RealtimeUpdated(Payload):
    delays = fields.Integer(required=True, metadata={"description": "predictions stored"})
    ignored = fields.Integer(required=True, metadata={"description": "entities not understood"})
    alerts = fields.Integer(required=True, metadata={"description": "service alerts in force"})


class ParkingReserved(Payload):
    reservation_id = fields.UUID(required=True)
    lot_id = fields.String(required=True)
    card_number = fields.String(required=True, metadata={"personal": True})
    starts_at = fields.AwareDateTime(required=True, format="iso")
    ends_at = fields.AwareDateTime(required=True, format="iso")


class ParkingOccupancyChanged(Payload):
    lot_id = fields.String(required=True)
    capacity = fields.Integer(required=True)
    occupied = fields.Integer(required=True)
    free_spaces = fields.Integer(required=True)
    observed_at = fields.AwareDateTime(required=True, format="iso")


class CreditRecordAdded(Payload):
    record_id = fields.String(required=True)
    subject_type = fields.String(required=True, validate=validate.OneOf(SUBJECT_TYPES))
    subject_id = fields.String(
        required=True, metadata={"description": "credit code or ID number", "personal": True}
    )
    department = fields.String(required=True)
    category = fields.String(required=True)
    polarity = fields.String(required=True, validate=validate.OneOf(("positive", "negative")))
    severity = fields.String(required=True)


class CreditListChanged(Payload):
    subject_type = fields.String(required=True, validate=validate.OneOf(SUBJECT_TYPES))
    subject_id = fields.String(
        required=True, metadata={"description": "credit code or ID number", "personal": True}
    )
    list = fields.String(required=True, validate=validate.OneOf(("red", "black")))
    change = fields.String(required=True, validate=validate.OneOf(("added", "removed")))
    basis = fields.String(required=True)


class CreditObjectionResolved(Payload):
    objection_id = fields.String(required=True)
    record_id = fields.String(required=True)
    decision = fields.String(
        required=True, validate=validate.OneOf(("uphold", "correct", "revoke"))
    )
    department = fields.String(required=True)


# -- health: ids and types only, never clinical content ----------------------------------------


class HealthRecordAdded(Payload):
    """An institution wrote a FHIR resource; the institutions holding consent learn of it."""

    resource_type = fields.String(required=True)
    resource_id = fields.String(required=True)
    patient_id = fields.String(required=True, metadata={"description": "FHIR Patient id"})
    author_organization_id = fields.String(required=True)
    notified_organization_ids = fields.List(fields.String(), load_default=list)
    recorded_at = fields.AwareDateTime(required=True, format="iso")


class HealthConsentChanged(Payload):
    consent_id = fields.String(required=True)
    patient_id = fields.String(required=True)
    organization_id = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": "FHIR Consent.status"})
    provision = fields.String(required=True, validate=validate.OneOf(("permit", "deny")))
    changed_at = fields.AwareDateTime(required=True, format="iso")


class HealthConsultationChanged(Payload):
    consultation_id = fields.String(required=True)
    requesting_organization_id = fields.String(required=True)
    specialty = fields.String(required=True)
    urgency = fields.String(required=True)
    state = fields.String(required=True)
    occurred_at = fields.AwareDateTime(required=True, format="iso")


# -- education ------------------------------------------------------------------------------


class StudentCardChanged(Payload):
    """One step of an e-student ID's life. ``sequence`` grows with every step of that card, so
    a consumer that sees steps out of order keeps the latest."""

    student_number = fields.String(required=True)
    card_number = fields.String(
        required=True, metadata={"description": "citizen card number", "personal": True}
    )
    school_id = fields.String(required=True)
    valid_until = fields.Date(required=True)
    sequence = fields.Integer(required=True, validate=validate.Range(min=1))
    reason = fields.String(load_default=None, allow_none=True)
    occurred_at = fields.AwareDateTime(required=True, format="iso")


class ExamPublished(Payload):
    exam_id = fields.String(required=True)
    school_id = fields.String(required=True)
    subject = fields.String(required=True)
    grade = fields.Integer(required=True)
    exam_date = fields.Date(required=True)
    max_score = fields.Decimal(required=True, as_string=True)


# -- community ------------------------------------------------------------------------------


class ApplicationSubmitted(Payload):
    application_id = fields.String(required=True)
    affair_code = fields.String(required=True)
    affair_version = fields.Integer(required=True)
    department = fields.String(required=True)
    card_number = fields.String(required=True, metadata={"personal": True})
    submitted_at = fields.AwareDateTime(required=True, format="iso")
    due_on = fields.Date(required=True)


class ApplicationDecided(Payload):
    application_id = fields.String(required=True)
    affair_code = fields.String(required=True)
    affair_version = fields.Integer(required=True)
    department = fields.String(required=True)
    card_number = fields.String(required=True, metadata={"personal": True})
    outcome = fields.String(required=True, validate=validate.OneOf(("approved", "rejected")))
    decided_at = fields.AwareDateTime(required=True, format="iso")
    valid_until = fields.Date(load_default=None, allow_none=True)


# -- tourism --------------------------------------------------------------------------------


class TicketBooked(Payload):
    ticket_id = fields.String(required=True)
    venue_id = fields.String(required=True)
    visit_date = fields.Date(required=True)
    visitors = fields.Integer(required=True)
    card_number = fields.String(
        required=True, metadata={"description": "tourist card number", "personal": True}
    )
    total_price = fields.Decimal(required=True, as_string=True)
    booked_at = fields.AwareDateTime(required=True, format="iso")


class VenueOccupancyChanged(Payload):
    venue_id = fields.String(required=True)
    present = fields.Integer(required=True)
    observed_at = fields.AwareDateTime(required=True, format="iso")


class TicketUsed(Payload):
    ticket_id = fields.String(required=True)
    venue_id = fields.String(required=True)
    visit_date = fields.Date(required=True)
    used_at = fields.AwareDateTime(required=True, format="iso")
