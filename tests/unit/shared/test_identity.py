"""Resident ID, credit code and citizen card validators: worked examples, checked by hand.

The properties over generated values are in test_identity_properties.py; the reference check
characters both use are in identity_references.py.
"""

import datetime

import marshmallow
import pytest
from identity_references import (
    field_error,
    reference_credit_check,
    reference_luhn_ok,
    reference_resident_check,
    resident_id,
)

from shared.clock import city_today
from shared.errors import ValidationFailed
from shared.identity import (
    MAX_CARD_SERIAL,
    CardNumberField,
    CreditCodeField,
    ResidentIdField,
    credit_code_check_char,
    credit_code_subject_type,
    identify,
    is_valid_card_number,
    is_valid_credit_code,
    is_valid_resident_id,
    make_card_number,
    resident_birth_date,
    resident_birth_place,
    validate_card_number,
    validate_credit_code,
    validate_resident_id,
)

# --- worked examples --------------------------------------------------------------------------

# GB 11643-1999's own example. Digits 1 1 0 1 0 5 1 9 4 9 1 2 3 1 0 0 2 times weights
# 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2 = 7+9+0+5+0+20+2+9+24+27+7+18+30+5+0+0+4 = 167;
# 167 mod 11 = 2; (12 - 2) mod 11 = 10 -> "X".
STANDARD_RESIDENT_ID = "11010519491231002X"

# 91110000600037341L: chars 9 1 1 1 0 0 0 0 6 0 0 0 3 7 3 4 1 times weights
# 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28 = 9+3+9+27+120+24+168+30+120+28 = 538;
# 538 mod 31 = 11; 31 - 11 = 20; alphabet[20] = "L" (A=10 ... H=17, J=18, K=19, L=20).
HAND_CHECKED_CREDIT_CODE = "91110000600037341L"
# Real-world codes that pass the algorithm (checked with reference_credit_check).
KNOWN_CREDIT_CODES = [
    HAND_CHECKED_CREDIT_CODE,
    "91110000802100433B",
    "911000001000013428",
    "91110108551385082Q",
]

# make_card_number(1): payload 2101 00000000001. Luhn doubles the payload's rightmost digit and
# every second one leftwards: 1 -> 2 and the leading 2 -> 4; the undoubled digits are 1 and 1;
# 2 + 4 + 1 + 1 = 8, so the check digit is (10 - 8) % 10 = 2.
FIRST_CARD_NUMBER = "2101000000000012"


def test_reference_checks_agree_with_standard_examples():
    assert reference_resident_check(STANDARD_RESIDENT_ID[:17]) == "X"
    assert reference_credit_check(HAND_CHECKED_CREDIT_CODE[:17]) == "L"
    assert reference_luhn_ok(FIRST_CARD_NUMBER)


def test_standard_resident_id_validates_and_gives_birth_date():
    assert validate_resident_id(STANDARD_RESIDENT_ID) == STANDARD_RESIDENT_ID
    assert resident_birth_date(STANDARD_RESIDENT_ID) == datetime.date(1949, 12, 31)
    # GB 11643's other example: born 1880-01-01, check digit 4.
    assert resident_birth_date("440524188001010014") == datetime.date(1880, 1, 1)


def test_resident_id_normalises_case_spaces_and_full_width_digits():
    assert validate_resident_id("  11010519491231002x \n") == STANDARD_RESIDENT_ID
    # Chinese input methods type full-width digits (U+FF10..U+FF19) and ideographic spaces.
    full_width = "".join(chr(ord(digit) + 0xFEE0) for digit in STANDARD_RESIDENT_ID[:17])
    assert validate_resident_id(f"\u3000{full_width}x") == STANDARD_RESIDENT_ID


def test_resident_birth_place_from_stdnum_table():
    # 210102 is Heping district, Shenyang, Liaoning.
    shenyang = resident_id("210102", datetime.date(1990, 1, 1), "123")
    place = resident_birth_place(shenyang)
    assert place is not None
    assert (place["province"], place["county"]) == ("辽宁省", "和平区")
    # 999999 is no county, yet the number is still valid: the place is simply unknown.
    unknown = resident_id("999999", datetime.date(1990, 1, 1), "123")
    assert is_valid_resident_id(unknown)
    assert resident_birth_place(unknown) is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "must be 18 characters"),
        (STANDARD_RESIDENT_ID[:-1], "must be 18 characters"),
        (STANDARD_RESIDENT_ID + "0", "must be 18 characters"),
        ("1101051949123100 X", "first 17 characters must be digits"),
        ("11010519491231002A", "last character must be a digit or X"),
        ("110105194912310021", "check digit does not match"),
        # Feb 30 and 1900-02-29 (1900 is not a leap year), each with a correct check digit.
        ("210102" + "20000230" + "123", None),
        ("210102" + "19000229" + "123", None),
    ],
)
def test_resident_id_rejections_name_the_field(value, message):
    if message is None:  # build the impossible-date cases with a correct check character
        value = value + reference_resident_check(value)
        message = "birth date is not a real date"
    with pytest.raises(ValidationFailed) as excinfo:
        validate_resident_id(value)
    assert field_error(excinfo) == {"id_number": [message]}
    assert str(excinfo.value) == f"id_number: {message}"


