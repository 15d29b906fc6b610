"""One card: registration, login, tokens, profile — over real HTTP."""

import time
from datetime import UTC, datetime, timedelta

import jwt
from gateway_samples import HAN_MEIMEI, JWT_SECRET, LI_LEI, PASSWORD

from shared.tokens import issue_access_token


def test_registration_issues_a_card_with_a_check_digit(stack):
    body = stack.register()
    assert set(body) >= {"resident_id", "card_number"}
    card = body["card_number"]
    assert len(card) == 16 and card.startswith("2101")


def test_registration_with_a_bad_id_number_names_the_field(stack):
    bad_check_digit = LI_LEI[:-1] + ("4" if LI_LEI[-1] != "4" else "5")
    response = stack.call(
        "POST",
        "/api/v1/residents",
        json={
            "name": "Li Lei",
            "id_number": bad_check_digit,
            "phone": "13812345678",
            "password": PASSWORD,
        },
    )
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "validation_failed"
    assert list(body["fields"]) == ["id_number"]
    assert body["request_id"]


def test_a_second_registration_of_the_same_id_is_a_conflict(stack):
    stack.register()
    response = stack.call(
        "POST",
        "/api/v1/residents",
        json={"name": "Li Lei", "id_number": LI_LEI, "phone": "13812345678", "password": PASSWORD},
    )
    assert response.status_code == 409
    assert response.json()["error"] == "conflict"


def test_login_by_card_or_id_number_then_me_shows_my_card(stack):
    card = stack.register()["card_number"]
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


def test_expired_and_forged_tokens_are_refused(stack):
    card = stack.register()["card_number"]
    expired = issue_access_token(
        card,
        "resident",
        ["self:read"],
        now=datetime.now(UTC) - timedelta(hours=1),
        ttl_seconds=60,
        secret=JWT_SECRET,
    )
    response = stack.call("GET", "/api/v1/me", expired)
    assert response.status_code == 401
    assert "expired" in response.json()["message"]

    forged = jwt.encode(
        {"sub": card, "role": "resident", "exp": time.time() + 60},
        "someone else's secret, long enough for HS256",
        algorithm="HS256",
    )
    assert stack.call("GET", "/api/v1/me", forged).status_code == 401


def test_refresh_rotates_and_logout_revokes(stack):
    card = stack.register()["card_number"]
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


def test_repeated_failures_lock_the_account(stack):
    card = stack.register()["card_number"]
    for _ in range(5):
        stack.call("POST", "/api/v1/auth/token", json={"username": card, "password": "wrong!!!"})
    locked = stack.call("POST", "/api/v1/auth/token", json={"username": card, "password": PASSWORD})
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) > 0
