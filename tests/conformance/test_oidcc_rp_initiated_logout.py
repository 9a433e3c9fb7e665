"""The RP-Initiated Logout OP plan (``oidcc-rp-initiated-logout-certification-test-plan``):
one test per module, named after it, in the plan's order, with the variant the plan runs it
with (discovery, ``client_secret_basic``, the default response mode), asserting what the
module asserts (docs/conformance.md).

Every module but the discovery one first makes a normal authorization (with a 128-character
``state``: the suite checks firegate keeps it whole), then sends the browser to the
``end_session_endpoint``. Where the module expects the browser back at its
``post_logout_redirect_uri``, the replay checks that redirect's parameters and that a second
authorization with ``prompt=none`` needs a person (the browser is signed out). Where it
expects a page (an error, or a question to the person, or "you are signed out"), which the
tester's screenshot shows, the replay asserts that firegate showed a page and never went to
the registered ``post_logout_redirect_uri``, and what the page says."""

from __future__ import annotations

import base64
import json
import secrets
import time

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey

from tests.support.conformance import POST_LOGOUT, Answer, Suite

pytestmark = pytest.mark.conformance

LONG_STATE = 128  # requested_state_length


def signed_in_flow(suite: Suite) -> str:
    """The module's first authorization; its ID token."""
    flow = suite.flow(state=secrets.token_urlsafe(96))
    assert len(flow.request["state"]) == LONG_STATE
    token: str = flow.tokens["id_token"]
    return token


def end_session_request(id_token: str) -> dict[str, str]:
    """CreateRandomEndSessionState, CreateEndSessionEndpointRequest."""
    return {
        "id_token_hint": id_token,
        "post_logout_redirect_uri": POST_LOGOUT,
        "state": secrets.token_urlsafe(16),
    }


def shown_page(answer: Answer) -> str:
    """The module's placeholder: a page for the tester's screenshot, never a redirect to the
    registered post_logout_redirect_uri (the module fails if that is called)."""
    assert answer.page is not None, f"redirected to the post_logout_redirect_uri: {answer.query}"
    assert answer.page.status_code in (200, 400), answer.page.status_code
    text: str = answer.page.get_data(as_text=True)
    return text


ASKS = 'action="/sign-out"'  # the page that asks the person to sign out
SIGNED_OUT = "You are signed out."
SIGN_IN = 'action="/sign-in'  # where the page that asked leads, signed out


def refused(answer: Answer, problem: str) -> None:
    """An error page (400), about ``problem``."""
    page = shown_page(answer)
    assert answer.page is not None and answer.page.status_code == 400
    assert "invalid_request" in page and problem in page, page[-600:]


def test_oidcc_rp_initiated_logout_discovery_endpoint_verification(logout_suite: Suite) -> None:
    """CheckDiscEndpointAllEndpointsAreHttps, CheckDiscEndSessionEndpoint (a string, https)."""
    config = logout_suite.config
    endpoints = {k: v for k, v in config.items() if k.endswith("_endpoint") or k == "jwks_uri"}
    assert all(str(url).startswith("https://") for url in endpoints.values()), endpoints
    assert isinstance(config["end_session_endpoint"], str)
    assert config["end_session_endpoint"].startswith("https://")


def test_oidcc_rp_initiated_logout(logout_suite: Suite) -> None:
    """Back at the post_logout_redirect_uri with the state (CheckPostLogoutState) and nothing
    else (CheckForUnexpectedParametersInPostLogoutRedirect); then signed out."""
    sent = end_session_request(signed_in_flow(logout_suite))
    answer = logout_suite.end_session(**sent)
    assert answer.page is None, shown_page(answer)[:300]
    assert answer.query == {"state": sent["state"]}
    logout_suite.check_signed_out()


def test_oidcc_rp_initiated_logout_bad_post_logout_redirect_uri(logout_suite: Suite) -> None:
    """AddBadPostLogoutRedirectUriToEndSessionEndpointRequest: a URI not registered; an error
    page (ExpectPostLogoutRedirectUriNotRegisteredErrorPage), no redirect."""
    sent = end_session_request(signed_in_flow(logout_suite))
    sent["post_logout_redirect_uri"] = POST_LOGOUT.replace("/post_logout_redirect", "/other")
    refused(logout_suite.end_session(**sent), "post_logout_redirect_uri is not registered")
    logout_suite.check_signed_in()  # nothing ended


def test_oidcc_rp_initiated_logout_modified_id_token_hint(logout_suite: Suite) -> None:
    """ChangeIdTokenToAlgNone: the ID token's header made ``{"alg": "none"}`` and its
    signature removed; an error page (ExpectInvalidIdTokenHintErrorPage), no redirect."""
    id_token = signed_in_flow(logout_suite)
    payload = id_token.split(".")[1]
    header = base64.urlsafe_b64encode(json.dumps({"alg": "none"}).encode()).rstrip(b"=")
    sent = end_session_request(f"{header.decode()}.{payload}.")
    refused(logout_suite.end_session(**sent), "Algorithm of &#39;none&#39; is not allowed")
    logout_suite.check_signed_in()