def test_leap_day_birth_date_is_real():
    leap = resident_id("210102", datetime.date(2000, 2, 29), "007")
    assert resident_birth_date(leap) == datetime.date(2000, 2, 29)


def test_future_birth_date_is_rejected():
    tomorrow = city_today() + datetime.timedelta(days=1)
    with pytest.raises(ValidationFailed) as excinfo:
        validate_resident_id(resident_id("210102", tomorrow, "001"), field="holder_id")
    assert field_error(excinfo) == {"holder_id": ["birth date is in the future"]}
    today = resident_id("210102", city_today(), "001")
    assert is_valid_resident_id(today)


@pytest.mark.parametrize("value", [None, 110105194912310020, ["11010519491231002X"], b"1101"])
@pytest.mark.parametrize(
    ("validator", "field"),
    [
        (validate_resident_id, "id_number"),
        (validate_credit_code, "credit_code"),
        (validate_card_number, "card_number"),
        (identify, "username"),
    ],
)
def test_non_strings_fail_validation_not_type_error(validator, field, value):
    with pytest.raises(ValidationFailed) as excinfo:
        validator(value)
    assert field_error(excinfo) == {field: ["must be a string"]}


def test_is_valid_helpers_return_false_for_non_strings():
    assert not is_valid_resident_id(None)
    assert not is_valid_credit_code(123)
    assert not is_valid_card_number(2101000000000012)


def test_known_credit_codes_validate():
    for code in KNOWN_CREDIT_CODES:
        assert reference_credit_check(code[:17]) == code[-1]
        assert validate_credit_code(code) == code
    assert credit_code_check_char(HAND_CHECKED_CREDIT_CODE[:17]) == "L"
    assert validate_credit_code(" 91110000600037341l ") == HAND_CHECKED_CREDIT_CODE


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "must be 18 characters"),
        (HAND_CHECKED_CREDIT_CODE[:-1], "must be 18 characters"),
        (HAND_CHECKED_CREDIT_CODE + "1", "must be 18 characters"),
        ("91110000I00037341L", "may only contain characters from 0123456789ABCDEFGHJKLMNPQRTUWXY"),
        ("91110000O00037341L", "may only contain characters from 0123456789ABCDEFGHJKLMNPQRTUWXY"),
        ("91110000Z00037341L", "may only contain characters from 0123456789ABCDEFGHJKLMNPQRTUWXY"),
        ("91110000S00037341L", "may only contain characters from 0123456789ABCDEFGHJKLMNPQRTUWXY"),
        ("91110000V00037341L", "may only contain characters from 0123456789ABCDEFGHJKLMNPQRTUWXY"),
        ("911100 0600037341L", "may only contain characters from 0123456789ABCDEFGHJKLMNPQRTUWXY"),
        ("911A0000600037341L", "administrative division code (characters 3-8) must be digits"),
        ("91110000600037341M", "check digit does not match"),
    ],
)
def test_credit_code_rejections_name_the_field(value, message):
    with pytest.raises(ValidationFailed) as excinfo:
        validate_credit_code(value)
    assert field_error(excinfo) == {"credit_code": [message]}


def test_credit_code_check_char_rejects_bad_input_as_programming_error():
    with pytest.raises(ValueError):
        credit_code_check_char("9111000060003734")  # 16 characters
    with pytest.raises(ValueError):
        credit_code_check_char("9111000060003734I")  # I is not in the alphabet


@pytest.mark.parametrize(
    ("first17", "subject_type"),
    [
        ("91110000600037341", "enterprise"),  # 9 industry & commerce, 1 enterprise
        ("92210102MA0XXXXX1", "enterprise"),  # 9-2 individual business: still a market entity
        ("12100000400000006", "organisation"),  # 1 organ establishment, 2 public institution
        ("51210100MA0P4TJD5", "organisation"),  # 5 civil affairs, 1 social organisation
        ("A1210100MA0P4TJD5", "organisation"),  # A military organ establishment
        ("N2210100MA0P4TJD5", "organisation"),  # N agriculture, village collective
        ("Y1210100MA0P4TJD5", "organisation"),  # Y other
    ],
)
def test_credit_code_subject_type(first17, subject_type):
    code = first17 + reference_credit_check(first17)
    assert credit_code_subject_type(code.lower()) == subject_type


def test_credit_code_subject_type_rejects_invalid_codes():
    with pytest.raises(ValidationFailed):
        credit_code_subject_type("91110000600037341M")


