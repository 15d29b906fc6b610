"""The password policy refuses what an attacker tries first, and the person's own data."""

import pytest

from shared.passwords import password_problem

LI_LEI = {"id_number": "210102199003071233", "name": "Li Lei", "phone": "13812345678"}


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("12345678", "at least 10"),
        ("password", "at least 10"),
        (" " * 12, "only spaces"),
        ("password123", "too easy to guess"),
        ("qwertyuiop", "too easy to guess"),
        ("1990030712", "must not contain"),  # the birth date from the ID number
        ("xx900307xyzzyplugh", "must not contain"),  # its short form, hidden in the middle
        ("LiLeiLiLeiLiLei", "must not contain"),
        ("call 12345678 anytime", "must not contain"),  # the phone's last digits
        ("a" * 129, "at most 128"),
    ],
)
def test_refused(password, reason):
    problem = password_problem(password, **LI_LEI)
    assert problem is not None and reason in problem


@pytest.mark.parametrize(
    "password", ["correct horse battery", "a long enough Shenyang passphrase", "Tr0ub4dor&3x"]
)
def test_accepted(password):
    assert password_problem(password, **LI_LEI) is None
