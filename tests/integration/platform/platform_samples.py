"""Test data and small helpers of the platform integration tests.

Resident ID numbers below carry the GB 11643 MOD 11-2 check character (weights 7 9 10 5 8 4
2 1 6 3 7 9 10 5 8 4 2, check = (12 - sum mod 11) mod 11, 10 written X).
"""

from shared.contracts.envelope import new_envelope

LI_LEI = "210102199003071233"  # born 1990-03-07
HAN_MEIMEI = "21010219900318123X"  # born 1990-03-18
WANG_FANG = "210102198506110025"  # born 1985-06-11
ZHAO_QIANG = "21010419721224005X"  # born 1972-12-24

PASSWORD = "correct horse battery"
JWT_SECRET = "platform-integration-tests-secret-0123456789"

# Well-formed card numbers: "2101" + 11-digit serial + Luhn check digit (serials 1 and 2).
# Payload 210100000000001, from the right: 1 doubled = 2, the zeros, then 1, 0 doubled, 1, 2
# doubled = 4: sum 2 + 1 + 1 + 4 = 8, check (10 - 8) % 10 = 2. Serial 2: 4 + 1 + 1 + 4 = 10,
# check 0. The platform draws card serials at random, so these are subjects of events and
# cards nobody holds; a registered resident's card is read from the registration.
FIRST_CARD = "2101000000000012"
SECOND_CARD = "2101000000000020"

ENTERPRISE_CODE = "91110000600037341L"  # first character 9: industry and commerce


def registration(id_number: str = LI_LEI, **overrides: object) -> dict:
    return {
        "name": "Li Lei",
        "id_number": id_number,
        "phone": "13812345678",
        "password": PASSWORD,
        **overrides,
    }


def access_envelope(
    subject: str,
    *,
    source: str = "health",
    department: str | None = "health",
    purpose: str = "consultation",
    request_id: str | None = "req-1",
) -> dict:
    data = {
        "actor": f"{source}-client",
        "actor_role": "department",
        "department": department,
        "subject": subject,
        "action": "read",
        "resource": f"{source}.archive",
        "purpose": purpose,
    }
    return new_envelope(
        f"{source}.personal_data_accessed",
        data,
        source=source,
        version=1,
        subject=subject,
        request_id=request_id,
    )


def card_linked_envelope(card_number: str, kind: str, linked_number: str) -> dict:
    # Each sector service announces its own links (education.card_linked): an event may only
    # name its own source.
    return new_envelope(
        "education.card_linked",
        {"card_number": card_number, "kind": kind, "linked_number": linked_number},
        source="education",
        version=1,
        subject=card_number,
    )
