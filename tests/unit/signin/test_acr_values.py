"""The class of a sign-in (``acr``, docs/reference/acr.md): derived from the session's methods
in one function, and carried by every token made of a session."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest

from application.signin.tokens import access_claims
from domain.signin.acr import MFA, PHR, PWD, AcrRequest, acr_of, meets
from domain.signin.sessions import Session
from infrastructure.signin.jwt_tokens import PyJWTTokenIssuer, SigningKey
from tests.fakes.claims import CLAIMS

pytestmark = pytest.mark.unit
SECRET = b"s" * 32


@pytest.mark.parametrize(
    ("amr", "acr"),
    [
        ((), None),  # a guest: no method, no class
        (("pwd",), PWD),
        (("fed",), PWD),
        (("email",), PWD),
        (("sms",), PWD),
        (("otp",), PWD),  # a recovery code in place of a password
        (("pwd", "otp"), MFA),
        (("fed", "otp"), MFA),
        (("email", "otp"), MFA),
        (("hwk",), PHR),
        (("swk",), PHR),
        (("pwd", "hwk"), PHR),
    ],
)
def test_the_class_follows_the_methods(amr: tuple[str, ...], acr: str | None) -> None:
    assert acr_of(amr) == acr


def test_classes_are_ordered() -> None:
    assert meets(PHR, MFA) and meets(MFA, PWD) and meets(PWD, PWD)
    assert not meets(PWD, MFA) and not meets(MFA, PHR) and not meets(None, PWD)


def test_an_authorization_request_wants_the_weakest_value_it_names() -> None:
    assert AcrRequest.of(f"{PHR} {MFA} urn:other") == AcrRequest(MFA, essential=False)
    assert AcrRequest.of("urn:other") == AcrRequest()
    assert AcrRequest.of(None) == AcrRequest()
    # the claims request's values win, essential when it says so
    assert AcrRequest.of(PWD, (PHR,), essential=True) == AcrRequest(PHR, essential=True)
    assert AcrRequest(MFA).met_by(PHR) and not AcrRequest(MFA).met_by(PWD)
    assert AcrRequest().met_by(None)


def test_a_resources_min_acr_is_a_floor_under_what_the_request_asks() -> None:
    assert AcrRequest().at_least(MFA) == AcrRequest(MFA)
    assert AcrRequest(PWD, essential=True).at_least(MFA) == AcrRequest(MFA, essential=True)
    assert AcrRequest(PHR).at_least(MFA) == AcrRequest(PHR)  # asks more already
    assert AcrRequest(MFA).at_least(None) == AcrRequest(MFA)
    assert AcrRequest(MFA).at_least("urn:other") == AcrRequest(MFA)


def issued(amr: tuple[str, ...]) -> dict[str, Any]:
    tokens = PyJWTTokenIssuer(
        signing=SigningKey("HS256", SECRET),
        issuer="firegate",
        audience="api",
        ttl=timedelta(minutes=15),
    )
    now = datetime.now(UTC)
    session = Session.start(
        id="s1",
        user_id="u1",
        token_version=0,
        refresh_hash="h",
        now=now,
        lifetime=timedelta(days=1),
        amr=amr,
    )
    claims = access_claims(CLAIMS, None, session, {})  # the claim sources' (acr among them)
    token = tokens.issue_access(
        user_id="u1", role="user", session_id="s1", now=now, amr=amr, claims=claims
    ).token
    found: dict[str, Any] = jwt.decode(token, SECRET, algorithms=["HS256"], audience="api")
    return found


def test_firegates_access_token_carries_the_sessions_class() -> None:
    assert issued(("pwd",))["acr"] == PWD
    assert issued(("pwd", "otp"))["acr"] == MFA
    assert issued(("hwk",))["acr"] == PHR
    assert "acr" not in issued(())
