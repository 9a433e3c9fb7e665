"""The Basic OP plan (``oidcc-basic-certification-test-plan``): one test per module, named
after it, in the plan's order, with the variants the plan runs it with (``response_type=code``,
the default response mode, ``client_auth_type`` ``client_secret_basic`` and again
``private_key_jwt``: the ``suite`` fixture's two parameters; ``client_secret_post`` for
``oidcc-server-client-secret-post``), asserting what the module asserts (docs/conformance.md).
A module the suite skips for a reason firegate gives (a scope or a request object it does not
support) asserts that reason."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from bootstrap import build_adapters
from bootstrap.accounts import AccountsAdapters
from domain.accounts.identities import PhoneNumber
from tests.fakes.kernel import FakeClock
from tests.support.conformance import (
    CALLBACK,
    Flow,
    Suite,
    base64url_decode,
    check_userinfo,
)
from tests.support.settings import make_settings

pytestmark = pytest.mark.conformance
PHONE_NUMBER = "+33612345678"

# RFC 6749 §3.3 and OpenID Connect Core §5.4: what each standard scope's claims are
SCOPE_CLAIMS = {
    "profile": (
        "name",
        "family_name",
        "given_name",
        "middle_name",
        "nickname",
        "preferred_username",
        "profile",
        "picture",
        "website",
        "gender",
        "birthdate",
        "zoneinfo",
        "locale",
        "updated_at",
    ),
    "email": ("email", "email_verified"),
    "address": ("address",),
    "phone": ("phone_number", "phone_number_verified"),
}


def returned_claims(suite: Suite, scope: str) -> dict[str, Any]:
    """AbstractOIDCCReturnedClaimsServerTest: a flow with ``scope``, userinfo called, and
    VerifyScopesReturnedInUserInfoClaims (each scope asked gave at least one of its claims)."""
    flow = suite.flow(scope=scope)
    found = check_userinfo(suite.userinfo(flow.tokens["access_token"]), flow.id_token)
    for name in scope.split():
        if name in SCOPE_CLAIMS:
            assert set(SCOPE_CLAIMS[name]) & set(found), (name, found)
    return found


def skipped_for_unsupported_scopes(suite: Suite, *scopes: str) -> None:
    """OIDCCCheckScopesSupportedContainScopeTest: a scope missing from ``scopes_supported``
    makes the suite skip the module (acceptable for certification); firegate asked for it
    anyway answers ``invalid_scope`` to the callback, never a page or a server error."""
    missing = [s for s in scopes if s not in suite.config["scopes_supported"]]
    assert missing
    sent = suite.request(scope=" ".join(("openid", *scopes)))
    answered = Flow(sent, suite.authorize(sent))
    suite.check_error_response(answered, "invalid_scope")


def test_oidcc_server(suite: Suite) -> None:
    flow = suite.flow()
    assert "c_hash" not in flow.id_token  # a code flow's token endpoint ID token
    assert "name" not in flow.id_token  # EnsureIdTokenDoesNotContainName (scope openid)
    allowed = {"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp"}
    allowed |= {"at_hash", "c_hash", "nbf", "jti", "sid", "s_hash"}
    assert set(flow.id_token) <= allowed  # EnsureIdTokenDoesNotContainNonRequestedClaims
    answer = suite.userinfo(flow.tokens["access_token"])
    check_userinfo(answer, flow.id_token)  # CallProtectedResource, EnsureHttpStatusCodeIs200


def test_oidcc_response_type_missing(suite: Suite) -> None:
    """An authorization request without response_type: ``unsupported_response_type`` or
    ``invalid_request`` to the callback, or an error page that says so."""
    sent = suite.request(response_type="")
    answer = suite.authorize(sent)
    if answer.page is not None:
        assert answer.page.status_code == 400
        assert "response_type" in answer.page.get_data(as_text=True)
    else:
        suite.check_error_response(
            Flow(sent, answer), "unsupported_response_type", "invalid_request"
        )


def test_oidcc_idtoken_signature(suite: Suite) -> None:
    """No algorithm registered: the ID token is RS256 (EnsureIdTokenSignatureIsRS256) and
    names its key (EnsureIdTokenContainsKid), one of the JWKS."""
    flow = suite.flow()
    header = base64url_decode(flow.tokens["id_token"].split(".")[0])
    assert b'"RS256"' in header and b'"kid"' in header


def test_oidcc_idtoken_unsigned(suite: Suite) -> None:
    """Not applicable to a static client (firegate registers only public clients
    dynamically); the suite would also skip it as ``none`` is not among
    ``id_token_signing_alg_values_supported``: an ID token is always signed."""
    assert "none" not in suite.config["id_token_signing_alg_values_supported"]
    flow = suite.flow()
    assert base64url_decode(flow.tokens["id_token"].split(".")[0]).find(b'"none"') == -1


def test_oidcc_userinfo_get(suite: Suite) -> None:
    flow = suite.flow()
    check_userinfo(suite.userinfo(flow.tokens["access_token"], "get"), flow.id_token)


def test_oidcc_userinfo_post_header(suite: Suite) -> None:
    flow = suite.flow()
    check_userinfo(suite.userinfo(flow.tokens["access_token"], "post header"), flow.id_token)


def test_oidcc_userinfo_post_body(suite: Suite) -> None:
    """The token in the form body (RFC 6750 §2.2): firegate answers it (the suite warns
    only if a server does not)."""
    flow = suite.flow()
    check_userinfo(suite.userinfo(flow.tokens["access_token"], "post body"), flow.id_token)


def test_oidcc_ensure_request_without_nonce_succeeds_for_code_flow(suite: Suite) -> None:
    sent = suite.request(nonce="")
    assert "nonce" not in sent
    flow = Flow(sent, suite.authorize(sent))
    suite.check_authorization_response(flow)
    suite.exchange(flow)  # ValidateIdTokenNonce: no nonce sent, none in the ID token
    assert "nonce" not in flow.id_token


def test_oidcc_scope_profile(suite: Suite) -> None:
    found = returned_claims(suite, "openid profile")
    assert found["preferred_username"] == "conformance"


def test_oidcc_scope_email(suite: Suite) -> None:
    found = returned_claims(suite, "openid email")
    assert found["email"] == "conformance@example.org"
    assert isinstance(found["email_verified"], bool)


def test_oidcc_scope_address(suite: Suite) -> None:
    skipped_for_unsupported_scopes(suite, "address")


def test_oidcc_scope_phone(suite: Suite, firestore: Any) -> None:
    """The tester's account holds a proven number, as the suite's tester is set up with one
    (docs/reference/phone.md, "Claims and tokens")."""
    subject = suite.flow().id_token["sub"]
    users = build_adapters(make_settings(), firestore=firestore).of(AccountsAdapters).users
    now = datetime.now(UTC)
    users.update(subject, lambda user: user.with_part(PhoneNumber.proven_as(PHONE_NUMBER), now))
    found = returned_claims(suite, "openid phone")
    assert (found["phone_number"], found["phone_number_verified"]) == (PHONE_NUMBER, True)


def test_oidcc_scope_all(suite: Suite) -> None:
    skipped_for_unsupported_scopes(suite, "email", "phone", "address", "profile")


def test_oidcc_alternate_happy_flow(suite: Suite) -> None:
    """OIDCCScopeEmail with the scope's order reversed (ReverseScopeOrderInAuthorization
    EndpointRequest) and the query's parameters in another order
    (BuildPlainRedirectToAuthorizationEndpointReorderedParams)."""
    sent = dict(reversed(list(suite.request(scope="email openid").items())))
    flow = Flow(sent, suite.authorize(sent))
    suite.check_authorization_response(flow)
    suite.exchange(flow)
    found = check_userinfo(suite.userinfo(flow.tokens["access_token"]), flow.id_token)
    assert "email" in found


def test_oidcc_display_page(suite: Suite) -> None:
    suite.flow(display="page")


def test_oidcc_display_popup(suite: Suite) -> None:
    suite.flow(display="popup")


def test_oidcc_prompt_login(suite: Suite) -> None:
    """Twice; the second with ``prompt=login``: the person signs in again (a screenshot in
    the suite), and the second ID token is of a later sign-in
    (CheckSecondIdTokenAuthTimeIsLaterIfPresent) and of the same ``sub``."""
    first = suite.flow()
    time.sleep(1.1)  # auth_time is in seconds
    sent = suite.request(prompt="login")
    answer = suite.authorize(sent, interact=False)
    assert answer.page is not None and "/sign-in" in answer.page.request.path
    second = suite.exchange(_completed(suite, sent))
    assert second.id_token["sub"] == first.id_token["sub"]
    assert second.id_token["auth_time"] > first.id_token["auth_time"]


def _completed(suite: Suite, sent: dict[str, str]) -> Flow:
    flow = Flow(sent, suite.authorize(sent))
    suite.check_authorization_response(flow)
    return flow


def test_oidcc_prompt_none_not_logged_in(suite: Suite) -> None:
    """No firegate cookie: ``prompt=none`` answers an error that needs a person
    (CheckErrorFromAuthorizationEndpointIsOneThatRequiredAUserInterface)."""
    suite.sign_out()
    sent = suite.request(prompt="none")
    flow = Flow(sent, suite.authorize(sent, interact=False))
    suite.check_error_response(flow, "login_required", "interaction_required", "consent_required")


def test_oidcc_prompt_none_logged_in(suite: Suite) -> None:
    """Twice; the second with ``prompt=none``, answered without the browser's interaction;
    the same ``sub`` and ``auth_time`` (AbstractOIDCCSameAuthTwiceServerTest)."""
    first = suite.flow()
    sent = suite.request(prompt="none")
    second = suite.exchange(_silent(suite, sent))
    assert second.id_token["sub"] == first.id_token["sub"]
    assert second.id_token["auth_time"] == first.id_token["auth_time"]


def _silent(suite: Suite, sent: dict[str, str]) -> Flow:
    flow = Flow(sent, suite.authorize(sent, interact=False))
    suite.check_authorization_response(flow)
    return flow


def test_oidcc_max_age_1(suite: Suite) -> None:
    """Twice; the second after 2 s (WaitFor2Seconds) with ``max_age=1``: the person signs in
    again, and the second ID token has a later ``auth_time``
    (CheckIdTokenAuthTimeClaimPresentDueToMaxAge, CheckSecondIdTokenAuthTimeIsLaterIfPresent,
    CheckIdTokenAuthTimeIsRecentIfPresent)."""
    first = suite.flow()
    time.sleep(2)
    sent = suite.request(max_age="1")
    answer = suite.authorize(sent, interact=False)
    assert answer.page is not None and "/sign-in" in answer.page.request.path
    second = suite.exchange(_completed(suite, sent))
    assert second.id_token["auth_time"] > first.id_token["auth_time"]
    assert time.time() - second.id_token["auth_time"] < 60


def test_oidcc_max_age_10000(suite: Suite) -> None:
    """Twice; the second with ``max_age=10000``: no new sign-in, the same ``auth_time``."""
    first = suite.flow()
    sent = suite.request(max_age="10000")
    second = suite.exchange(_silent(suite, sent))
    assert second.id_token["auth_time"] == first.id_token["auth_time"]
    assert second.id_token["sub"] == first.id_token["sub"]


def test_oidcc_ensure_request_with_unknown_parameter_succeeds(suite: Suite) -> None:
    suite.flow(extra_param="value")


def test_oidcc_id_token_hint(suite: Suite) -> None:
    """Twice; the second with ``prompt=none`` and the first ID token as ``id_token_hint``:
    answered at once, the same ``sub`` and ``auth_time``."""
    first = suite.flow()
    sent = suite.request(prompt="none", id_token_hint=first.tokens["id_token"])
    second = suite.exchange(_silent(suite, sent))
    assert second.id_token["sub"] == first.id_token["sub"]
    assert second.id_token["auth_time"] == first.id_token["auth_time"]


def test_oidcc_login_hint(suite: Suite) -> None:
    """``login_hint`` with the account's name: the sign-in page has it typed in."""
    suite.sign_out()
    sent = suite.request(login_hint="conformance")
    answer = suite.authorize(sent, interact=False)
    assert answer.page is not None and 'value="conformance"' in answer.page.get_data(as_text=True)
    _completed(suite, sent)