def test_first_card_number_hand_computed():
    assert make_card_number(1) == FIRST_CARD_NUMBER
    assert validate_card_number(f" {FIRST_CARD_NUMBER} ") == FIRST_CARD_NUMBER


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "must be 16 characters"),
        (FIRST_CARD_NUMBER[:-1], "must be 16 characters"),
        ("2101 0000 0000 0012", "must be 16 characters"),
        ("21010000000A0012", "must contain only digits"),
        # 3101 00000000001 with its own Luhn digit (doubled 3 -> 6 and 1 -> 2, plus 1 + 1 = 10,
        # check 0): right checksum, wrong region.
        ("3101000000000010", "must start with 2101"),
        ("2101000000000013", "check digit does not match"),
    ],
)
def test_card_number_rejections_name_the_field(value, message):
    if value.startswith("3101"):
        assert reference_luhn_ok(value)
    with pytest.raises(ValidationFailed) as excinfo:
        validate_card_number(value)
    assert field_error(excinfo) == {"card_number": [message]}


@pytest.mark.parametrize(
    ("serial", "message"),
    [
        (-1, f"must be between 0 and {MAX_CARD_SERIAL}"),
        (MAX_CARD_SERIAL + 1, f"must be between 0 and {MAX_CARD_SERIAL}"),
        (True, "must be an integer"),
        ("1", "must be an integer"),
    ],
)
def test_make_card_number_rejects_bad_serials(serial, message):
    with pytest.raises(ValidationFailed) as excinfo:
        make_card_number(serial)
    assert field_error(excinfo) == {"serial": [message]}


# --- identify ---------------------------------------------------------------------------------

# Valid both ways. As a resident ID: digits 9 1 2 1 0 1 1 9 1 0 0 1 0 1 0 0 0 x weights
# 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2 = 132; 132 mod 11 = 0; (12 - 0) mod 11 = 1, born
# 1910-01-01. As a credit code: x weights 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28 =
# 309; 309 mod 31 = 30; 31 - 30 = 1.
AMBIGUOUS = "912101191001010001"


def test_identify_each_kind():
    assert identify(FIRST_CARD_NUMBER) == ("card_number", FIRST_CARD_NUMBER)
    assert identify("11010519491231002x") == ("id_number", STANDARD_RESIDENT_ID)
    assert identify("91110000600037341l") == ("credit_code", HAND_CHECKED_CREDIT_CODE)
    assert identify("A1210100MA0P4TJD5" + reference_credit_check("A1210100MA0P4TJD5"))[0] == (
        "credit_code"
    )


def test_identify_prefers_resident_id_when_both_are_valid():
    assert is_valid_resident_id(AMBIGUOUS)
    assert is_valid_credit_code(AMBIGUOUS)
    assert identify(AMBIGUOUS) == ("id_number", AMBIGUOUS)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2101000000000013", "check digit does not match"),  # card-length: card's problem
        ("110105194912310021", "check digit does not match"),  # ID-shaped: ID's problem
        ("11010519490231002" + reference_resident_check("11010519490231002"), None),
        ("91110000I00037341L", "may only contain characters from 0123456789ABCDEFGHJKLMNPQRTUWXY"),
        (
            "alice",
            "must be a 16-digit citizen card number, an 18-character resident ID number "
            "or an 18-character unified social credit code",
        ),
    ],
)
def test_identify_failure_reports_the_closest_kind(value, message):
    message = message or "birth date is not a real date"  # 1949-02-31
    with pytest.raises(ValidationFailed) as excinfo:
        identify(value, field="login")
    assert field_error(excinfo) == {"login": [message]}


# --- marshmallow fields -----------------------------------------------------------------------


class HolderSchema(marshmallow.Schema):
    id_number = ResidentIdField(required=True)
    credit_code = CreditCodeField()
    card_number = CardNumberField()


def test_marshmallow_fields_normalise():
    loaded = HolderSchema().load(
        {
            "id_number": " 11010519491231002x",
            "credit_code": "91110000600037341l",
            "card_number": FIRST_CARD_NUMBER,
        }
    )
    assert loaded == {
        "id_number": STANDARD_RESIDENT_ID,
        "credit_code": HAND_CHECKED_CREDIT_CODE,
        "card_number": FIRST_CARD_NUMBER,
    }


def test_marshmallow_fields_report_the_validator_messages():
    with pytest.raises(marshmallow.ValidationError) as excinfo:
        HolderSchema().load(
            {"id_number": "110105194912310021", "credit_code": 42, "card_number": "2101"}
        )
    assert excinfo.value.messages == {
        "id_number": ["check digit does not match"],
        "credit_code": ["must be a string"],
        "card_number": ["must be 16 characters"],
    }


def test_marshmallow_fields_serialise_as_strings():
    dumped = HolderSchema().dump({"id_number": STANDARD_RESIDENT_ID})
    assert dumped == {"id_number": STANDARD_RESIDENT_ID}
