"""The OpenID Foundation conformance suite's side of its Basic OP and Config OP plans, replayed
against firegate through Flask's test client on the Firestore emulator (docs/conformance.md):
the suite's static client (confidential, registered ``--pkce optional`` as the suite sends no
PKCE; ``client_secret_basic``, or ``private_key_jwt`` with an RS256 key, the plan's
``client_auth_type`` variants), its browser (signs in and consents when asked), and the
conditions its modules check, each named after the suite's condition it stands for."""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import math
import re
import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from flask import Flask
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from werkzeug.test import TestResponse

from tests.support.oauth import csrf_of
from tests.support.pages import PASSWORD

# firegate's PUBLIC_URL here (https, as CheckDiscEndpointAllEndpointsAreHttps asks), the
# suite's callback (its own https URL) and the account its tester signs in with.
ISSUER = "https://firegate.example.org"
CALLBACK = "https://conformance.example.org/test/a/firegate/callback"
USERNAME = "conformance"
# The logout plans' static client also registers these: the callback's URL with the part
# after the alias replaced (CreatePostLogoutRedirectUri, CreateBackchannelLogoutUri).
POST_LOGOUT = CALLBACK.replace("/callback", "/post_logout_redirect")
# The Basic plan's client_auth_type variants replayed
SECRET_BASIC, PRIVATE_KEY_JWT = "client_secret_basic", "private_key_jwt"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
BACKCHANNEL = CALLBACK.replace("/callback", "/backchannel_logout")


@dataclass
class BackchannelReceiver:
    """The suite's ``backchannel_logout`` endpoint, as the service's webhook sender reaches it
    (a ``WebhookSender``): it keeps each request and answers 200, as the suite does."""

    received: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)

    def post(self, url: str, body: str, headers: dict[str, str], address: str | None = None) -> int:
        self.received.append((url, body, headers))
        self.arrived.set()
        return 200

    def wait(self, timeout: float = 20) -> tuple[str, str, dict[str, str]]:
        assert self.arrived.wait(timeout), "no back-channel logout request came"
        return self.received[0]


@functools.cache
def suite_key() -> RSAKey:
    """The suite's RS256 key, one per process (an RSA key takes a while to make)."""
    return RSAKey.generate_key(2048, parameters={"kid": "suite"})


class HttpsBrowser(FlaskClient):
    """Flask's test client at ``ISSUER``, reading each answer whole (as tests/conftest.py's)."""

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:
        kwargs.setdefault("base_url", ISSUER)
        kwargs["buffered"] = True
        return super().open(*args, **kwargs)


@dataclass
class Answer:
    """What reached the suite's callback: the authorization response's parameters, or, when
    firegate showed a page instead (an error page, never a redirect), that page."""

    query: dict[str, str] = field(default_factory=dict)
    page: TestResponse | None = None

    @property
    def error(self) -> str | None:
        return self.query.get("error")


@dataclass
class Flow:
    """One authorization of a module: what it sent and what came back."""

    request: dict[str, str]
    answer: Answer
    tokens: dict[str, Any] = field(default_factory=dict)
    id_token: dict[str, Any] = field(default_factory=dict)