def test_oidcc_ui_locales(suite: Suite) -> None:
    """``ui_locales=se``, as the suite sends (a language firegate does not have: English);
    the request succeeds."""
    suite.flow(ui_locales="se")


def test_oidcc_claims_locales(suite: Suite) -> None:
    flow = suite.flow(claims_locales="se")
    check_userinfo(suite.userinfo(flow.tokens["access_token"]), flow.id_token)


def test_oidcc_ensure_request_with_acr_values_succeeds(suite: Suite) -> None:
    """``acr_values=1 2``: accepted; with no ``acr`` asked as essential, the ID token need
    not carry one (ValidateIdTokenACRClaimAgainstRequest)."""
    suite.flow(acr_values="1 2")


def _reuse(suite: Suite) -> tuple[Flow, Any]:
    flow = suite.flow()
    again = suite.token(
        {
            "grant_type": "authorization_code",
            "code": flow.answer.query["code"],
            "redirect_uri": CALLBACK,
        }
    )
    assert again.status_code == 400 and again.get_json()["error"] == "invalid_grant"
    return flow, again


def test_oidcc_codereuse(suite: Suite) -> None:
    """The code used again at once: ``invalid_grant`` (ServerAllowedReusingAuthorizationCode
    would warn otherwise)."""
    _reuse(suite)


