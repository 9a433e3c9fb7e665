"""Back-channel logout end to end: the service under gunicorn on the emulators, a person signed
in to two apps, and a real HTTP receiver in the test that gets each app's logout token and
verifies it against the provider's JWKS and issuer (docs/reference/oauth.md, "Back-channel
logout")."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.support.served_oauth import (
    REDIRECT,
    account,
    code_by_forms,
    new_client,
    signed_in_session,
)
from tests.support.served_webhooks import Received, Receiver, login, receiver
from tests.support.servers import free_port, serving
from tests.support.settings import TEST_OIDC_KEY, TEST_OIDC_RSA_KEY

__all__ = ["receiver"]  # a fixture, used here

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"


@pytest.fixture(scope="module")
def provider(emulators: Any) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with serving(
        "gunicorn-backchannel.log",
        PORT=str(port),
        PUBLIC_URL=url,
        OIDC_PRIVATE_KEY=TEST_OIDC_KEY,
        # Configured, as in production: each of gunicorn's workers would make a development
        # RSA key of its own, and a logout token one signs would not be in another's JWKS.
        OIDC_RSA_PRIVATE_KEY=TEST_OIDC_RSA_KEY,
        WEBHOOK_RETRY_FIRST="0.2",
        WEBHOOK_SWEEP_INTERVAL="0.3",
    ) as found:
        yield found


def id_token(base: str, browser: requests.Session, app: dict[str, Any]) -> str:
    code, verifier = code_by_forms(base, browser, app["client_id"])
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
    }
    auth = (app["client_id"], app["client_secret"])
    answer = requests.post(f"{base}/oauth/token", data=form, auth=auth, timeout=10)
    assert answer.status_code == 200, answer.text
    found: str = answer.json()["id_token"]
    return found


def verified(base: str, received: Received) -> tuple[dict[str, Any], dict[str, Any]]:
    """The logout token's header and claims, its signature checked with the JWKS."""
    assert received.headers["content-type"] == "application/x-www-form-urlencoded"
    token = parse_qs(received.body)["logout_token"][0]
    keys = KeySet.import_key_set(requests.get(f"{base}/.well-known/jwks.json", timeout=10).json())
    decoded = jwt.decode(token, keys)
    return dict(decoded.header), dict(decoded.claims)


def test_the_apps_of_a_session_get_a_verified_logout_token_when_it_ends(
    provider: str, receiver: Receiver
) -> None:
    meta = requests.get(f"{provider}/.well-known/openid-configuration", timeout=10).json()
    assert meta["backchannel_logout_supported"] and meta["backchannel_logout_session_supported"]
    strict = new_client(
        "--confidential",
        "--backchannel-logout-uri",
        f"{receiver.url}/strict",
        "--backchannel-logout-session-required",
    )
    loose = new_client("--confidential", "--backchannel-logout-uri", f"{receiver.url}/loose")
    receiver.answer = lambda path, number: 503 if path == "/loose" and number == 1 else 200
    username = account(provider)
    browser = signed_in_session(provider, username)
    first = jwt.decode(
        id_token(provider, browser, strict),
        KeySet.import_key_set(requests.get(f"{provider}/.well-known/jwks.json", timeout=10).json()),
    ).claims
    id_token(provider, browser, loose)
    # RP-initiated logout of the browser's session: both apps hold a grant of it
    hint = {"id_token_hint": id_token(provider, browser, strict)}
    browser.get(f"{provider}/oauth/logout", params=hint, allow_redirects=False, timeout=10)
    receiver.wait_for(lambda: len(receiver.on("/strict")) == 1 and len(receiver.on("/loose")) == 2)
    tokens = {}
    for path in ("/strict", "/loose"):
        header, claims = verified(provider, receiver.on(path)[-1])
        assert header["typ"] == "logout+jwt"
        assert claims["iss"] == meta["issuer"] == provider and claims["sub"] == first["sub"]
        assert claims["sid"] == first["sid"] and claims["events"] == {LOGOUT_EVENT: {}}
        assert "nonce" not in claims and claims["iat"] <= claims["exp"]
        tokens[path] = claims
    assert tokens["/strict"]["aud"] == strict["client_id"]
    assert tokens["/loose"]["aud"] == loose["client_id"]
    # the failed POST came again, the same token's jti
    retried = [verified(provider, r)[1]["jti"] for r in receiver.on("/loose")]
    assert retried[0] == retried[1]
    # a new session's grant, then sign out everywhere over the API: the loose app gets one
    # token for every session (no sid), the strict one names the session
    browser = signed_in_session(provider, username)
    second = id_token(provider, browser, strict)
    id_token(provider, browser, loose)
    token = login(provider, username).json()["access_token"]
    ended = requests.post(
        f"{provider}/auth/logout",
        params={"all": "true"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert ended.status_code == 204
    receiver.wait_for(lambda: len(receiver.on("/strict")) >= 2 and len(receiver.on("/loose")) >= 3)
    _, everywhere = verified(provider, receiver.on("/loose")[-1])
    assert "sid" not in everywhere and everywhere["sub"] == first["sub"]
    strict_sids = {verified(provider, r)[1]["sid"] for r in receiver.on("/strict")[1:]}
    keys = KeySet.import_key_set(
        requests.get(f"{provider}/.well-known/jwks.json", timeout=10).json()
    )
    assert jwt.decode(second, keys).claims["sid"] in strict_sids
