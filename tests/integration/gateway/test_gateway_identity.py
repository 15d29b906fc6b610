"""One card: registration, login, tokens, profile — over real HTTP."""

import time
from datetime import UTC, datetime, timedelta

import jwt
import sqlalchemy as sa
from gateway_samples import HAN_MEIMEI, JWT_SECRET, LI_LEI, PASSWORD
from helpers import wait_for

from shared.db import make_engine
from shared.identity import is_valid_card_number
from shared.tokens import issue_access_token

REGISTRATION = {"name": "Li Lei", "id_number": LI_LEI, "phone": "13812345678", "password": PASSWORD}


def login_attempts(stack) -> list[tuple[str, str | None]]:
    engine = make_engine(stack.configs["platform"]["DATABASE_URLS"]["platform"])
    with engine.connect() as conn:
        table = sa.Table("login_attempts", sa.MetaData(), autoload_with=conn)
        rows = conn.execute(sa.select(table.c.outcome, table.c.client_ip).order_by(table.c.id))
        attempts = [tuple(row) for row in rows]
    engine.dispose()
    return attempts


def test_registration_issues_a_card_shown_only_after_login(stack):
    response = stack.call("POST", "/api/v1/residents", json=REGISTRATION)
    assert response.status_code == 202
    assert response.json()["status"] == "accepted"
    assert "card_number" not in response.json()

    token = stack.login(LI_LEI)["access_token"]
    card = stack.call("GET", "/api/v1/me", token).json()["card_number"]
    assert is_valid_card_number(card) and card.startswith("2101")


def test_a_known_id_number_gets_the_same_answer_and_changes_nothing(stack):
    card = stack.register()
    new = stack.call("POST", "/api/v1/residents", json={**REGISTRATION, "id_number": HAN_MEIMEI})
    known = stack.call(
        "POST",
        "/api/v1/residents",
        json={**REGISTRATION, "phone": "13900000000", "password": "an attacker's passphrase"},
    )
    assert known.status_code == new.status_code == 202
    assert known.json() == new.json()  # nothing tells who was registered already

    stolen = stack.call(
        "POST",
        "/api/v1/auth/token",
        json={"username": LI_LEI, "password": "an attacker's passphrase"},
    )
    assert stolen.status_code == 401
    assert (
        stack.call("GET", "/api/v1/me", stack.login(LI_LEI)["access_token"]).json()["card_number"]
        == card
    )


def test_registration_with_a_bad_id_number_names_the_field(stack):
    bad_check_digit = LI_LEI[:-1] + ("4" if LI_LEI[-1] != "4" else "5")
    response = stack.call(
        "POST", "/api/v1/residents", json={**REGISTRATION, "id_number": bad_check_digit}
    )
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "validation_failed"
    assert list(body["fields"]) == ["id_number"]
    assert body["request_id"]


def test_a_weak_password_is_refused_naming_the_field(stack):
    for weak in ("12345678", "password", " " * 8, "1990030712"):
        response = stack.call("POST", "/api/v1/residents", json={**REGISTRATION, "password": weak})
        assert response.status_code == 400, weak
        assert list(response.json()["fields"]) == ["password"], weak


def test_registrations_are_limited_per_address(stack_factory):
    stack = stack_factory(REGISTRATIONS_PER_IP=2)
    for id_number in (LI_LEI, HAN_MEIMEI):
        body = {**REGISTRATION, "id_number": id_number}
        assert stack.call("POST", "/api/v1/residents", json=body).status_code == 202
    third = stack.call("POST", "/api/v1/residents", json=REGISTRATION)
    assert third.status_code == 429
    assert int(third.headers["Retry-After"]) > 0


def test_login_by_card_or_id_number_then_me_shows_my_card(stack):
    card = stack.register()
    for username in (card, LI_LEI):
        tokens = stack.login(username)
        assert tokens["token_type"] == "Bearer" and tokens["expires_in"] > 0
        me = stack.call("GET", "/api/v1/me", tokens["access_token"])
        assert me.status_code == 200
        assert me.json()["card_number"] == card
        assert me.json()["id_number_masked"] != LI_LEI


