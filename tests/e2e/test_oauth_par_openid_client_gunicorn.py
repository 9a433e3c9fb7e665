"""Pushed authorization requests and ``private_key_jwt`` over gunicorn on the emulators, with
a client nobody here wrote: panva's ``openid-client`` from npm (tests/e2e/openid_client_par.mjs)
pushes its request to ``/oauth/par`` signing an assertion with its key, sends the browser with
the ``request_uri``, exchanges the code, validates the ID token, reads userinfo, introspects
and revokes its token, each time authenticated by a new assertion
(docs/reference/oauth.md, "Pushed authorization requests", "Client authentication with a
signed assertion")."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
from joserfc.jwk import ECKey

from tests.support import served_oauth as served

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


@pytest.fixture(scope="module")
def provider(emulators: Any) -> Iterator[str]:
    with served.served_provider("gunicorn-oauth-par.log") as found:
        yield found


def test_openid_client_signs_in_through_par_with_private_key_jwt(provider: str) -> None:
    key = ECKey.generate_key("P-256", parameters={"kid": "rp-1"})
    jwks = json.dumps({"keys": [key.as_dict(private=False)]})
    app = served.new_client("--confidential", "--require-par", "--jwks", jwks)
    assert app["token_endpoint_auth_method"] == "private_key_jwt"
    assert "client_secret" not in app
    browser = served.signed_in_session(provider, served.account(provider))
    spent: list[str] = []

    def browse(url: str) -> str:
        query = parse_qs(urlsplit(url).query)
        assert set(query) == {"client_id", "request_uri"}  # the request itself was pushed
        spent.append(url)
        arrival = browser.get(url, allow_redirects=False, timeout=10)
        assert arrival.status_code == 303, arrival.text
        resumed = urljoin(url, arrival.headers["Location"])
        page = browser.get(resumed, allow_redirects=False, timeout=10)
        assert page.status_code == 200, page.text
        answer = served.allow(browser, page)
        assert answer.status_code == 302, answer.text
        location: str = answer.headers["Location"]
        return location

    args = [provider, app["client_id"], json.dumps(key.as_dict(private=True)), served.REDIRECT]
    found = served.node_client("openid_client_par.mjs", args, browse)
    assert "error" not in found, found
    claims = found["id_token_claims"]  # validated by openid-client: signature, nonce, aud, iss
    assert claims["aud"] == app["client_id"] and claims["sub"] == found["userinfo"]["sub"]
    assert found["introspected"]["active"] is True
    assert found["introspected"]["client_id"] == app["client_id"]
    assert found["after_revocation"] == {"active": False}
    # the same URL again: its request_uri was spent
    again = browser.get(spent[0], allow_redirects=False, timeout=10)
    assert again.status_code == 400


def test_a_client_that_must_push_is_refused_a_plain_request(provider: str) -> None:
    app = served.new_client("--confidential", "--require-par")
    browser = served.signed_in_session(provider, served.account(provider))
    params = {
        "response_type": "code",
        "client_id": app["client_id"],
        "redirect_uri": served.REDIRECT,
        "scope": "openid",
        "state": "s",
        "code_challenge": "a" * 43,
        "code_challenge_method": "S256",
    }
    answer = browser.get(
        f"{provider}/oauth/authorize", params=params, allow_redirects=False, timeout=10
    )
    assert answer.status_code == 302
    assert parse_qs(urlsplit(answer.headers["Location"]).query)["error"] == ["invalid_request"]
