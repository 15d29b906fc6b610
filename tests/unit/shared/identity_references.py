"""Reference check characters written here from the standards' own formulas.

Not from ``shared.identity``: a wrong weight or offset in the module cannot agree with itself.
Used, with ``field_error``, by test_identity.py (worked examples) and
test_identity_properties.py (properties).
"""

import datetime

import pytest

from shared.errors import ValidationFailed

DIGITS = "0123456789"
CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def reference_resident_check(first17: str) -> str:
    """GB 11643 / ISO 7064 MOD 11-2: weights 2^(17-i) mod 11, check (12 - S mod 11) mod 11."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = (12 - sum(int(d) * w for d, w in zip(first17, weights)) % 11) % 11
    return "X" if check == 10 else str(check)


def reference_credit_check(first17: str) -> str:
    """GB 32100: weights 3^i mod 31, check (31 - S mod 31) mod 31 through the alphabet."""
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    total = sum(CREDIT_ALPHABET.index(c) * w for c, w in zip(first17, weights))
    return CREDIT_ALPHABET[(31 - total % 31) % 31]


def reference_luhn_ok(number: str) -> bool:
    """Luhn: from the right, double every second digit (minus 9 if over 9); total % 10 == 0."""
    total = 0
    for position, digit in enumerate(int(d) for d in reversed(number)):
        if position % 2 == 1:
            digit = digit * 2 - 9 if digit * 2 > 9 else digit * 2
        total += digit
    return total % 10 == 0


def resident_id(region: str, born: datetime.date, sequence: str) -> str:
    first17 = f"{region}{born:%Y%m%d}{sequence}"
    return first17 + reference_resident_check(first17)


def field_error(excinfo: pytest.ExceptionInfo[ValidationFailed]) -> dict[str, list[str]]:
    """The fields a ``ValidationFailed`` names, with their problems."""
    return excinfo.value.fields
