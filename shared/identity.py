"""The three identifiers every service checks: resident ID, credit code and citizen card number.

Every sector service hangs its records off one of these, so they are validated once, here, the
same way everywhere: a value that one service accepts is never rejected by another. Each
``validate_*`` function takes whatever arrived over the wire (it may not even be a string),
returns the normalised value (surrounding whitespace stripped, full-width digits made ASCII,
letters upper-case) and otherwise raises ``ValidationFailed`` naming the field with a short,
stable message that clients can match on.
"""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Callable
from typing import Any, ClassVar

from marshmallow import ValidationError, fields
from stdnum import luhn
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumValidationError
from stdnum.util import clean, isdigits

from shared.clock import city_today
from shared.errors import ValidationFailed, invalid

MUST_BE_STRING = "must be a string"
CHECK_DIGIT_MISMATCH = "check digit does not match"

# --- Resident ID number (居民身份证号码, GB 11643-1999) ---------------------------------------

RESIDENT_ID_LENGTH = 18


def validate_resident_id(value: object, field: str = "id_number") -> str:
    """Return the resident ID number in its canonical form, or raise ``invalid(field, ...)``.

    Checks the length, the ISO 7064 MOD 11-2 check character and that characters 7-14 are a
    real birth date that is not in the future. The first six digits (the place of first
    registration) are deliberately not looked up: stdnum's table rejects people whose county
    code was created after their birth year, and such numbers were really issued.
    """
    if not isinstance(value, str):
        raise invalid(field, MUST_BE_STRING)
    number = ric.compact(value)
    if len(number) != RESIDENT_ID_LENGTH:
        raise invalid(field, f"must be {RESIDENT_ID_LENGTH} characters")
    if not isdigits(number[:-1]):
        raise invalid(field, "first 17 characters must be digits")
    if number[-1] not in "0123456789X":
        raise invalid(field, "last character must be a digit or X")
    if number[-1] != ric.calc_check_digit(number):
        raise invalid(field, CHECK_DIGIT_MISMATCH)
    try:
        birth_date = ric.get_birth_date(number)
    except StdnumValidationError:
        raise invalid(field, "birth date is not a real date") from None
    if birth_date > city_today():
        raise invalid(field, "birth date is in the future")
    return number


def is_valid_resident_id(value: object) -> bool:
    """True when ``validate_resident_id`` would accept the value."""
    try:
        validate_resident_id(value)
    except ValidationFailed:
        return False
    return True


def resident_birth_date(value: str) -> datetime.date:
    """The birth date encoded in a resident ID number (validating the number first)."""
    return ric.get_birth_date(validate_resident_id(value))


def resident_birth_place(value: str) -> dict[str, str] | None:
    """Province/prefecture/county of first registration, or None when stdnum's table lacks it.

    For display and statistics only: a missing place does not make the number invalid (see
    ``validate_resident_id``).
    """
    number = validate_resident_id(value)
    try:
        return ric.get_birth_place(number)
    except StdnumValidationError:
        return None


# --- Unified social credit code (统一社会信用代码, GB 32100-2015) -----------------------------

CREDIT_CODE_LENGTH = 18
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, Z, S, V
CREDIT_CODE_WEIGHTS = tuple(pow(3, position, 31) for position in range(CREDIT_CODE_LENGTH - 1))
_CREDIT_CODE_VALUES = {char: value for value, char in enumerate(CREDIT_CODE_ALPHABET)}

# Character 1 of a credit code: the registration authority that issued it (GB 32100-2015 and
# its later assignments). Only "9" registers market entities (enterprises, individual
# businesses, farmers' cooperatives); everything else is a non-enterprise organisation.
REGISTRATION_AUTHORITIES: dict[str, str] = {
    "1": "organ establishment (government organs and public institutions)",
    "2": "foreign affairs",
    "3": "justice administration (law firms, notaries, arbitration)",
    "4": "culture",
    "5": "civil affairs (social organisations, private non-enterprise units, foundations)",
    "6": "tourism",
    "7": "religious affairs",
    "8": "trade unions",
    "9": "industry and commerce (enterprises and other market entities)",
    "A": "central military commission organ establishment",
    "N": "agriculture (rural collective economic organisations)",
    "Y": "other",
}
ENTERPRISE_AUTHORITY = "9"


