"""The provider's form endpoints under any parameters (docs/reference/oauth.md): whatever a
client or a browser sends — any values, parameters repeated, wrong or mixed grants, forged
JWTs as assertions, hints and tokens, a real client's credentials beside garbage — the answer
is an OAuth error or a success, never a 5xx and never an exception through Flask.

The OpenAPI document does not describe these endpoints (they take forms, RFC 6749), so the
schemathesis run of tests/e2e/test_fuzz_openapi.py does not reach them; this does, on the
fakes, with hypothesis."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from domain.provider.client_keys import ASSERTION_TYPE
from domain.provider.oauth import DEVICE_CODE
from tests.support.oauth import REDIRECT, OAuthWorld

pytestmark = pytest.mark.unit

FUZZ = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
TOKEN_TYPES = [
    "urn:ietf:params:oauth:token-type:access_token",
    "urn:ietf:params:oauth:token-type:refresh_token",
    "urn:ietf:params:oauth:token-type:id_token",
    "urn:ietf:params:oauth:token-type:jwt",
]


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
forged_jwts = st.tuples(
    st.dictionaries(
        st.sampled_from(["alg", "kid", "typ", "jwk", "crit", "x5c"]), json_values, max_size=4
    ),
    st.dictionaries(
        st.sampled_from(["iss", "sub", "aud", "exp", "iat", "nbf", "jti", "client_id", "sid"]),
        json_values,
        max_size=6,
    ),
    st.binary(max_size=64),
).map(
    lambda parts: ".".join(
        [b64(json.dumps(parts[0]).encode()), b64(json.dumps(parts[1]).encode()), b64(parts[2])]
    )
)
texts = st.one_of(
    st.text(max_size=80),
    st.sampled_from(["", " ", "openid", "openid profile email offline_access", REDIRECT]),
    st.binary(max_size=60).map(lambda data: data.decode("latin-1")),
    forged_jwts,
)

# Each endpoint's parameters, and values that reach its checks as well as garbage.
COMMON = {
    "client_id": texts,
    "client_secret": texts,
    "client_assertion_type": st.sampled_from([ASSERTION_TYPE, "", "x"]) | texts,
    "client_assertion": forged_jwts | texts,
    "scope": texts,
    "resource": texts | st.sampled_from(["https://api.example.com/", "https://a.b/#f"]),
}
TOKEN = {
    **COMMON,
    "grant_type": st.sampled_from(
        [
            "authorization_code",
            "refresh_token",
            "client_credentials",
            "password",
            DEVICE_CODE,
            TOKEN_EXCHANGE,
        ]
    )
    | texts,
    "code": texts,
    "redirect_uri": texts,
    "code_verifier": texts,
    "refresh_token": texts,
    "device_code": texts,
    "subject_token": forged_jwts | texts,
    "subject_token_type": st.sampled_from(TOKEN_TYPES) | texts,
    "actor_token": forged_jwts | texts,
    "actor_token_type": st.sampled_from(TOKEN_TYPES) | texts,
    "requested_token_type": st.sampled_from(TOKEN_TYPES) | texts,
    "audience": texts,
}
AUTHORIZE = {
    **COMMON,
    "response_type": st.sampled_from(["code", "token", "id_token", "code id_token"]) | texts,
    "redirect_uri": st.just(REDIRECT) | texts,
    "state": texts,
    "nonce": texts,
    "prompt": st.sampled_from(["none", "login", "consent", "select_account", "none login"]) | texts,
    "max_age": st.sampled_from(["0", "1", "-1", "1e9", "99999999999999999999"]) | texts,
    "id_token_hint": forged_jwts | texts,
    "login_hint": texts,
    "claims": json_values.map(json.dumps) | texts,
    "code_challenge": texts,
    "code_challenge_method": st.sampled_from(["S256", "plain", "s256"]) | texts,
    "request_uri": st.just("urn:ietf:params:oauth:request_uri:") | texts,
    "request": forged_jwts | texts,
    "ui_locales": texts,
    "organization": texts,
    "acr_values": texts,
    "display": texts,
}
TOKEN_ONLY = {**COMMON, "token": forged_jwts | texts, "token_type_hint": texts}
LOGOUT = {
    "id_token_hint": forged_jwts | texts,
    "post_logout_redirect_uri": texts,
    "client_id": texts,
    "state": texts,
    "ui_locales": texts,
}


def forms(fields: dict[str, Any]) -> st.SearchStrategy[MultiDict[str, str]]:
    """Some of ``fields``, each once or repeated (a repeated parameter is an error of its
    own in RFC 6749 §3.1)."""
    pairs = st.lists(
        st.sampled_from(sorted(fields)).flatmap(
            lambda name: st.lists(fields[name], min_size=1, max_size=2).map(
                lambda values: [(name, v) for v in values]
            )
        ),
        max_size=len(fields),
    )
    return pairs.map(lambda groups: MultiDict([pair for group in groups for pair in group]))


class FuzzWorld(OAuthWorld):
    """A world with dynamic registration, a confidential client allowed every grant and a
    public one; its browser is signed in."""

    def __init__(self) -> None:
        super().__init__(oauth_dynamic_registration=True)
        self.confidential = self.register(
            "--confidential", "--grant", "token_exchange", "--grant", "device_code"
        )
        self.public = self.register()


@pytest.fixture(scope="module")
def world() -> FuzzWorld:
    return FuzzWorld()


def with_real_client(world: FuzzWorld, form: MultiDict[str, str], which: int) -> None:
    """A third of the cases carry a registered client's real credentials, so that the
    checks after client authentication are reached too."""
    if which == 1:
        form.setlist("client_id", [world.confidential["client_id"]])
        form.setlist("client_secret", [world.confidential["client_secret"]])
    elif which == 2:
        form.setlist("client_id", [world.public["client_id"]])


def answered(response: Any) -> None:
    assert response.status_code < 500, (response.status_code, response.get_data(as_text=True))


@FUZZ
@given(form=forms(TOKEN), which=st.integers(0, 2), dpop=st.none() | forged_jwts)
def test_the_token_endpoint_answers_any_form(
    world: FuzzWorld, form: MultiDict[str, str], which: int, dpop: str | None
) -> None:
    with_real_client(world, form, which)
    headers = {"DPoP": dpop} if dpop is not None else {}
    response = world.client.post("/oauth/token", data=form, headers=headers)
    answered(response)
    if response.status_code >= 400:
        assert "error" in response.get_json()


@FUZZ
@given(form=forms(AUTHORIZE), which=st.integers(0, 2))
def test_pushed_requests_answer_any_form(
    world: FuzzWorld, form: MultiDict[str, str], which: int
) -> None:
    with_real_client(world, form, which)
    response = world.client.post("/oauth/par", data=form)
    answered(response)
    if response.status_code >= 400:
        assert "error" in response.get_json()


@FUZZ
@given(form=forms(AUTHORIZE), which=st.integers(0, 2), post=st.booleans())
def test_the_authorization_endpoint_answers_any_request_signed_in(
    world: FuzzWorld, form: MultiDict[str, str], which: int, post: bool
) -> None:
    """The browser of ``world`` is signed in: the checks after sign-in are reached."""
    with_real_client(world, form, which)
    form.poplist("client_secret")
    if post:
        response = world.client.post("/oauth/authorize", data=form)
    else:
        response = world.client.get("/oauth/authorize", query_string=form)
    answered(response)


@FUZZ
@given(
    form=forms(TOKEN_ONLY),
    which=st.integers(0, 2),
    path=st.sampled_from(["/oauth/introspect", "/oauth/revoke", "/oauth/device_authorization"]),
)
def test_introspection_revocation_and_devices_answer_any_form(
    world: FuzzWorld, form: MultiDict[str, str], which: int, path: str
) -> None:
    with_real_client(world, form, which)
    answered(world.client.post(path, data=form))


@FUZZ
@given(
    form=forms(TOKEN_ONLY),
    bearer=st.none() | forged_jwts | texts.filter(lambda t: not {"\r", "\n", "\0"} & set(t)),
    post=st.booleans(),
)
def test_userinfo_answers_any_request(
    world: FuzzWorld, form: MultiDict[str, str], bearer: str | None, post: bool
) -> None:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer is not None else {}
    if post:
        form.setlist("access_token", form.getlist("token"))
        response = world.client.post("/oauth/userinfo", data=form, headers=headers)
    else:
        response = world.client.get("/oauth/userinfo", headers=headers)
    answered(response)


@FUZZ
@given(form=forms(LOGOUT), post=st.booleans())
def test_the_logout_endpoint_answers_any_request(
    world: FuzzWorld, form: MultiDict[str, str], post: bool
) -> None:
    if post:
        response = world.client.post("/oauth/logout", data=form)
    else:
        response = world.client.get("/oauth/logout", query_string=form)
    answered(response)


@FUZZ
@given(
    body=st.dictionaries(
        st.sampled_from(
            [
                "redirect_uris",
                "client_name",
                "token_endpoint_auth_method",
                "grant_types",
                "response_types",
                "scope",
                "jwks",
                "jwks_uri",
                "backchannel_logout_uri",
                "backchannel_logout_session_required",
                "post_logout_redirect_uris",
                "require_pushed_authorization_requests",
                "logo_uri",
            ]
        ),
        json_values | st.lists(st.just(REDIRECT) | texts, max_size=3),
        max_size=8,
    )
)
def test_dynamic_registration_answers_any_metadata(world: FuzzWorld, body: dict[str, Any]) -> None:
    response = world.client.post("/oauth/register", json=body)
    answered(response)
    if response.status_code >= 400:
        assert "error" in response.get_json()
