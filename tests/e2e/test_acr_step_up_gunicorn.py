"""Step-up with ``acr`` end to end (docs/reference/acr.md): Authlib's client asks
``acr_values`` and ``max_age`` of firegate under gunicorn on the emulators; the browser's
sign-in of a password alone is sent to sign in again with its second factor before the code
is issued, and the ID token carries the class met and ``auth_time``; an ``acr`` claim asked
as essential that the account cannot reach goes back ``unmet_authentication_requirements``;
a token for an API resource whose ``min_acr`` is above the sign-in's is refused at the token
endpoint, one at or above it is introspected with its ``acr``."""

from __future__ import annotations

import json
import re
import secrets
import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import pyotp
import pytest
import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.support.api import PASSWORD
from tests.support.served_oauth import (
    REDIRECT,
    account,
    allow,
    new_client,
    served_provider,
    signed_in_session,
)
from tests.support.servers import cli

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]
PWD, MFA, PHR = (f"urn:firegate:acr:{name}" for name in ("pwd", "mfa", "phr"))


@pytest.fixture(scope="module")
def provider(emulators: Any) -> Iterator[str]:
    with served_provider("gunicorn-acr.log") as found:
        yield found


def csrf_of(text: str) -> str:
    return text.split('name="csrf_token" value="')[1].split('"', maxsplit=1)[0]


def with_authenticator(base: str, browser: requests.Session) -> str:
    """An authenticator set up on the account page by ``browser``, whose password sign-in
    goes on: its secret."""
    token = csrf_of(browser.get(f"{base}/account/security", timeout=10).text)
    started = browser.post(
        f"{base}/account/totp", data={"password": PASSWORD, "csrf_token": token}, timeout=10
    )
    assert started.status_code == 200, started.text
    shown = re.search(r'id="totp-secret">([A-Z2-7]+)<', started.text)
    assert shown is not None
    secret = shown.group(1)
    confirmed = browser.post(
        f"{base}/account/totp/confirm",
        data={"code": pyotp.TOTP(secret).now(), "csrf_token": token},
        timeout=10,
    )
    assert confirmed.status_code == 200, confirmed.text
    return secret


def authlib(app: dict[str, Any], scope: str = "openid profile") -> OAuth2Session:
    return OAuth2Session(
        app["client_id"],
        app["client_secret"],
        scope=scope,
        redirect_uri=REDIRECT,
        code_challenge_method="S256",
    )


def meta_of(base: str) -> dict[str, Any]:
    found: dict[str, Any] = requests.get(
        f"{base}/.well-known/openid-configuration", timeout=10
    ).json()
    return found


def stepped_up(base: str, browser: requests.Session, url: str, username: str, secret: str) -> str:
    """The authorization ``url`` followed by a browser whose sign-in is below the class it
    asks: sent to sign in again, with the password and then a code, and back: where the app
    is sent (its redirect URI with the code)."""
    answer = browser.get(url, allow_redirects=False, timeout=10)
    assert answer.status_code == 303, answer.text
    sign_in = urljoin(base, answer.headers["Location"])
    query = parse_qs(urlsplit(sign_in).query)
    assert urlsplit(sign_in).path == "/sign-in" and query["again"] == ["1"]
    page = browser.get(sign_in, timeout=10)
    form = {"username": username, "password": PASSWORD, "csrf_token": csrf_of(page.text)}
    first = browser.post(sign_in, data=form, allow_redirects=False, timeout=10)
    assert first.status_code == 303, first.text
    second_step = urljoin(base, first.headers["Location"])
    assert urlsplit(second_step).path == "/sign-in/mfa"
    page = browser.get(second_step, timeout=10)
    code = pyotp.TOTP(secret).at(int(time.time()), counter_offset=1)  # the first one is spent
    second = browser.post(
        second_step,
        data={"code": code, "csrf_token": csrf_of(page.text)},
        allow_redirects=False,
        timeout=10,
    )
    assert second.status_code == 303, second.text
    back = browser.get(urljoin(base, second.headers["Location"]), allow_redirects=False)
    if back.status_code == 200:
        back = allow(browser, back)
    assert back.status_code == 302, back.text
    location: str = back.headers["Location"]
    return location


