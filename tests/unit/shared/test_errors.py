"""Domain errors survive RPC: nameko rebuilds the same class, fields included."""

from nameko.exceptions import deserialize, serialize

from shared.errors import Conflict, ValidationFailed, invalid


def test_validation_error_keeps_its_fields_across_rpc_serialisation():
    original = invalid("lat", "must be within ±90")
    rebuilt = deserialize(serialize(original))
    assert type(rebuilt) is ValidationFailed
    assert rebuilt.fields == {"lat": ["must be within ±90"]}
    assert rebuilt.status == 400
    assert rebuilt.to_dict() == {
        "error": "validation_failed",
        "message": "lat: must be within ±90",
        "fields": {"lat": ["must be within ±90"]},
    }


def test_extra_details_travel_too():
    rebuilt = deserialize(serialize(Conflict("no free space", extra={"lot_id": "L1"})))
    assert rebuilt.to_dict()["details"]["lot_id"] == "L1"
    assert rebuilt.status == 409