def test_oidcc_codereuse_30seconds(clocked_suite: tuple[Suite, FakeClock]) -> None:
    """The code used again 30 seconds later (WaitFor30Seconds): ``invalid_grant``, and the
    access token it gave no longer works (RFC 6749 §4.1.2; the suite warns otherwise). The
    30 seconds pass on firegate's clock, which every time it keeps is read from (decision
    0690): the code, 30 seconds old, is still within its lifetime and refused as used."""
    suite, clock = clocked_suite
    flow = suite.flow()
    clock.advance(seconds=30)
    again = suite.token(
        {
            "grant_type": "authorization_code",
            "code": flow.answer.query["code"],
            "redirect_uri": CALLBACK,
        }
    )
    assert again.status_code == 400 and again.get_json()["error"] == "invalid_grant"
    answer = suite.userinfo(flow.tokens["access_token"])
    assert 400 <= answer.status_code < 500  # EnsureHttpStatusCodeIs4xx


def test_oidcc_ensure_registered_redirect_uri(suite: Suite) -> None:
    """A redirect URI not registered (CreateBadRedirectUriByAppending): an error page,
    never a redirect to it."""
    sent = suite.request(redirect_uri=CALLBACK + "?appended")
    answer = suite.authorize(sent)
    assert answer.page is not None and answer.page.status_code == 400
    assert "Location" not in answer.page.headers
    assert "redirect uri" in answer.page.get_data(as_text=True).lower()


