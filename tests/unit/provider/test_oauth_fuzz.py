"""The provider's form endpoints under any parameters (docs/reference/oauth.md): whatever a
client or a browser sends — any values, parameters repeated, wrong or mixed grants, forged
JWTs as assertions, hints and tokens, a real client's credentials beside garbage — the answer
is an OAuth error or a success, never a 5xx and never an exception through Flask.

The OpenAPI document does not describe these endpoints (they take forms, RFC 6749), so the
schemathesis run of tests/e2e/test_fuzz_openapi.py does not reach them; this does, on the
fakes, with hypothesis."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from tests.support.fuzz import (
    AUTHORIZE,
    LOGOUT,
    TOKEN,
    TOKEN_ONLY,
    forged_jwts,
    forms,
    fuzz,
    json_values,
    texts,
)
from tests.support.oauth import REDIRECT, OAuthWorld

pytestmark = pytest.mark.unit

FUZZ = fuzz(120)


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