def test_authlibs_client_asks_acr_values_and_max_age_and_the_sign_in_steps_up(
    provider: str,
) -> None:
    meta = meta_of(provider)
    assert meta["acr_values_supported"] == [PWD, MFA, PHR]
    username = account(provider)
    browser = signed_in_session(provider, username)
    secret = with_authenticator(provider, browser)
    app = new_client("--confidential")
    session, verifier = authlib(app), secrets.token_urlsafe(48)
    url, _ = session.create_authorization_url(
        meta["authorization_endpoint"],
        code_verifier=verifier,
        nonce="n0nce",
        acr_values=MFA,
        max_age="300",
    )
    before = int(time.time()) - 1
    back = stepped_up(provider, browser, url, username, secret)
    token = session.fetch_token(
        meta["token_endpoint"], authorization_response=back, code_verifier=verifier
    )
    keys = KeySet.import_key_set(requests.get(meta["jwks_uri"], timeout=10).json())
    id_token = jwt.decode(token["id_token"], keys).claims
    assert id_token["acr"] == MFA and id_token["amr"] == ["pwd", "otp"]
    assert id_token["auth_time"] >= before  # the new sign-in's
    assert jwt.decode(token["access_token"], keys).claims["acr"] == MFA
    # the stepped-up sign-in meets it now: the code comes at once
    again, verifier = authlib(app), secrets.token_urlsafe(48)
    url, _ = again.create_authorization_url(
        meta["authorization_endpoint"], code_verifier=verifier, nonce="n", acr_values=MFA
    )
    answer = browser.get(url, allow_redirects=False, timeout=10)
    assert answer.status_code == 302 and "code=" in answer.headers["Location"]


def test_an_essential_acr_the_account_cannot_reach_goes_back_unmet(provider: str) -> None:
    meta = meta_of(provider)
    browser = signed_in_session(provider, account(provider))
    session = authlib(new_client("--confidential"))
    claims = {"id_token": {"acr": {"essential": True, "values": [PHR]}}}
    url, state = session.create_authorization_url(
        meta["authorization_endpoint"],
        code_verifier=secrets.token_urlsafe(48),
        claims=json.dumps(claims),
    )
    answer = browser.get(url, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert query["error"] == ["unmet_authentication_requirements"]
    assert query["state"] == [state]


def test_a_resources_min_acr_refuses_a_weaker_sign_in_at_the_token_endpoint(
    provider: str,
) -> None:
    meta = meta_of(provider)
    strong = f"https://strong-{uuid.uuid4().hex[:8]}.example.com/"
    plain = f"https://plain-{uuid.uuid4().hex[:8]}.example.com/"
    for uri, name, extra in [(strong, "s:read", ["--min-acr", MFA]), (plain, "p:read", [])]:
        cli(["resources", "add", uri, "--scope", name, "--description", name, "Read", *extra])
    app = new_client("--confidential", "--resource-scope", "s:read", "--resource-scope", "p:read")
    time.sleep(5.5)  # registered by another process: each worker reads it within 5 s
    browser = signed_in_session(provider, account(provider))  # a password: pwd

    def token_for(resource: str, scope: str) -> dict[str, Any]:
        session, verifier = authlib(app, f"openid {scope}"), secrets.token_urlsafe(48)
        url, _ = session.create_authorization_url(
            meta["authorization_endpoint"], code_verifier=verifier, resource=resource
        )
        answer = browser.get(url, allow_redirects=False, timeout=10)
        if answer.status_code == 200:
            answer = allow(browser, answer)
        assert answer.status_code == 302, answer.text
        found: dict[str, Any] = session.fetch_token(
            meta["token_endpoint"],
            authorization_response=answer.headers["Location"],
            code_verifier=verifier,
            resource=resource,
        )
        return found

    with pytest.raises(AuthlibBaseError) as refused:
        token_for(strong, "s:read")
    assert refused.value.error == "invalid_grant"
    assert MFA in (refused.value.description or "")
    token = token_for(plain, "p:read")
    seen = requests.post(
        meta["introspection_endpoint"],
        data={"token": token["access_token"]},
        auth=(app["client_id"], app["client_secret"]),
        timeout=10,
    ).json()
    assert seen["active"] is True and seen["acr"] == PWD and seen["aud"] == plain
