"""What integrators are told about each event: JSON Schema, personal fields, a valid example,
and the public feed's view of a payload."""

import pytest

from shared.contracts.catalogue import (
    CATALOGUE,
    catalogue_entries,
    json_schema,
    personal_fields,
    public_data,
    spec_for,
    validate_payload,
)


@pytest.mark.parametrize("entry", catalogue_entries(), ids=lambda entry: entry["type"])
def test_every_entry_has_a_schema_and_an_example_that_validates(entry):
    spec = CATALOGUE[entry["type"]]
    assert entry["schema"]["type"] == "object"
    assert set(entry["schema"]["properties"]) == set(spec.schema().fields)
    assert entry["example"] == validate_payload(spec.type.replace("*", "traffic"), entry["example"])
    for name in entry["personal_fields"]:
        assert entry["schema"]["properties"][name]["x-personal"] is True


def test_personal_fields_are_those_naming_residents():
    assert personal_fields(spec_for("traffic.parking_reserved")) == ["card_number"]
    assert personal_fields(spec_for("platform.registration_repeated")) == ["card_number", "phone"]
    assert "subject_id" in personal_fields(spec_for("credit.list_changed"))
    assert personal_fields(spec_for("traffic.parking_occupancy_changed")) == []
    schema = json_schema(spec_for("traffic.parking_occupancy_changed"))
    assert schema["required"] == sorted(schema["required"]) and "lot_id" in schema["required"]


def test_the_public_view_of_a_payload_drops_personal_fields():
    data = {"reservation_id": "r", "lot_id": "P1", "card_number": "2101000000000012"}
    assert public_data("traffic.parking_reserved", data) == {"reservation_id": "r", "lot_id": "P1"}