class Suite:
    """The suite, configured as for firegate: discovery, its static clients, its browser."""

    def __init__(self, app: Flask, *logout: str, client_auth: str = SECRET_BASIC) -> None:
        """``logout``: what the static client registers beyond the Basic plan's (the logout
        plans' ``--post-logout-redirect-uri`` and ``--backchannel-logout-uri``);
        ``client_auth``: the plan's ``client_auth_type`` (with ``private_key_jwt``, the static
        clients are registered with the public half of the suite's RS256 key)."""
        self.app = app
        self.client_auth = client_auth
        self.key = suite_key()
        self.browser = self.new_browser()
        self._sign_up()
        self.client = self._register("Conformance suite", *logout)
        self.second_client = self._register("Conformance suite (second client)")
        self.config: dict[str, Any] = self.get_json("/.well-known/openid-configuration")
        self.issuer: str = self.config["issuer"]

    # -- setting up, as the suite's configuration does

    def _sign_up(self) -> None:
        """The tester's account, with a full name (for ``claims``' ``name``), signed in."""
        body = {"username": USERNAME, "email": "conformance@example.org", "password": PASSWORD}
        body |= {"name": "Conformance", "last_name": "Tester"}
        made = self.browser.post("/register", json=body)
        assert made.status_code == 201, made.get_json()
        signed_in = self._sign_in(self.browser.get("/sign-in"))
        assert signed_in.status_code == 303, signed_in.get_data(as_text=True)

    def _register(self, name: str, *extra: str) -> dict[str, Any]:
        args = ["clients", "create", "--name", name, "--redirect-uri", CALLBACK]
        args += ["--confidential", "--pkce", "optional", *extra]
        if self.client_auth == PRIVATE_KEY_JWT:
            args += ["--jwks", json.dumps({"keys": [self.key.as_dict(private=False)]})]
        result = self.app.test_cli_runner().invoke(args=args)
        assert result.exit_code == 0, result.output
        found: dict[str, Any] = json.loads(result.output)
        return found

    def new_browser(self) -> HttpsBrowser:
        return HttpsBrowser(self.app, self.app.response_class, use_cookies=True)

    def sign_out(self) -> None:
        """The tester removes firegate's cookies (a fresh browser)."""
        self.browser = self.new_browser()

    def path(self, url: str) -> str:
        """An endpoint of the discovery document, as the test client's path."""
        assert url.startswith(self.issuer + "/"), url
        return url[len(self.issuer) :]

    def get_json(self, path: str) -> dict[str, Any]:
        answer = self.browser.get(path)
        assert answer.status_code == 200, (path, answer.status_code)
        assert answer.mimetype == "application/json"
        found: dict[str, Any] = answer.get_json()
        return found

    # -- the authorization endpoint, as the suite's browser meets it

    def request(self, client: dict[str, Any] | None = None, **params: str) -> dict[str, str]:
        """CreateAuthorizationEndpointRequestFromClientInformation with a random state and
        nonce (AddStateToAuthorizationEndpointRequest, AddNonceToAuthorizationEndpointRequest)
        and scope ``openid``; ``params`` change or add (an empty value removes)."""
        sent = {
            "client_id": (client or self.client)["client_id"],
            "redirect_uri": CALLBACK,
            "scope": "openid",
            "state": secrets.token_urlsafe(16),
            "nonce": secrets.token_urlsafe(16),
            "response_type": "code",
            **params,
        }
        return {k: v for k, v in sent.items() if v != ""}

    def authorize(
        self, sent: dict[str, str], *, post: bool = False, interact: bool = True
    ) -> Answer:
        """BuildPlainRedirectToAuthorizationEndpoint (or the form of a POST), then the browser:
        it follows firegate's redirects, signs in and allows when asked (``interact``), and
        stops at the suite's callback or at a page that is neither."""
        endpoint = self.path(self.config["authorization_endpoint"])
        if post:
            answer = self.browser.post(endpoint, data=sent)
        else:
            answer = self.browser.get(endpoint + "?" + urlencode(sent))
        for _ in range(10):
            if answer.status_code in (302, 303):
                location = answer.headers["Location"]
                if location.startswith(CALLBACK):
                    assert location.startswith(CALLBACK + "?"), location
                    query = parse_qs(urlsplit(location).query)
                    assert all(len(v) == 1 for v in query.values()), query  # each once
                    return Answer({k: v[0] for k, v in query.items()})
                assert location.startswith("/"), location  # never elsewhere
                answer = self.browser.get(location)
            elif answer.status_code == 200 and interact and self._form(answer, "/sign-in"):
                answer = self._sign_in(answer)
            elif (
                answer.status_code == 200
                and interact
                and self._form(answer, "/oauth/authorize/consent")
            ):
                answer = self._allow(answer)
            else:
                return Answer(page=answer)
        raise AssertionError("the browser went round in circles")

    @staticmethod
    def _form(answer: TestResponse, action: str) -> str | None:
        found = re.search(r'<form method="post" action="([^"]+)"', answer.get_data(as_text=True))
        if found is None:
            return None
        path = found.group(1).replace("&amp;", "&")
        return path if path.split("?")[0] == action else None

    def _sign_in(self, page: TestResponse) -> TestResponse:
        html = page.get_data(as_text=True)
        form = {"username": USERNAME, "password": PASSWORD, "csrf_token": csrf_of(html)}
        return self.browser.post(self._form(page, "/sign-in") or "", data=form)

    def _allow(self, page: TestResponse) -> TestResponse:
        form = {"decision": "allow", "csrf_token": csrf_of(page.get_data(as_text=True))}
        return self.browser.post(self._form(page, "/oauth/authorize/consent") or "", data=form)

    # -- the token and userinfo endpoints, as the suite's client calls them

    def token(
        self, form: dict[str, str], client: dict[str, Any] | None = None, *, post: bool = False
    ) -> TestResponse:
        """CallTokenEndpointAndReturnFullResponse with client_secret_basic (AddBasicAuthClient
        SecretToRequest), client_secret_post (AddFormBasedClientSecretToRequest), or under the
        private_key_jwt variant an assertion (CreateClientAuthenticationAssertionClaims,
        SignClientAuthenticationAssertion, AddClientAssertionToTokenEndpointRequest)."""
        used = client or self.client
        if self.client_auth == PRIVATE_KEY_JWT:
            assert not post, "client_secret_post is not applicable to the private_key_jwt variant"
            body = {**form, **self.assertion(used["client_id"])}
            return self.browser.post(self.path(self.config["token_endpoint"]), data=body)
        if post:
            body = {**form, "client_id": used["client_id"], "client_secret": used["client_secret"]}
            return self.browser.post(self.path(self.config["token_endpoint"]), data=body)
        pair = f"{used['client_id']}:{used['client_secret']}".encode()
        basic = {"Authorization": "Basic " + base64.b64encode(pair).decode()}
        return self.browser.post(self.path(self.config["token_endpoint"]), data=form, headers=basic)

    def assertion(self, client_id: str) -> dict[str, str]:
        """The client's assertion for the token endpoint: ``iss`` and ``sub`` the client,
        ``aud`` the token endpoint, a new ``jti``, a minute to live, signed RS256."""
        now = int(time.time())
        claims = {"iss": client_id, "sub": client_id, "aud": self.config["token_endpoint"]}
        claims |= {"jti": secrets.token_urlsafe(16), "iat": now, "exp": now + 60}
        signed = jwt.encode({"alg": "RS256", "kid": "suite"}, claims, self.key)
        return {"client_assertion_type": ASSERTION_TYPE, "client_assertion": signed}

    def exchange(
        self,
        flow: Flow,
        client: dict[str, Any] | None = None,
        *,
        post: bool = False,
        verifier: str | None = None,
    ) -> Flow:
        """CreateTokenEndpointRequestForAuthorizationCodeGrant, then the checks of every
        token response (CheckTokenEndpointHttpStatus200, CheckForAccessTokenValue,
        ValidateExpiresIn, ExtractIdTokenFromTokenResponse, PerformStandardIdTokenChecks)."""
        form = {"grant_type": "authorization_code", "code": flow.answer.query["code"]}
        form["redirect_uri"] = flow.request["redirect_uri"]
        if verifier is not None:
            form["code_verifier"] = verifier
        answer = self.token(form, client, post=post)
        assert answer.status_code == 200, answer.get_json()
        flow.tokens = answer.get_json()
        check_token_response(answer)
        flow.id_token = self.check_id_token(
            flow.tokens["id_token"], client or self.client, flow.request.get("nonce")
        )
        check_at_hash(flow.id_token, flow.tokens["access_token"])
        return flow

    def flow(
        self, client: dict[str, Any] | None = None, *, post: bool = False, **params: str
    ) -> Flow:
        """A whole happy flow: the authorization, its checks, the code's exchange."""
        sent = self.request(client, **params)
        found = Flow(sent, self.authorize(sent, post=post))
        self.check_authorization_response(found)
        return self.exchange(found, client)

    def userinfo(self, access_token: str, how: str = "get") -> TestResponse:
        """CallUserInfoEndpoint: GET with the bearer header; ``post header`` (the header, an
        empty POST) and ``post body`` (the token as ``access_token`` in the form,
        CallUserInfoEndpointWithBearerTokenInBody)."""
        path = self.path(self.config["userinfo_endpoint"])
        header = {"Authorization": f"Bearer {access_token}"}
        if how == "get":
            return self.browser.get(path, headers=header)
        if how == "post header":
            return self.browser.post(path, headers=header)
        return self.browser.post(path, data={"access_token": access_token})

    # -- the end session endpoint, as the logout plans' browser meets it

    def end_session(self, **params: str) -> Answer:
        """BuildRedirectToEndSessionEndpoint with ``params`` (CreateEndSessionEndpointRequest:
        ``id_token_hint``, ``post_logout_redirect_uri``, ``state``; the modules remove or
        change them), then the browser: it follows firegate's own redirects and stops at the
        suite's post_logout_redirect (its query) or at a page (a screenshot, for the tester)."""
        endpoint = self.path(self.config["end_session_endpoint"])
        answer = self.browser.get(endpoint + ("?" + urlencode(params) if params else ""))
        for _ in range(5):
            if answer.status_code not in (302, 303):
                return Answer(page=answer)
            location = answer.headers["Location"]
            if not location.startswith("/"):
                assert location.startswith(POST_LOGOUT), location  # never elsewhere
                query = parse_qs(urlsplit(location).query)
                assert all(len(v) == 1 for v in query.values()), query
                assert urlsplit(location)._replace(query="").geturl() == POST_LOGOUT, location
                return Answer({k: v[0] for k, v in query.items()})
            answer = self.browser.get(location)
        raise AssertionError("the browser went round in circles")

    def press_sign_out(self, page: TestResponse) -> TestResponse:
        """The tester presses "Sign out" on the page that asks; the page it ends on (the
        sign-in page, signed out)."""
        form = {"csrf_token": csrf_of(page.get_data(as_text=True))}
        answer = self.browser.post(self._form(page, "/sign-out") or "", data=form)
        assert answer.status_code == 303, answer.status_code
        return self.browser.get(answer.headers["Location"])

    def check_signed_out(self) -> None:
        """The modules' second authorization, with ``prompt=none`` (AbstractOIDCCRpInitiated
        Logout): an error, performGenericAuthorizationEndpointErrorResponseValidation and
        CheckErrorFromAuthorizationEndpointIsOneThatRequiredAUserInterface."""
        sent = self.request(prompt="none")
        flow = Flow(sent, self.authorize(sent, interact=False))
        self.check_error_response(
            flow,
            "login_required",
            "interaction_required",
            "consent_required",
            "account_selection_required",
        )

    def check_signed_in(self) -> None:
        """Not logged out: ``prompt=none`` still gives a code."""
        sent = self.request(prompt="none")
        flow = Flow(sent, self.authorize(sent, interact=False))
        self.check_authorization_response(flow)

    # -- the conditions

    def check_authorization_response(self, flow: Flow) -> None:
        """CheckStateInAuthorizationResponse, ValidateIssIfPresentInAuthorizationResponse,
        CheckIfAuthorizationEndpointError, ExtractAuthorizationCodeFromAuthorizationResponse,
        EnsureMinimumAuthorizationCodeLength (128 bits), ...Entropy (96 bits)."""
        query = flow.answer.query
        assert flow.answer.page is None, flow.answer.page.get_data(as_text=True)[:300]
        assert "error" not in query, query
        assert query.get("state") == flow.request.get("state")
        assert query.get("iss", self.issuer) == self.issuer
        code = query["code"]
        assert len(code.encode()) * 8 >= 128
        assert entropy_bits(code) >= 96

    def check_error_response(self, flow: Flow, *errors: str) -> None:
        """performGenericAuthorizationEndpointErrorResponseValidation: the state, ``iss``,
        one of ``errors``, no code, an error_description of allowed characters only."""
        query = flow.answer.query
        assert flow.answer.page is None, flow.answer.page.get_data(as_text=True)[:300]
        assert query.get("error") in errors, query
        assert query.get("state") == flow.request.get("state")
        assert query.get("iss", self.issuer) == self.issuer
        assert "code" not in query
        description = query.get("error_description", "")
        assert all(0x20 <= ord(c) <= 0x7E and c not in '"\\' for c in description), description

    def keys(self) -> KeySet:
        """FetchServerKeys: the JWKS of the discovery document's ``jwks_uri``."""
        found: Any = self.get_json(self.path(self.config["jwks_uri"]))
        return KeySet.import_key_set(found)

    def check_id_token(
        self, token: str, client: dict[str, Any], nonce: str | None
    ) -> dict[str, Any]:
        """PerformStandardIdTokenChecks: ValidateIdToken (iss, aud, exp, iat, auth_time),
        ValidateIdTokenNonce, ValidateIdTokenSignature (the JWKS, with the header's kid:
        CheckForKeyIdInServerJWKs), CheckForSubjectInIdToken, EnsureIdTokenUpdatedAtValid."""
        header = json.loads(base64url_decode(token.split(".", maxsplit=1)[0]))
        assert header["alg"] in self.config["id_token_signing_alg_values_supported"]
        assert header.get("kid"), header
        found: dict[str, Any] = dict(
            jwt.decode(token, self.keys(), algorithms=[header["alg"]]).claims
        )
        now = time.time()
        assert found["iss"] == self.issuer
        audience = found["aud"]
        assert client["client_id"] in (audience if isinstance(audience, list) else [audience])
        assert isinstance(found["exp"], int) and found["exp"] > now - 300
        assert found["exp"] < now + 50 * 365 * 86400
        assert isinstance(found["iat"], int) and found["iat"] <= now + 300
        if "auth_time" in found:
            assert isinstance(found["auth_time"], int) and found["auth_time"] > now - 365 * 86400
        assert found.get("nonce") == nonce
        assert isinstance(found["sub"], str) and 0 < len(found["sub"]) <= 255
        if "updated_at" in found:
            assert isinstance(found["updated_at"], int)
        return found