def test_oidcc_ensure_post_request_succeeds(suite: Suite) -> None:
    """The request posted to the authorization endpoint (Core §3.1.2.1): it succeeds
    (ExpectRedirectUriHasBeenCalled), whether the browser is signed in or not."""
    suite.flow(post=True)
    suite.sign_out()
    suite.flow(post=True)


def test_oidcc_server_client_secret_post(secret_suite: Suite) -> None:
    """Under the client_secret_basic variant only: the suite holds it not applicable to the
    others (a client with keys has no secret to post)."""
    suite = secret_suite
    sent = suite.request()
    flow = Flow(sent, suite.authorize(sent))
    suite.check_authorization_response(flow)
    suite.exchange(flow, post=True)
    check_userinfo(suite.userinfo(flow.tokens["access_token"]), flow.id_token)


def _unsigned_request_object(sent: dict[str, str]) -> str:
    """ConvertAuthorizationEndpointRequestToRequestObject, SerializeRequestObjectWith
    NullAlgorithm: the request as an unsigned JWT (``alg`` ``none``)."""

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none'})}.{part(sent)}."


def test_oidcc_request_uri_unsigned_supported_correctly_or_rejected_as_unsupported(
    suite: Suite,
) -> None:
    """Skipped by the suite: ``request_uri_parameter_supported`` is false and ``none`` is not
    among ``request_object_signing_alg_values_supported``. Sent all the same, a
    ``request_uri`` is ``request_uri_not_supported`` (which the module accepts)."""
    assert suite.config["request_uri_parameter_supported"] is False
    assert "none" not in suite.config.get("request_object_signing_alg_values_supported", [])
    sent = suite.request(request_uri="https://conformance.example.org/requests/1")
    flow = Flow(sent, suite.authorize(sent))
    suite.check_error_response(flow, "request_uri_not_supported")


