"""Student numbers and school years.

A student number is 13 digits: the year the card was issued (4), a random serial (8) and a
Luhn check digit (``stdnum.luhn``, the same algorithm as citizen card numbers). The serial is
random so that one known number says nothing about its neighbours; the issuer retries on the
rare collision (a unique key).
"""

from __future__ import annotations

import secrets
from datetime import date

from stdnum import luhn

STUDENT_NUMBER_LENGTH = 13
SERIAL_DIGITS = 8
SCHOOL_YEAR_STARTS_MONTH = 9
"""The school year runs from 1 September to 31 August."""


def make_student_number(year: int, serial: int) -> str:
    payload = f"{year:04d}{serial:0{SERIAL_DIGITS}d}"
    return payload + luhn.calc_check_digit(payload)


def random_student_number(today: date) -> str:
    return make_student_number(today.year, secrets.randbelow(10**SERIAL_DIGITS))


def is_valid_student_number(value: object) -> bool:
    """Thirteen digits whose last is the Luhn check digit of the others."""
    return (
        isinstance(value, str)
        and len(value) == STUDENT_NUMBER_LENGTH
        and value.isascii()
        and value.isdigit()
        and luhn.is_valid(value)
    )


def school_year_end(today: date) -> date:
    """The last day of the school year ``today`` falls in: a card is valid until then."""
    end_year = today.year + 1 if today.month >= SCHOOL_YEAR_STARTS_MONTH else today.year
    return date(end_year, SCHOOL_YEAR_STARTS_MONTH - 1, 31)


def same_person_name(given: str, registered: str | None) -> bool:
    """Whether the name a school typed is the registry's name (case and spacing aside)."""
    if registered is None:
        return False
    return " ".join(given.split()).casefold() == " ".join(registered.split()).casefold()
