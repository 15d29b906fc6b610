"""Resident ID, credit code and citizen card validators: properties over generated values.

Every generated value's check character comes from identity_references.py (the standards'
formulas), and changing any one character must break it.
"""

import datetime
import string

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from identity_references import (
    CREDIT_ALPHABET,
    DIGITS,
    field_error,
    reference_credit_check,
    reference_luhn_ok,
    resident_id,
)

from shared.errors import ValidationFailed
from shared.identity import (
    MAX_CARD_SERIAL,
    credit_code_check_char,
    credit_code_subject_type,
    identify,
    is_valid_card_number,
    is_valid_credit_code,
    is_valid_resident_id,
    make_card_number,
    random_card_number,
    resident_birth_date,
    validate_card_number,
    validate_credit_code,
    validate_resident_id,
)

region_codes = st.text(alphabet=DIGITS, min_size=6, max_size=6)
sequences = st.text(alphabet=DIGITS, min_size=3, max_size=3)
past_birth_dates = st.dates(min_value=datetime.date(1850, 1, 1), max_value=datetime.date.today())
valid_resident_ids = st.builds(resident_id, region_codes, past_birth_dates, sequences)


@st.composite
def valid_credit_codes(draw: st.DrawFn) -> str:
    authority = draw(st.sampled_from(CREDIT_ALPHABET))
    kind = draw(st.sampled_from(CREDIT_ALPHABET))
    division = draw(st.text(alphabet=DIGITS, min_size=6, max_size=6))
    organisation = draw(st.text(alphabet=CREDIT_ALPHABET, min_size=9, max_size=9))
    first17 = authority + kind + division + organisation
    return first17 + reference_credit_check(first17)


serials = st.integers(min_value=0, max_value=MAX_CARD_SERIAL)
valid_card_numbers = st.builds(make_card_number, serials)

# Replacement characters: ASCII letters, digits, punctuation and a space. A swap that differs
# only in case is not a change (values are upper-cased), so those are filtered out below.
REPLACEMENTS = string.ascii_letters + string.digits + string.punctuation + " "


def mutate_one_character(draw: st.DrawFn, value: str) -> str:
    index = draw(st.integers(min_value=0, max_value=len(value) - 1))
    original = value[index]
    replacement = draw(
        st.sampled_from(REPLACEMENTS).filter(lambda c: c.upper() != original.upper())
    )
    return value[:index] + replacement + value[index + 1 :]


@given(region=region_codes, born=past_birth_dates, sequence=sequences)
def test_any_17_digits_with_real_birth_date_and_check_validate(region, born, sequence):
    number = resident_id(region, born, sequence)
    assert validate_resident_id(number) == number
    assert validate_resident_id(f" {number.lower()} ") == number
    assert resident_birth_date(number) == born


@given(st.data())
def test_changing_one_character_breaks_a_resident_id(data):
    number = data.draw(valid_resident_ids)
    assert not is_valid_resident_id(mutate_one_character(data.draw, number))


@given(code=valid_credit_codes())
@example(code="A1210100MA0P4TJD5" + reference_credit_check("A1210100MA0P4TJD5"))
@example(code="N2210100MA0P4TJD5" + reference_credit_check("N2210100MA0P4TJD5"))
@example(code="Y1210100MA0P4TJD5" + reference_credit_check("Y1210100MA0P4TJD5"))
def test_generated_credit_codes_validate(code):
    assert credit_code_check_char(code[:17]) == code[-1]
    assert validate_credit_code(code.lower()) == code
    expected_type = "enterprise" if code[0] == "9" else "organisation"
    assert credit_code_subject_type(code) == expected_type


@given(st.data())
def test_changing_one_character_breaks_a_credit_code(data):
    code = data.draw(valid_credit_codes())
    assert not is_valid_credit_code(mutate_one_character(data.draw, code))


@given(serial=serials)
@example(serial=0)
@example(serial=MAX_CARD_SERIAL)
def test_make_card_number_round_trips(serial):
    number = make_card_number(serial)
    assert len(number) == 16
    assert number.startswith("2101")
    assert int(number[4:15]) == serial
    assert reference_luhn_ok(number)
    assert validate_card_number(number) == number


def test_random_card_numbers_are_valid_and_spread_over_the_serials():
    numbers = [random_card_number() for _ in range(200)]
    assert all(validate_card_number(number) == number for number in numbers)
    serials = sorted(int(number[4:15]) for number in numbers)
    assert len(set(serials)) == 200
    # Sequential issuing would put them all next to each other; random ones span the range.
    # (All 200 in one tenth of it: a 10^-198 chance.)
    assert serials[-1] - serials[0] > MAX_CARD_SERIAL // 10


@given(serial=st.integers(max_value=-1) | st.integers(min_value=MAX_CARD_SERIAL + 1))
def test_make_card_number_rejects_out_of_range(serial):
    with pytest.raises(ValidationFailed) as excinfo:
        make_card_number(serial)
    assert list(field_error(excinfo)) == ["serial"]


@given(st.data())
def test_changing_one_character_breaks_a_card_number(data):
    number = data.draw(valid_card_numbers)
    assert not is_valid_card_number(mutate_one_character(data.draw, number))


@given(value=st.text(max_size=30))
def test_arbitrary_text_never_raises_anything_but_validation_failed(value):
    for validator in (validate_resident_id, validate_credit_code, validate_card_number, identify):
        try:
            validator(value)
        except ValidationFailed as error:
            assert len(error.fields) == 1