def check_token_response(answer: TestResponse) -> None:
    """CheckIfTokenEndpointResponseError, CheckForAccessTokenValue, CheckTokenTypeIsBearer,
    ExtractExpiresInFromTokenEndpointResponse with ValidateExpiresIn, and RFC 6749 §5.1's
    Cache-Control: no-store."""
    body = answer.get_json()
    assert "error" not in body and body["access_token"]
    assert body["token_type"].lower() == "bearer"
    assert isinstance(body["expires_in"], int) and body["expires_in"] > 0
    assert answer.headers["Cache-Control"] == "no-store"


def check_at_hash(id_token: dict[str, Any], access_token: str) -> None:
    """ValidateAtHash, when the ID token has ``at_hash`` (RS256: SHA-256's left half)."""
    if "at_hash" not in id_token:
        return
    digest = hashlib.sha256(access_token.encode()).digest()
    expected = base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()
    assert id_token["at_hash"] == expected


def check_userinfo(answer: TestResponse, id_token: dict[str, Any]) -> dict[str, Any]:
    """EnsureHttpStatusCodeIs200, ExtractUserInfoFromUserInfoEndpointResponse,
    EnsureUserInfoContainsSub, VerifyUserInfoAndIdTokenInTokenEndpointSameSub,
    EnsureUserInfoUpdatedAtValid."""
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.mimetype == "application/json"
    found: dict[str, Any] = answer.get_json()
    assert found["sub"] == id_token["sub"]
    if "updated_at" in found:
        assert isinstance(found["updated_at"], int)
    return found


def entropy_bits(text: str) -> float:
    """AbstractEnsureMinimumEntropy's estimate: the string's Shannon entropy per character
    times its length."""
    counts = Counter(text)
    per_character = -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())
    return per_character * len(text)


def base64url_decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
