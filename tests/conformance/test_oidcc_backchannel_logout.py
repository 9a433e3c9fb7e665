"""The Back-Channel Logout OP plan (``oidcc-backchannel-rp-initiated-logout-certification-test-
plan``): one test per module, named after it, with the variant the plan runs it with
(discovery, ``client_secret_basic``, the default response mode), asserting what the module
asserts (docs/conformance.md). The suite's static client registers a
``backchannel_logout_uri`` (its ``/backchannel_logout``, ``sid`` required) and a
``post_logout_redirect_uri``; the service's deliveries reach the suite's endpoint through
its webhook sender (``BackchannelReceiver``)."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any
from urllib.parse import parse_qs

import pytest
from joserfc import jwt

from tests.support.conformance import (
    BACKCHANNEL,
    POST_LOGOUT,
    BackchannelReceiver,
    Suite,
    base64url_decode,
)

pytestmark = pytest.mark.conformance

LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
SKEW = 5 * 60  # ValidateLogoutTokenClaims' allowed clock skew, seconds


def test_oidcc_backchannel_logout_discovery_endpoint_verification(logout_suite: Suite) -> None:
    """CheckDiscEndpointAllEndpointsAreHttps, CheckDiscEndpointBackchannelLogoutSupported,
    CheckDiscEndpointBackchannelLogoutSessionSupported (certification needs ``sid``),
    CheckDiscEndSessionEndpoint."""
    config = logout_suite.config
    endpoints = {k: v for k, v in config.items() if k.endswith("_endpoint") or k == "jwks_uri"}
    assert all(str(url).startswith("https://") for url in endpoints.values()), endpoints
    assert config["backchannel_logout_supported"] is True
    assert config["backchannel_logout_session_supported"] is True
    assert str(config["end_session_endpoint"]).startswith("https://")


def test_oidcc_backchannel_rp_initiated_logout(
    logout_suite: Suite, receiver: BackchannelReceiver
) -> None:
    """A normal authorization, then the browser to the end_session_endpoint: the suite's
    backchannel_logout_uri gets a valid logout token, the browser comes back to the
    post_logout_redirect_uri with the state, and a second authorization with
    ``prompt=none`` needs a person."""
    flow = logout_suite.flow(state=secrets.token_urlsafe(96))
    state = secrets.token_urlsafe(16)
    answer = logout_suite.end_session(
        id_token_hint=flow.tokens["id_token"], post_logout_redirect_uri=POST_LOGOUT, state=state
    )
    # Verify frontchannel post logout redirect: CheckPostLogoutState,
    # CheckForUnexpectedParametersInPostLogoutRedirect
    assert answer.page is None and answer.query == {"state": state}
    # Verify backchannel logout request
    url, body, headers = receiver.wait()
    assert url == BACKCHANNEL
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    form = parse_qs(body)
    assert set(form) == {"logout_token"}  # CheckForUnexpectedParametersInBackchannelLogoutRequest
    (token,) = form["logout_token"]  # ExtractLogoutTokenFromBackchannelLogoutRequest
    claims = validated_logout_token(logout_suite, token)
    assert claims["sub"] == flow.id_token["sub"]  # CheckIdTokenSubMatchesLogoutToken
    assert claims["sid"] == flow.id_token["sid"]  # CheckIdTokenSidMatchesLogoutToken
    assert "nonce" not in claims  # CheckLogoutTokenNoNonce
    assert "sub" in claims or "sid" in claims  # CheckLogoutTokenHasSubOrSid
    logout_suite.check_signed_out()
    assert len(receiver.received) == 1  # one client held a grant of the session


def validated_logout_token(suite: Suite, token: str) -> dict[str, Any]:
    """ValidateLogoutTokenSignature (a key of the JWKS, the header's ``kid`` and ``alg``),
    ValidateLogoutTokenClaims (``iss``, ``aud``, ``iat`` within the skew and not a day old,
    ``jti``, ``events`` holding exactly the back-channel logout event, an empty object)."""
    header = json.loads(base64url_decode(token.split(".", maxsplit=1)[0]))
    assert header["alg"] in suite.config["id_token_signing_alg_values_supported"]
    assert header["typ"] == "logout+jwt" and header.get("kid")
    claims: dict[str, Any] = dict(
        jwt.decode(token, suite.keys(), algorithms=[header["alg"]]).claims
    )
    now = time.time()
    assert claims["iss"] == suite.issuer
    audience = claims["aud"]
    assert suite.client["client_id"] in (audience if isinstance(audience, list) else [audience])
    assert now - 86400 < claims["iat"] <= now + SKEW
    assert isinstance(claims["jti"], str) and claims["jti"]
    assert claims["events"] == {LOGOUT_EVENT: {}}
    return claims
