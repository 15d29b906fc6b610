"""Access tokens on a fixed clock, and where the signing secret comes from."""

import base64
import json
import os
import stat
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from shared import tokens
from shared.errors import Unauthorized

SECRET = "s" * 32
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
CARD = "2101000000000012"
SESSION = "6f1c7e1a-3f0e-4a53-9b0e-8f3c2a1d4b5e"


def issue(**overrides) -> str:
    arguments = {
        "now": NOW,
        "ttl_seconds": 900,
        "secret": SECRET,
        "session_id": SESSION,
        **overrides,
    }
    return tokens.issue_access_token(CARD, "resident", ["self:read"], **arguments)


def test_claims_of_an_issued_token():
    claims = tokens.verify_access_token(issue(), now=NOW, secret=SECRET)
    # 2026-11-28T12:00:00Z is 1_795_867_200 s after the epoch; exp is 900 s later.
    assert claims["iat"] == 1_795_867_200
    assert claims["exp"] == 1_795_867_200 + 900
    assert (claims["sub"], claims["role"], claims["scopes"]) == (CARD, "resident", ["self:read"])
    assert claims["iss"] == "smartcity-platform"
    assert len(claims["jti"]) == 32
    assert claims["sid"] == SESSION


def test_every_token_has_its_own_jti():
    first = tokens.verify_access_token(issue(), now=NOW, secret=SECRET)
    second = tokens.verify_access_token(issue(), now=NOW, secret=SECRET)
    assert first["jti"] != second["jti"]


def test_token_is_valid_until_one_second_before_exp():
    token = issue()
    assert tokens.verify_access_token(token, now=NOW + timedelta(seconds=899), secret=SECRET)
    with pytest.raises(Unauthorized, match=r"^access token expired$"):
        tokens.verify_access_token(token, now=NOW + timedelta(seconds=900), secret=SECRET)


def test_ttl_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("ACCESS_TOKEN_TTL", "60")
    token = tokens.issue_access_token(
        CARD, "resident", [], session_id=SESSION, now=NOW, secret=SECRET
    )
    assert tokens.verify_access_token(token, now=NOW, secret=SECRET)["exp"] == 1_795_867_200 + 60


def test_default_ttl_is_fifteen_minutes(monkeypatch):
    monkeypatch.delenv("ACCESS_TOKEN_TTL", raising=False)
    assert tokens.access_token_ttl() == 900


def test_token_signed_with_another_secret_is_invalid():
    with pytest.raises(Unauthorized, match=r"^access token invalid: bad signature$"):
        tokens.verify_access_token(issue(secret="x" * 32), now=NOW, secret=SECRET)


def test_altered_payload_is_invalid():
    header, payload, signature = issue().split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["role"] = "operator"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(Unauthorized, match="bad signature"):
        tokens.verify_access_token(f"{header}.{forged}.{signature}", now=NOW, secret=SECRET)


def test_unsigned_alg_none_token_is_invalid():
    claims = tokens.verify_access_token(issue(), now=NOW, secret=SECRET)
    unsigned = jwt.encode(claims, key=None, algorithm="none")
    with pytest.raises(Unauthorized, match=r"^access token invalid: malformed$"):
        tokens.verify_access_token(unsigned, now=NOW, secret=SECRET)


def test_token_without_required_claim_is_invalid():
    claims = {
        "sub": CARD,
        "role": "resident",
        "scopes": [],
        "iat": 1,
        "exp": 2**40,
        "iss": tokens.ISSUER,
    }  # no jti
    token = jwt.encode(claims, SECRET, algorithm="HS256")
    with pytest.raises(Unauthorized, match=r"^access token invalid: missing claim jti$"):
        tokens.verify_access_token(token, now=NOW, secret=SECRET)


def test_token_without_a_session_is_invalid():
    claims = tokens.verify_access_token(issue(), now=NOW, secret=SECRET)
    del claims["sid"]
    token = jwt.encode(claims, SECRET, algorithm="HS256")
    with pytest.raises(Unauthorized, match=r"^access token invalid: missing claim sid$"):
        tokens.verify_access_token(token, now=NOW, secret=SECRET)


def test_a_correctly_signed_ten_year_token_is_refused():
    ten_years = 10 * 365 * 24 * 3600
    with pytest.raises(Unauthorized, match=r"^access token invalid: lifetime longer than allowed$"):
        tokens.verify_access_token(issue(ttl_seconds=ten_years), now=NOW, secret=SECRET)


def test_the_lifetime_cap_follows_the_configured_ttl(monkeypatch):
    monkeypatch.setenv("ACCESS_TOKEN_TTL", "60")
    with pytest.raises(Unauthorized, match="lifetime longer than allowed"):
        tokens.verify_access_token(issue(ttl_seconds=61), now=NOW, secret=SECRET)
    assert tokens.verify_access_token(issue(ttl_seconds=60), now=NOW, secret=SECRET)


def test_token_issued_in_the_future_is_invalid():
    token = issue(now=NOW + timedelta(minutes=5))
    with pytest.raises(Unauthorized, match="issued in the future"):
        tokens.verify_access_token(token, now=NOW, secret=SECRET)


def test_small_clock_skew_is_tolerated():
    token = issue(now=NOW + timedelta(seconds=tokens.CLOCK_SKEW_S))
    assert tokens.verify_access_token(token, now=NOW, secret=SECRET)["sub"] == CARD


def test_garbage_is_invalid_and_missing_is_missing():
    with pytest.raises(Unauthorized, match="malformed"):
        tokens.verify_access_token("not-a-jwt", now=NOW, secret=SECRET)
    with pytest.raises(Unauthorized, match=r"^access token missing$"):
        tokens.verify_access_token("", now=NOW, secret=SECRET)


def test_secret_from_the_environment(monkeypatch):
    monkeypatch.setenv("JWT_SECRET", "k" * 40)
    assert tokens.jwt_secret() == "k" * 40


def test_short_secret_from_the_environment_is_refused(monkeypatch):
    monkeypatch.setenv("JWT_SECRET", "too-short")
    with pytest.raises(ValueError, match="at least 32 characters"):
        tokens.jwt_secret()


def test_generated_secret_is_private_and_shared(monkeypatch, tmp_path):
    monkeypatch.delenv("JWT_SECRET", raising=False)
    monkeypatch.setenv("SMARTCITY_VAR_DIR", str(tmp_path))
    secret = tokens.jwt_secret()
    path = tmp_path / "jwt-secret"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert path.read_text() == secret
    assert len(secret) >= tokens.MIN_SECRET_LENGTH
    # Another process (no cache) reads the same file rather than making a second secret.
    assert tokens._read_or_create_secret(path) == secret
    assert [p.name for p in tmp_path.iterdir()] == ["jwt-secret"]  # no temporary file left


def test_token_digest_is_sha256_hex():
    # sha256("abc") is the FIPS 180-2 test vector.
    expected = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert tokens.token_digest("abc") == expected


def test_opaque_tokens_are_long_and_unique():
    values = {tokens.new_opaque_token() for _ in range(100)}
    assert len(values) == 100
    assert all(len(value) == 43 for value in values)  # 32 bytes in unpadded base64
