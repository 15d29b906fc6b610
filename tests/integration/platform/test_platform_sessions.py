"""Login, refresh-token rotation, logout and lock-out, against the running service and, where
the clock matters, against the handlers on the same PostgreSQL database."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from platform_samples import HAN_MEIMEI, LI_LEI, PASSWORD, registration
from sqlalchemy.orm import Session

from services.platform import handlers, sessions
from services.platform.models import LoginAttempt, RefreshToken
from shared import tokens
from shared.errors import RateLimited, Unauthorized, ValidationFailed

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def test_login_with_card_number_or_id_number(rpc):
    card = rpc.register_resident(registration())["card_number"]
    for username in (card, LI_LEI):
        session = rpc.issue_token(username, PASSWORD, "10.0.0.7")
        assert session["token_type"] == "Bearer"
        assert session["expires_in"] == 900
        claims = tokens.verify_access_token(session["access_token"])
        assert (claims["sub"], claims["role"]) == (card, "resident")
        assert rpc.session_active(claims["sid"]) == {"active": True}
        assert claims["exp"] - claims["iat"] == 900
        assert claims["scopes"] == ["self:read", "self:write"]


def test_wrong_password_and_unknown_user_look_the_same(rpc, engine):
    card = rpc.register_resident(registration())["card_number"]
    with pytest.raises(Unauthorized) as wrong_password:
        rpc.issue_token(card, "not the password", "10.0.0.7")
    with pytest.raises(Unauthorized) as unknown_user:
        rpc.issue_token(HAN_MEIMEI, PASSWORD, "10.0.0.8")
    assert wrong_password.value.message == unknown_user.value.message
    assert wrong_password.value.message == "wrong username or password"

    with Session(engine) as session:
        attempts = session.execute(
            sa.select(LoginAttempt.username, LoginAttempt.outcome, LoginAttempt.client_ip).order_by(
                LoginAttempt.id
            )
        ).all()
    assert attempts == [(card, "failure", "10.0.0.7"), (HAN_MEIMEI, "failure", "10.0.0.8")]


def test_username_that_is_no_identifier_is_a_validation_error(rpc):
    with pytest.raises(ValidationFailed) as caught:
        rpc.issue_token("li.lei", PASSWORD)
    assert list(caught.value.fields) == ["username"]


def test_refresh_rotates_and_reuse_revokes_the_whole_login(rpc, engine):
    card = rpc.register_resident(registration())["card_number"]
    first = rpc.issue_token(card, PASSWORD)

    second = rpc.refresh_token(first["refresh_token"])
    assert second["refresh_token"] != first["refresh_token"]
    claims = tokens.verify_access_token(second["access_token"])
    assert claims["sub"] == card
    # One login, one session id, whatever the rotation.
    assert claims["sid"] == tokens.verify_access_token(first["access_token"])["sid"]
    third = rpc.refresh_token(second["refresh_token"])

    # An attacker replays the first token: refused, and the holder's newest token dies too.
    with pytest.raises(Unauthorized) as reuse:
        rpc.refresh_token(first["refresh_token"])
    assert reuse.value.message == "refresh token already used; the session has been revoked"
    with pytest.raises(Unauthorized):
        rpc.refresh_token(third["refresh_token"])
    assert rpc.session_active(claims["sid"]) == {"active": False}  # its access tokens end too

    with Session(engine) as session:
        rows = session.scalars(sa.select(RefreshToken)).all()
    assert len(rows) == 3 and all(row.revoked_at is not None for row in rows)
    assert len({row.family_id for row in rows}) == 1
    stored = {row.token_hash for row in rows}
    assert tokens.token_digest(third["refresh_token"]) in stored
    assert third["refresh_token"] not in stored  # only the hash is kept


def test_logout_revokes_the_refresh_token(rpc):
    card = rpc.register_resident(registration())["card_number"]
    session = rpc.issue_token(card, PASSWORD)
    other_login = rpc.issue_token(LI_LEI, PASSWORD)
    sid = tokens.verify_access_token(session["access_token"])["sid"]

    assert rpc.revoke_refresh_token(session["refresh_token"]) == {"revoked": True}
    assert rpc.session_active(sid) == {"active": False}
    assert rpc.revoke_refresh_token(session["refresh_token"]) == {"revoked": False}
    with pytest.raises(Unauthorized):
        rpc.refresh_token(session["refresh_token"])
    # Another login of the same resident is another family and keeps working.
    assert rpc.refresh_token(other_login["refresh_token"])["token_type"] == "Bearer"


def test_unknown_refresh_token_is_unauthorized(rpc):
    with pytest.raises(Unauthorized) as caught:
        rpc.refresh_token("no-such-token")
    assert caught.value.message == "refresh token invalid"


def test_session_of_an_unknown_or_malformed_id(rpc):
    assert rpc.session_active("6f1c7e1a-3f0e-4a53-9b0e-8f3c2a1d4b5e") == {"active": False}
    with pytest.raises(ValidationFailed) as caught:
        rpc.session_active("not-a-uuid")
    assert list(caught.value.fields) == ["session_id"]


def test_failures_slow_the_guessing_address_not_the_owner(rpc, engine):
    card = rpc.register_resident(registration())["card_number"]
    for attempt in range(5):
        # Alternating card and ID number: the count is per account, not per spelling.
        username = card if attempt % 2 else LI_LEI
        with pytest.raises(Unauthorized):
            rpc.issue_token(username, f"guess {attempt}", "10.0.0.9")

    # The guessing address now waits 30 s, even with the right password...
    # (nameko turns every non-string in an exception's args into a string on the way.)
    with pytest.raises(RateLimited) as refused:
        rpc.issue_token(card, PASSWORD, "10.0.0.9")
    assert 25 <= int(refused.value.extra["retry_after"]) <= 30
    # ... while the owner, from their own address, is not locked out.
    assert rpc.issue_token(LI_LEI, PASSWORD, "192.0.2.1")["token_type"] == "Bearer"

    with Session(engine) as session:
        attempts = session.execute(
            sa.select(LoginAttempt.outcome, LoginAttempt.client_ip)
            .where(LoginAttempt.username == card)
            .order_by(LoginAttempt.id)
        ).all()
    assert attempts == [("failure", "10.0.0.9")] * 5 + [
        ("locked", "10.0.0.9"),
        ("success", "192.0.2.1"),
    ]


def test_the_wait_doubles_with_each_failure_and_a_success_resets_it(run_domain):
    run_domain(handlers.register_resident, registration(HAN_MEIMEI), now=NOW)
    ip = "10.0.0.9"

    def login(password: str, at: timedelta) -> dict:
        return run_domain(sessions.issue_token, HAN_MEIMEI, password, ip, now=NOW + at)

    for second in range(5):  # failures at 12:00:00 ... 12:00:04, each recorded
        with pytest.raises(Unauthorized):
            login("guess", timedelta(seconds=second))
    # 30 s after the fifth failure (12:00:34) the address may try again; a second before, not.
    with pytest.raises(RateLimited) as refused:
        login(PASSWORD, timedelta(seconds=33))
    assert refused.value.extra == {"retry_after": 1}
    with pytest.raises(Unauthorized):
        login("guess", timedelta(seconds=34))  # the sixth failure: now 60 s
    with pytest.raises(RateLimited) as refused:
        login(PASSWORD, timedelta(seconds=93))
    assert refused.value.extra == {"retry_after": 1}

    assert login(PASSWORD, timedelta(seconds=94))["token_type"] == "Bearer"
    # The success resets this address's count: four failures after it cost nothing...
    for second in range(95, 99):
        with pytest.raises(Unauthorized):
            login("guess", timedelta(seconds=second))
    assert login(PASSWORD, timedelta(seconds=99))["token_type"] == "Bearer"


def test_the_wait_is_capped_at_fifteen_minutes_and_failures_are_forgotten_after_a_day(run_domain):
    run_domain(handlers.register_resident, registration(HAN_MEIMEI), now=NOW)

    def login(password: str, at: timedelta) -> dict:
        return run_domain(sessions.issue_token, HAN_MEIMEI, password, None, now=NOW + at)

    for attempt in range(12):  # 15 minutes apart: each one after the wait, however long
        with pytest.raises(Unauthorized):
            login("guess", timedelta(minutes=15 * attempt))
    last = timedelta(minutes=15 * 11)
    with pytest.raises(RateLimited) as refused:
        login(PASSWORD, last + timedelta(minutes=10))
    assert refused.value.extra == {"retry_after": 300}  # 15 minutes at most, not 30 s * 2^7

    # A day later the twelve are forgotten: two failures in a row cost nothing.
    for second in (0, 1):
        with pytest.raises(Unauthorized):
            login("guess", last + timedelta(days=1, seconds=second))


def test_refresh_token_expires_after_fourteen_days(run_domain):
    run_domain(handlers.register_resident, registration(), now=NOW)
    login = run_domain(sessions.issue_token, LI_LEI, PASSWORD, None, now=NOW)

    with pytest.raises(Unauthorized) as caught:
        run_domain(sessions.refresh_token, login["refresh_token"], now=NOW + timedelta(days=14))
    assert caught.value.message == "refresh token expired"

    rotated = run_domain(
        sessions.refresh_token, login["refresh_token"], now=NOW + timedelta(days=14, seconds=-1)
    )
    assert rotated["refresh_token"] != login["refresh_token"]
