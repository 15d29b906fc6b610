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
        metadata={"description": "credit code, resident ID number or citizen card number"},
    )
    subject_name = fields.String(load_default=None, allow_none=True)
    category = fields.String(required=True)
    severity = fields.String(required=True, validate=validate.OneOf(("minor", "serious", "severe")))
    basis = fields.String(required=True, metadata={"description": "legal document reference"})
    decided_on = fields.Date(required=True)
    valid_until = fields.Date(required=True)
    summary = fields.String(load_default=None, allow_none=True)


class PersonalDataAccessed(Payload):
    actor = fields.String(required=True, metadata={"description": "client id or resident card"})
    actor_role = fields.String(required=True)
    department = fields.String(required=True, allow_none=True)
    subject = fields.String(
        required=True,
        metadata={
            "description": "citizen card number, or the resident ID number (the platform "
            "files the access under that resident's card)"
        },
    )
    action = fields.String(required=True, validate=validate.OneOf(("read", "write")))
    resource = fields.String(required=True)
    purpose = fields.String(required=True)


class CitizenCardIssued(Payload):
    resident_id = fields.UUID(required=True)
    card_number = fields.String(required=True)
    issued_at = fields.AwareDateTime(required=True, format="iso")


class RegistrationRepeated(Payload):
    """Someone tried to register an ID number that already holds a card: the holder is told
    (by SMS) instead of the caller, so registration reveals nothing."""

    card_number = fields.String(required=True)
    phone = fields.String(required=True)
    attempted_at = fields.AwareDateTime(required=True, format="iso")


class LegalEntityRegistered(Payload):
    """Public register data of an enterprise or organisation (no personal data)."""

    credit_code = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(("enterprise", "organisation")))
    established_on = fields.Date(required=True)


class CardLinked(Payload):
    card_number = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(("student_id", "tourist_card")))
    linked_number = fields.String(required=True)


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


class ParkingReserved(Payload):
    reservation_id = fields.UUID(required=True)
    lot_id = fields.String(required=True)
    card_number = fields.String(required=True)
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
    subject_id = fields.String(required=True)
    department = fields.String(required=True)
    category = fields.String(required=True)
    polarity = fields.String(required=True, validate=validate.OneOf(("positive", "negative")))
    severity = fields.String(required=True)


class CreditListChanged(Payload):
    subject_type = fields.String(required=True, validate=validate.OneOf(SUBJECT_TYPES))
    subject_id = fields.String(required=True)
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