def test_wrong_password_and_unknown_user_look_the_same(stack):
    stack.register()
    wrong = stack.call(
        "POST", "/api/v1/auth/token", json={"username": LI_LEI, "password": "not the password"}
    )
    unknown = stack.call(
        "POST", "/api/v1/auth/token", json={"username": HAN_MEIMEI, "password": "not the password"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["message"] == unknown.json()["message"]


def test_expired_overlong_and_forged_tokens_are_refused(stack):
    card = stack.register()
    session_id = jwt.decode(stack.login(card)["access_token"], options={"verify_signature": False})[
        "sid"
    ]
    expired = issue_access_token(
        card,
        "resident",
        ["self:read"],
        session_id=session_id,
        now=datetime.now(UTC) - timedelta(hours=1),
        ttl_seconds=60,
        secret=JWT_SECRET,
    )
    response = stack.call("GET", "/api/v1/me", expired)
    assert response.status_code == 401
    assert "expired" in response.json()["message"]

    ten_years = issue_access_token(
        card,
        "resident",
        ["self:read"],
        session_id=session_id,
        ttl_seconds=10 * 365 * 24 * 3600,
        secret=JWT_SECRET,
    )
    response = stack.call("GET", "/api/v1/me", ten_years)
    assert response.status_code == 401
    assert "lifetime" in response.json()["message"]

    forged = jwt.encode(
        {"sub": card, "role": "resident", "exp": time.time() + 60},
        "someone else's secret, long enough for HS256",
        algorithm="HS256",
    )
    assert stack.call("GET", "/api/v1/me", forged).status_code == 401


def test_refresh_rotates_and_logout_revokes(stack):
    card = stack.register()
    first = stack.login(card)
    second = stack.call(
        "POST", "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert second.status_code == 200
    assert stack.call("GET", "/api/v1/me", second.json()["access_token"]).status_code == 200
    # The old refresh token stopped working when it was used.
    reused = stack.call(
        "POST", "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert reused.status_code == 401

    fresh = stack.login(card)
    out = stack.call("POST", "/api/v1/auth/logout", json={"refresh_token": fresh["refresh_token"]})
    assert out.status_code == 200 and out.json()["revoked"] is True
    after = stack.call(
        "POST", "/api/v1/auth/refresh", json={"refresh_token": fresh["refresh_token"]}
    )
    assert after.status_code == 401


def test_logout_ends_the_access_token_within_seconds(stack):
    card = stack.register()
    session = stack.login(card)
    assert stack.call("GET", "/api/v1/me", session["access_token"]).status_code == 200
    stack.call("POST", "/api/v1/auth/logout", json={"refresh_token": session["refresh_token"]})

    def refused() -> object:
        response = stack.call("GET", "/api/v1/me", session["access_token"])
        return response.status_code == 401 and response.json()

    body = wait_for(refused, interval=0.2)  # the gateway caches a login's state for 5 s
    assert "revoked" in body["message"]


def test_failed_logins_slow_the_guessing_address_not_the_owner(stack_factory, monkeypatch):
    monkeypatch.setenv("BEHIND_PROXY", "1")  # so that the test can speak from two addresses
    stack = stack_factory()
    card = stack.register()
    attacker = {"X-Forwarded-For": "198.51.100.7"}
    for _ in range(5):
        wrong = {"username": card, "password": "wrong guess!"}
        response = stack.call("POST", "/api/v1/auth/token", json=wrong, headers=dict(attacker))
        assert response.status_code == 401
    refused = stack.call(
        "POST",
        "/api/v1/auth/token",
        json={"username": card, "password": PASSWORD},
        headers=dict(attacker),
    )
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 30
    owner = stack.call(
        "POST",
        "/api/v1/auth/token",
        json={"username": card, "password": PASSWORD},
        headers={"X-Forwarded-For": "192.0.2.1"},
    )
    assert owner.status_code == 200
    assert login_attempts(stack)[-7:] == [("failure", "198.51.100.7")] * 5 + [
        ("locked", "198.51.100.7"),
        ("success", "192.0.2.1"),
    ]


def test_spraying_many_accounts_from_one_address_is_stopped_before_the_platform(stack_factory):
    stack = stack_factory(LOGIN_FAILURES_PER_IP=3)
    for username in (LI_LEI, HAN_MEIMEI, "2101000000000012"):
        guess = {"username": username, "password": "Password123"}
        assert stack.call("POST", "/api/v1/auth/token", json=guess).status_code == 401
    stopped = stack.call(
        "POST", "/api/v1/auth/token", json={"username": LI_LEI, "password": "Password123"}
    )
    assert stopped.status_code == 429
    assert int(stopped.headers["Retry-After"]) > 0
    assert len(login_attempts(stack)) == 3  # the fourth never reached the platform


def test_bad_api_keys_and_tokens_are_limited_per_address(stack_factory):
    stack = stack_factory(AUTH_FAILURES_PER_IP=4)
    operator = stack.client("operator")
    for bad in ("sc_0123456789ab_not-a-key", "sc_0123456789ab_not-a-key", "sc_x", "not.a.jwt"):
        assert stack.call("GET", "/api/v1/clients", bad).status_code == 401
    # Over budget: refused before anything is checked, even a good key from that address.
    refused = stack.call("GET", "/api/v1/clients", operator)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    # Anonymous routes stay open to it.
    assert stack.call("GET", "/healthz").status_code == 200
