"""The password policy of resident accounts.

Length alone lets ``password123`` and a birth date through, so a password must also resist
guessing as zxcvbn estimates it: zxcvbn is Dropbox's estimator, and it ships frequency lists of
breached and common passwords, names and words. The person's own data is fed to it as well,
and checked directly: no part of their ID number, birth date, phone or name may be in it.
"""

from __future__ import annotations

import re

MIN_LENGTH = 10
MAX_LENGTH = 128  # hashing cost grows with length; nobody types more
MIN_SCORE = 3  # zxcvbn's 0-4 scale: 3 is "safely unguessable" against online attacks
_PERSONAL_DIGITS = 6  # this many consecutive digits of one's own numbers give them away


def password_problem(password: str, *, id_number: str, name: str, phone: str) -> str | None:
    """Why ``password`` may not be used by this person, or None when it may."""
    if len(password) < MIN_LENGTH:
        return f"must be at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"must be at most {MAX_LENGTH} characters"
    if not password.strip():
        return "must not be only spaces"
    personal = _personal_strings(id_number, name, phone)
    lowered = password.lower()
    for value in personal:
        if value.lower() in lowered:
            return "must not contain your name, ID number, birth date or phone number"
    # Imported here: its frequency lists take 11 MB, and only registrations and password
    # changes need them, not the idle processes that import this module.
    from zxcvbn import zxcvbn

    estimate = zxcvbn(password[:100], user_inputs=personal)
    if estimate["score"] < MIN_SCORE:
        hint = estimate["feedback"]["warning"] or "it is too easy to guess"
        return f"is too easy to guess ({hint.rstrip('.')}); a few unrelated words work well"
    return None


def _personal_strings(id_number: str, name: str, phone: str) -> list[str]:
    """Fragments of a person's own data that a password must not contain: every run of six
    digits of their ID number (which holds the birth date) and phone, and their name."""
    fragments = set()
    for number in (id_number, phone):
        digits = re.sub(r"\D", "", number)
        fragments.update(
            digits[start : start + _PERSONAL_DIGITS]
            for start in range(len(digits) - _PERSONAL_DIGITS + 1)
        )
    fragments.update(part for part in re.split(r"[\s·.-]+", name) if len(part) >= 3)
    if len(name.replace(" ", "")) >= 3:
        fragments.add(name.replace(" ", ""))
    return sorted(fragments)