def credit_code_check_char(first17: str) -> str:
    """The check character (position 18) for the first 17 characters of a credit code.

    GB 32100-2015 (ISO 7064 MOD 31-3 style): weights 3^i mod 31, check value
    (31 - weighted sum mod 31) mod 31, mapped back through the code alphabet. Written here
    rather than taken from stdnum, whose ``cn.uscc`` rejects valid codes starting with A, N or Y.
    Raises ``ValueError`` for input that is not 17 characters of the code alphabet: that is a
    programming error, client input goes through ``validate_credit_code``.
    """
    if len(first17) != CREDIT_CODE_LENGTH - 1 or any(
        char not in _CREDIT_CODE_VALUES for char in first17
    ):
        raise ValueError(f"expected 17 characters of {CREDIT_CODE_ALPHABET!r}, got {first17!r}")
    weighted_sum = sum(
        _CREDIT_CODE_VALUES[char] * weight
        for char, weight in zip(first17, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_ALPHABET[(31 - weighted_sum % 31) % 31]


def validate_credit_code(value: object, field: str = "credit_code") -> str:
    """Return the credit code in its canonical form, or raise ``invalid(field, ...)``.

    Checks the length, the alphabet, that characters 3-8 (the registering authority's
    administrative division code) are digits, and the check character.
    """
    if not isinstance(value, str):
        raise invalid(field, MUST_BE_STRING)
    code = clean(value).strip().upper()
    if len(code) != CREDIT_CODE_LENGTH:
        raise invalid(field, f"must be {CREDIT_CODE_LENGTH} characters")
    if any(char not in _CREDIT_CODE_VALUES for char in code):
        raise invalid(field, f"may only contain characters from {CREDIT_CODE_ALPHABET}")
    if not isdigits(code[2:8]):
        raise invalid(field, "administrative division code (characters 3-8) must be digits")
    if code[-1] != credit_code_check_char(code[:-1]):
        raise invalid(field, CHECK_DIGIT_MISMATCH)
    return code


def is_valid_credit_code(value: object) -> bool:
    """True when ``validate_credit_code`` would accept the value."""
    try:
        validate_credit_code(value)
    except ValidationFailed:
        return False
    return True


def credit_code_subject_type(code: str) -> str:
    """``"enterprise"`` or ``"organisation"``: which credit database a code's subject belongs to.

    The public credit platform keeps enterprises and non-enterprise organisations apart; the
    registration authority (character 1) decides it, see ``REGISTRATION_AUTHORITIES``.
    """
    normalised = validate_credit_code(code)
    return "enterprise" if normalised[0] == ENTERPRISE_AUTHORITY else "organisation"


# --- Citizen card number (市民卡, this project's format) ------------------------------------

CARD_PREFIX = "2101"  # Shenyang region
CARD_SERIAL_DIGITS = 11
CARD_NUMBER_LENGTH = len(CARD_PREFIX) + CARD_SERIAL_DIGITS + 1
MAX_CARD_SERIAL = 10**CARD_SERIAL_DIGITS - 1


def make_card_number(serial: int) -> str:
    """The citizen card number for a serial: prefix 2101, 11-digit serial, Luhn check digit."""
    if isinstance(serial, bool) or not isinstance(serial, int):
        raise invalid("serial", "must be an integer")
    if not 0 <= serial <= MAX_CARD_SERIAL:
        raise invalid("serial", f"must be between 0 and {MAX_CARD_SERIAL}")
    payload = f"{CARD_PREFIX}{serial:0{CARD_SERIAL_DIGITS}d}"
    return payload + luhn.calc_check_digit(payload)


def random_card_number() -> str:
    """A new citizen card number with a serial drawn by ``secrets``: knowing one card says
    nothing about any other (sequential serials made a known card's neighbours real ones).
    Unique only with high probability; the issuer retries on the rare collision."""
    return make_card_number(1 + secrets.randbelow(MAX_CARD_SERIAL))


def validate_card_number(value: object, field: str = "card_number") -> str:
    """Return the citizen card number in its canonical form, or raise ``invalid(field, ...)``."""
    if not isinstance(value, str):
        raise invalid(field, MUST_BE_STRING)
    number = clean(value).strip()
    if len(number) != CARD_NUMBER_LENGTH:
        raise invalid(field, f"must be {CARD_NUMBER_LENGTH} characters")
    if not isdigits(number):
        raise invalid(field, "must contain only digits")
    if not number.startswith(CARD_PREFIX):
        raise invalid(field, f"must start with {CARD_PREFIX}")
    if not luhn.is_valid(number):
        raise invalid(field, CHECK_DIGIT_MISMATCH)
    return number


def is_valid_card_number(value: object) -> bool:
    """True when ``validate_card_number`` would accept the value."""
    try:
        validate_card_number(value)
    except ValidationFailed:
        return False
    return True


# --- Which identifier is this? ---------------------------------------------------------------


def identify(value: object, field: str = "username") -> tuple[str, str]:
    """Tell which identifier a login name or lookup key is: ``(kind, normalised value)``.

    ``kind`` is ``"card_number"``, ``"id_number"`` or ``"credit_code"``. An 18-character value
    that is valid both as a resident ID and as a credit code (possible for all-digit codes) is
    taken as a resident ID: residents log in far more often than organisations do. When the
    value is none of the three, the error names ``field`` and carries the message of the kind
    the value looks most like.
    """
    if not isinstance(value, str):
        raise invalid(field, MUST_BE_STRING)
    text = clean(value).strip()
    if len(text) == CARD_NUMBER_LENGTH:
        return "card_number", validate_card_number(text, field)
    if len(text) == RESIDENT_ID_LENGTH:
        if is_valid_resident_id(text):
            return "id_number", validate_resident_id(text, field)
        if is_valid_credit_code(text):
            return "credit_code", validate_credit_code(text, field)
        # Valid as neither, so one of these raises: the problem of the kind it resembles.
        looks_like_resident_id = isdigits(text[:-1]) and text[-1] in "0123456789Xx"
        if looks_like_resident_id:
            validate_resident_id(text, field)
        validate_credit_code(text, field)
    raise invalid(
        field,
        "must be a 16-digit citizen card number, an 18-character resident ID number "
        "or an 18-character unified social credit code",
    )


# --- marshmallow fields for request schemas -------------------------------------------------


class _IdentifierField(fields.String):
    """A string field whose value must pass one of the validators above.

    Deserialises to the normalised value; a bad value becomes a ``marshmallow.ValidationError``
    with the same message the validator gives, so schema errors and service errors agree.
    """

    validate_identifier: ClassVar[Callable[[object, str], str]]

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        field = attr or "value"
        try:
            return type(self).validate_identifier(value, field)
        except ValidationFailed as error:
            raise ValidationError(error.fields[field]) from error


class ResidentIdField(_IdentifierField):
    """A resident ID number (居民身份证号码); deserialises to the canonical 18 characters."""

    validate_identifier = staticmethod(validate_resident_id)


class CreditCodeField(_IdentifierField):
    """A unified social credit code (统一社会信用代码); deserialises to upper case."""

    validate_identifier = staticmethod(validate_credit_code)


class CardNumberField(_IdentifierField):
    """A citizen card number (市民卡); deserialises to its 16 digits."""

    validate_identifier = staticmethod(validate_card_number)
