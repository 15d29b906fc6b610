"""Login, refresh-token rotation, logout and lock-out, against the running service and, where
the clock matters, against the handlers on the same PostgreSQL database."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from platform_samples import FIRST_CARD, HAN_MEIMEI, LI_LEI, PASSWORD, registration
from sqlalchemy.orm import Session

from services.platform import handlers
from services.platform.models import LoginAttempt, RefreshToken
from shared import tokens
from shared.errors import RateLimited, Unauthorized, ValidationFailed

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def test_login_with_card_number_or_id_number(rpc):
    rpc.register_resident(registration())
    for username in (FIRST_CARD, LI_LEI):
        session = rpc.issue_token(username, PASSWORD, "10.0.0.7")
        assert session["token_type"] == "Bearer"
        assert session["expires_in"] == 900
        claims = tokens.verify_access_token(session["access_token"])
        assert (claims["sub"], claims["role"]) == (FIRST_CARD, "resident")
        assert claims["exp"] - claims["iat"] == 900
        assert claims["scopes"] == ["self:read", "self:write"]


def test_wrong_password_and_unknown_user_look_the_same(rpc, engine):
    rpc.register_resident(registration())
    with pytest.raises(Unauthorized) as wrong_password:
        rpc.issue_token(FIRST_CARD, "not the password", "10.0.0.7")
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
    assert attempts == [(FIRST_CARD, "failure", "10.0.0.7"), (HAN_MEIMEI, "failure", "10.0.0.8")]


def test_username_that_is_no_identifier_is_a_validation_error(rpc):
    with pytest.raises(ValidationFailed) as caught:
        rpc.issue_token("li.lei", PASSWORD)
    assert list(caught.value.fields) == ["username"]


def test_refresh_rotates_and_reuse_revokes_the_whole_login(rpc, engine):
    rpc.register_resident(registration())
    first = rpc.issue_token(FIRST_CARD, PASSWORD)

    second = rpc.refresh_token(first["refresh_token"])
    assert second["refresh_token"] != first["refresh_token"]
    assert tokens.verify_access_token(second["access_token"])["sub"] == FIRST_CARD
    third = rpc.refresh_token(second["refresh_token"])

    # An attacker replays the first token: refused, and the holder's newest token dies too.
    with pytest.raises(Unauthorized) as reuse:
        rpc.refresh_token(first["refresh_token"])
    assert reuse.value.message == "refresh token already used; the session has been revoked"
    with pytest.raises(Unauthorized):
        rpc.refresh_token(third["refresh_token"])

    with Session(engine) as session:
        rows = session.scalars(sa.select(RefreshToken)).all()
    assert len(rows) == 3 and all(row.revoked_at is not None for row in rows)
    assert len({row.family_id for row in rows}) == 1
    stored = {row.token_hash for row in rows}
    assert tokens.token_digest(third["refresh_token"]) in stored
    assert third["refresh_token"] not in stored  # only the hash is kept


def test_logout_revokes_the_refresh_token(rpc):
    rpc.register_resident(registration())
    session = rpc.issue_token(FIRST_CARD, PASSWORD)
    other_login = rpc.issue_token(LI_LEI, PASSWORD)

    assert rpc.revoke_refresh_token(session["refresh_token"]) == {"revoked": True}
    assert rpc.revoke_refresh_token(session["refresh_token"]) == {"revoked": False}
    with pytest.raises(Unauthorized):
        rpc.refresh_token(session["refresh_token"])
    # Another login of the same resident is another family and keeps working.
    assert rpc.refresh_token(other_login["refresh_token"])["token_type"] == "Bearer"


def test_unknown_refresh_token_is_unauthorized(rpc):
    with pytest.raises(Unauthorized) as caught:
        rpc.refresh_token("no-such-token")
    assert caught.value.message == "refresh token invalid"


def test_five_failures_lock_the_account_even_for_the_right_password(rpc, engine):
    rpc.register_resident(registration())
    for attempt in range(5):
        # Alternating card and ID number: the count is per account, not per spelling.
        username = FIRST_CARD if attempt % 2 else LI_LEI
        with pytest.raises(Unauthorized):
            rpc.issue_token(username, f"guess {attempt}", "10.0.0.9")

    with pytest.raises(RateLimited) as locked:
        rpc.issue_token(FIRST_CARD, PASSWORD, "10.0.0.9")
    # Locked until the first failure is 15 min old: a moment ago, so almost 900 s remain.
    # (nameko turns every non-string in an exception's args into a string on the way.)
    assert 890 <= int(locked.value.extra["retry_after"]) <= 900

    with Session(engine) as session:
        outcomes = session.scalars(
            sa.select(LoginAttempt.outcome)
            .where(LoginAttempt.username == FIRST_CARD)
            .order_by(LoginAttempt.id)
        ).all()
    assert outcomes == ["failure"] * 5 + ["locked"]


def test_lock_opens_when_the_window_passes(run_domain):
    run_domain(handlers.register_resident, registration(HAN_MEIMEI), now=NOW)
    # Failures at 12:00, 12:01, ..., 12:04 (each is recorded although the call raises).
    for minute in range(5):
        with pytest.raises(Unauthorized):
            run_domain(
                handlers.issue_token, HAN_MEIMEI, "guess", None, now=NOW + timedelta(minutes=minute)
            )

    # At 12:14:59 the 12:00 failure is still inside the 15-minute window: 1 s to go.
    with pytest.raises(RateLimited) as locked:
        run_domain(
            handlers.issue_token,
            HAN_MEIMEI,
            PASSWORD,
            None,
            now=NOW + timedelta(minutes=14, seconds=59),
        )
    assert locked.value.extra == {"retry_after": 1}

    # At 12:15:00 only four failures remain in the window: the right password works again.
    session = run_domain(
        handlers.issue_token, HAN_MEIMEI, PASSWORD, None, now=NOW + timedelta(minutes=15)
    )
    assert session["token_type"] == "Bearer"

    # The success resets the count: four failures after it do not lock...
    for minute in range(16, 20):
        with pytest.raises(Unauthorized):
            run_domain(
                handlers.issue_token, HAN_MEIMEI, "guess", None, now=NOW + timedelta(minutes=minute)
            )
    # ... so the fifth attempt is checked (and fails) rather than refused.
    with pytest.raises(Unauthorized):
        run_domain(handlers.issue_token, HAN_MEIMEI, "guess", None, now=NOW + timedelta(minutes=20))
    with pytest.raises(RateLimited):
        run_domain(
            handlers.issue_token, HAN_MEIMEI, PASSWORD, None, now=NOW + timedelta(minutes=21)
        )


def test_refresh_token_expires_after_fourteen_days(run_domain):
    run_domain(handlers.register_resident, registration(), now=NOW)
    login = run_domain(handlers.issue_token, LI_LEI, PASSWORD, None, now=NOW)

    with pytest.raises(Unauthorized) as caught:
        run_domain(handlers.refresh_token, login["refresh_token"], now=NOW + timedelta(days=14))
    assert caught.value.message == "refresh token expired"

    rotated = run_domain(
        handlers.refresh_token, login["refresh_token"], now=NOW + timedelta(days=14, seconds=-1)
    )
    assert rotated["refresh_token"] != login["refresh_token"]