def test_oidcc_unsigned_request_object_supported_correctly_or_rejected_as_unsupported(
    suite: Suite,
) -> None:
    """An unsigned request object by value: ``request_not_supported``, which the module
    accepts (then skips); discovery says so (``request_parameter_supported`` false)."""
    assert suite.config["request_parameter_supported"] is False
    plain = suite.request()
    sent = {k: plain[k] for k in ("client_id", "response_type", "scope", "redirect_uri", "state")}
    sent["request"] = _unsigned_request_object(plain)
    flow = Flow(sent, suite.authorize(sent))
    suite.check_error_response(flow, "request_not_supported")


def test_oidcc_claims_essential(suite: Suite) -> None:
    """``claims`` asks for ``name`` as essential at userinfo
    (AddUserInfoEssentialNameClaimToAuthorizationEndpointRequest): the request succeeds,
    userinfo has ``name`` (EnsureUserInfoContainsName) and the ID token does not
    (EnsureIdTokenDoesNotContainName)."""
    claims = '{"userinfo": {"name": {"essential": true}}}'
    flow = suite.flow(claims=claims)
    found = check_userinfo(suite.userinfo(flow.tokens["access_token"]), flow.id_token)
    assert found["name"] == "Conformance Tester"
    assert "name" not in flow.id_token


def test_oidcc_ensure_request_object_with_redirect_uri(suite: Suite) -> None:
    """A request object (by value) with the registered redirect URI, and an unregistered one
    in the query (AddInvalidRedirectUriToAuthorizationRequest): never a redirect to the
    registered one (EnsureOPDoesNotUseDefaultRedirectUriInCaseOfInvalidRedirectUri); the
    error page about the redirect URI (ExpectRedirectUriErrorPage)."""
    plain = suite.request()
    sent = {k: plain[k] for k in ("client_id", "response_type", "scope", "state")}
    sent["redirect_uri"] = CALLBACK + "/invalid"
    sent["request"] = _unsigned_request_object(plain)
    answer = suite.authorize(sent)
    assert answer.page is not None and answer.page.status_code == 400
    assert "Location" not in answer.page.headers


def test_oidcc_refresh_token(suite: Suite) -> None:
    """``offline_access`` (listed in ``scopes_supported``) with ``prompt=consent``
    (AddPromptConsentToAuthorizationEndpointRequestIfScopeContainsOfflineAccess): a refresh
    token of allowed characters (EnsureRefreshTokenContainsAllowedCharactersOnly) that works,
    rotates, and is bound to its client (another client's use of it is refused)."""
    assert "offline_access" in suite.config["scopes_supported"]
    assert "refresh_token" in suite.config["grant_types_supported"]
    flow = suite.flow(scope="openid offline_access", prompt="consent")
    refresh = flow.tokens["refresh_token"]
    assert all(0x20 <= ord(c) <= 0x7E for c in refresh)
    stolen = suite.token(
        {"grant_type": "refresh_token", "refresh_token": refresh}, suite.second_client
    )
    assert stolen.status_code in (400, 401) and stolen.get_json()["error"] == "invalid_grant"
    answer = suite.token({"grant_type": "refresh_token", "refresh_token": refresh})
    assert answer.status_code == 200, answer.get_json()
    renewed = answer.get_json()
    assert renewed["access_token"] and renewed["token_type"].lower() == "bearer"
    if "id_token" in renewed:  # Core §12.2: the same sub, iss and aud
        found = suite.check_id_token(renewed["id_token"], suite.client, None)
        assert found["sub"] == flow.id_token["sub"]
    check_userinfo(suite.userinfo(renewed["access_token"]), flow.id_token)


def test_oidcc_ensure_request_with_valid_pkce_succeeds(suite: Suite) -> None:
    verifier = "v" * 20 + "conformance-suite-verifier-0123456789"
    sent = suite.request(
        code_challenge=create_s256_code_challenge(verifier), code_challenge_method="S256"
    )
    flow = _completed(suite, sent)
    suite.exchange(flow, verifier=verifier)
    assert flow.tokens["access_token"]
