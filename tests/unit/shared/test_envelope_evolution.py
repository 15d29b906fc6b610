"""Adding an envelope field must not break consumers; publishers write only declared fields."""

from shared.contracts.envelope import EnvelopeSchema, new_envelope
from shared.messaging import Event

PENALTY = {
    "source_record_id": "TP-1",
    "subject_type": "enterprise",
    "subject_id": "91110000600037341L",
    "category": "administrative_penalty",
    "severity": "serious",
    "basis": "Decision 1/2026",
    "decided_on": "2026-11-01",
    "valid_until": "2029-11-01",
}


def _envelope() -> dict:
    return new_envelope(
        "traffic.administrative_penalty_issued", PENALTY, source="traffic", version=1
    )


def test_an_unknown_top_level_field_is_ignored_by_consumers():
    envelope = {**_envelope(), "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736"}

    event = Event.from_body(envelope)

    assert event.event_id == envelope["event_id"]
    assert event.data["subject_id"] == PENALTY["subject_id"]
    assert not hasattr(event, "trace_id")


def test_publishers_write_exactly_the_declared_envelope_fields():
    assert set(_envelope()) == set(EnvelopeSchema().fields)
