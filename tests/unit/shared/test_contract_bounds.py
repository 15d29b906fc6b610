"""Every request contract bounds every value, so no input can overflow deeper down (a 500)."""

import importlib
import inspect
import pkgutil

import pytest
from marshmallow import fields, validate

import shared.contracts as contracts
from shared.contracts.common import (
    BoundedAwareDateTime,
    BoundedDate,
    BoundedDateTime,
    Page,
    Request,
    load,
)
from shared.contracts.traffic import LotIn, ReservationIn
from shared.errors import ValidationFailed
from shared.identity import _IdentifierField

BOUNDED_TIMES = (BoundedDate, BoundedDateTime, BoundedAwareDateTime)


def request_contracts() -> list[type[Request]]:
    found = set()
    for module in pkgutil.iter_modules(contracts.__path__):
        loaded = importlib.import_module(f"{contracts.__name__}.{module.name}")
        found.update(
            cls
            for _name, cls in inspect.getmembers(loaded, inspect.isclass)
            if issubclass(cls, Request)
        )
    return sorted(found, key=lambda cls: f"{cls.__module__}.{cls.__name__}")


def unbounded(field: fields.Field) -> bool:
    validators = field.validators
    if isinstance(field, fields.Decimal) and field.as_string:
        return not field.validators  # a string in the spec: bounded by a validator of its own
    if isinstance(field, fields.Number):
        return not any(
            isinstance(v, validate.Range) and None not in (v.min, v.max) for v in validators
        )
    if isinstance(field, (fields.Date, fields.DateTime)):
        return not isinstance(field, BOUNDED_TIMES)
    if isinstance(field, _IdentifierField):
        return False  # a fixed format with a check character
    if isinstance(field, fields.String):
        return not any(
            (isinstance(v, validate.Length) and v.max is not None)
            or isinstance(v, (validate.OneOf, validate.Regexp))
            for v in validators
        )
    if isinstance(field, (fields.List, fields.Dict)):
        return not any(isinstance(v, validate.Length) and v.max is not None for v in validators)
    return False


@pytest.mark.parametrize("contract", request_contracts(), ids=lambda cls: cls.__name__)
def test_every_value_of_a_request_is_bounded(contract):
    loose = [name for name, field in contract._declared_fields.items() if unbounded(field)]
    assert loose == [], f"{contract.__name__}: give these a range, a length or a bounded type"


def problem(schema, data) -> dict:
    with pytest.raises(ValidationFailed) as refused:
        load(schema, data)
    return refused.value.fields


LOT = {
    "lot_id": "P1",
    "name": "Zhongshan Square car park",
    "lat": 41.79,
    "lon": 123.41,
    "capacity": 10,
    "price_per_hour": "4.00",
    "operator_credit_code": "91210100MA0XXXXX0W",
}


@pytest.mark.parametrize(
    ("schema", "data", "field"),
    [
        (Page, {"offset": 2**63}, "offset"),
        (LotIn, {**LOT, "capacity": 2**31}, "capacity"),
        (LotIn, {**LOT, "price_per_hour": "1e20"}, "price_per_hour"),
        (LotIn, {**LOT, "name": "car\x00park"}, "name"),
        (
            ReservationIn,
            {"lot_id": "P1", "starts_at": "0001-01-01T00:00:00+14:00", "ends_at": "2026-12-01"},
            "starts_at",
        ),
        (ReservationIn, {"lot_id": "P1", "starts_at": [[[[[]]]]], "ends_at": "x"}, "starts_at"),
    ],
)
def test_hostile_values_are_refused_naming_their_field(schema, data, field):
    assert field in problem(schema, data)


def test_deep_nesting_is_refused_before_it_is_walked():
    deep: list = []
    for _ in range(1000):
        deep = [deep]
    assert problem(LotIn, {**LOT, "name": deep}) == {"name": ["nested deeper than 32 levels"]}


def test_blank_optional_text_is_absent_not_an_error():
    # Found by schemathesis: a blank note used to reach a length check as None (a 500).
    from shared.contracts.credit import FeedbackIn

    assert load(FeedbackIn, {"action_taken": "measures_applied", "note": "  "})["note"] is None
