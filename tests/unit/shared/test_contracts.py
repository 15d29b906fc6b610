"""The event catalogue is the one source of truth: publishers, consumers and docs read it."""

import uuid

import pytest
from marshmallow import ValidationError

from shared.contracts.catalogue import CATALOGUE, spec_for, validate_payload
from shared.contracts.envelope import EnvelopeSchema, new_envelope
from shared.errors import ValidationFailed
from shared.messaging import Event

PENALTY = {
    "source_record_id": "TP-1",
    "subject_type": "individual",
    "subject_id": "11010519491231002X",
    "category": "administrative_penalty",
    "severity": "minor",
    "basis": "Parking rule 12",
    "decided_on": "2026-11-01",
    "valid_until": "2027-11-01",
}


def test_every_event_type_is_service_dot_name_and_has_a_description():
    for event_type, spec in CATALOGUE.items():
        source, _, name = event_type.partition(".")
        assert source and name and spec.name == name
        assert spec.classification in ("public", "restricted")
        assert spec.description.endswith(".")


def test_shared_event_resolves_for_any_department():
    assert (
        spec_for("traffic.administrative_penalty_issued").type == "*.administrative_penalty_issued"
    )
    assert spec_for("health.administrative_penalty_issued").shared
    with pytest.raises(KeyError):
        spec_for("traffic.nothing_like_this")


def test_payload_validation_names_the_bad_field():
    with pytest.raises(ValidationFailed) as caught:
        validate_payload(
            "traffic.administrative_penalty_issued", {**PENALTY, "severity": "catastrophic"}
        )
    assert set(caught.value.fields) == {"severity"}


def test_envelope_round_trips_through_the_schema():
    envelope = new_envelope(
        "traffic.administrative_penalty_issued",
        PENALTY,
        source="traffic",
        version=1,
        subject=PENALTY["subject_id"],
        request_id="r-1",
    )
    loaded = EnvelopeSchema().load(envelope)
    assert loaded["event_id"] == uuid.UUID(envelope["event_id"])
    assert loaded["occurred_at"].tzinfo is not None
    assert loaded["request_id"] == "r-1"


def test_received_event_loads_data_and_tolerates_new_fields():
    envelope = new_envelope(
        "traffic.administrative_penalty_issued",
        {**PENALTY, "added_in_a_later_minor_version": 1},
        source="traffic",
        version=1,
        subject=None,
    )
    event = Event.from_body(envelope)
    assert event.data["decided_on"].isoformat() == "2026-11-01"
    assert "added_in_a_later_minor_version" not in event.data


@pytest.mark.parametrize(
    "body",
    [
        "not an object",
        {"type": "traffic.administrative_penalty_issued"},
    ],
)
def test_malformed_bodies_are_rejected(body):
    with pytest.raises(ValidationError):
        Event.from_body(body)


def test_a_newer_major_version_is_refused_not_misread():
    envelope = new_envelope(
        "traffic.administrative_penalty_issued", PENALTY, source="traffic", version=2, subject=None
    )
    with pytest.raises(ValidationError, match="newer"):
        Event.from_body(envelope)