def test_oidcc_rp_initiated_logout_no_id_token_hint(logout_suite: Suite) -> None:
    """RemoveIdTokenHintFromEndSessionEndpointRequest: the post_logout_redirect_uri and state
    without a hint; firegate asks the person (ExpectIdTokenHintRequiredErrorPage accepts a
    confirmation), never redirects; pressing "Sign out" signs out."""
    sent = end_session_request(signed_in_flow(logout_suite))
    del sent["id_token_hint"]
    answer = logout_suite.end_session(**sent)
    assert ASKS in shown_page(answer)
    assert answer.page is not None
    assert SIGN_IN in logout_suite.press_sign_out(answer.page).get_data(as_text=True)
    logout_suite.check_signed_out()


def test_oidcc_rp_initiated_logout_no_params(logout_suite: Suite) -> None:
    """RemoveAllParametersFromEndSessionEndpointRequest: the person is asked, and signed out
    (ExpectSuccessfulLogoutPage); no redirect."""
    signed_in_flow(logout_suite)
    answer = logout_suite.end_session()
    assert ASKS in shown_page(answer)
    assert answer.page is not None
    assert SIGN_IN in logout_suite.press_sign_out(answer.page).get_data(as_text=True)
    logout_suite.check_signed_out()


def test_oidcc_rp_initiated_logout_no_post_logout_redirect_uri(logout_suite: Suite) -> None:
    """RemovePostLogoutRedirectUriFromEndSessionEndpointRequest: the hint and the state; the
    person is signed out at once and told so (ExpectSuccessfulLogoutPage); no redirect."""
    sent = end_session_request(signed_in_flow(logout_suite))
    del sent["post_logout_redirect_uri"]
    assert SIGNED_OUT in shown_page(logout_suite.end_session(**sent))
    logout_suite.check_signed_out()


def test_oidcc_rp_initiated_logout_no_state(logout_suite: Suite) -> None:
    """RemoveStateFromEndSessionEndpointRequest: back at the post_logout_redirect_uri without
    a state (CheckNoPostLogoutState) nor anything else; then signed out."""
    sent = end_session_request(signed_in_flow(logout_suite))
    del sent["state"]
    answer = logout_suite.end_session(**sent)
    assert answer.page is None, shown_page(answer)[:300]
    assert answer.query == {}
    logout_suite.check_signed_out()


def test_oidcc_rp_initiated_logout_only_state(logout_suite: Suite) -> None:
    """The state alone: the person is asked, and signed out (ExpectSuccessfulLogoutPage);
    no redirect."""
    sent = end_session_request(signed_in_flow(logout_suite))
    answer = logout_suite.end_session(state=sent["state"])
    assert ASKS in shown_page(answer)
    assert answer.page is not None
    assert SIGN_IN in logout_suite.press_sign_out(answer.page).get_data(as_text=True)
    logout_suite.check_signed_out()


def test_oidcc_rp_initiated_logout_query_added_to_post_logout_redirect_uri(
    logout_suite: Suite,
) -> None:
    """AddPostLogoutRedirectUriWithQueryAddedToEndSessionEndpointRequest: ``?foo=bar`` added
    makes it a URI not registered: an error page, no redirect."""
    sent = end_session_request(signed_in_flow(logout_suite))
    sent["post_logout_redirect_uri"] = POST_LOGOUT + "?foo=bar"
    refused(logout_suite.end_session(**sent), "post_logout_redirect_uri is not registered")
    logout_suite.check_signed_in()


def test_oidcc_rp_initiated_logout_bad_id_token_hint(logout_suite: Suite) -> None:
    """GenerateFakeIdTokenClaims and SignFakeIdToken: an ID token of the same claims signed by
    the suite (HS256 with the client's secret, GenerateJWKsFromClientSecret); an error page
    (ExpectInvalidIdTokenHintErrorPage), no redirect."""
    id_token = signed_in_flow(logout_suite)
    claims = json.loads(base64.urlsafe_b64decode(id_token.split(".")[1] + "=="))
    claims |= {"iat": int(time.time()), "exp": int(time.time()) + 300}
    key = OctKey.import_key(logout_suite.client["client_secret"].encode())
    fake = jwt.encode({"alg": "HS256", "kid": "fake"}, claims, key)
    refused(
        logout_suite.end_session(**end_session_request(fake)),
        "Algorithm of &#39;HS256&#39; is not allowed",
    )
    logout_suite.check_signed_in()
