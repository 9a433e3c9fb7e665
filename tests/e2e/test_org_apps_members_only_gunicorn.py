"""An org's app open to its members only, over gunicorn on the emulators: a person in no org
is refused at the authorization endpoint with a page of its own and never gets a code; a
member gets tokens, and once removed refreshes them no more, even added again
(docs/reference/orgs.md, "Members only"; docs/decisions/0467-an-orgs-app-is-for-its-members.md)."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from tests.support.api import PASSWORD
from tests.support.browser import chromium, violations
from tests.support.orgs import remove_member, served_account, set_member
from tests.support.served_oauth import REDIRECT, code_by_forms, served_provider, signed_in_session

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]
APP = {
    "name": "Acme billing",
    "redirect_uris": [REDIRECT],
    "confidential": True,
    "scopes": ["openid", "profile", "offline_access"],
}


@pytest.fixture(scope="module")
def provider(emulators: Any) -> Iterator[str]:
    with served_provider("gunicorn-org-members-only.log") as found:
        yield found


def org_with_app(base: str, **fields: object) -> tuple[str, dict[str, Any]]:
    """A new org (its owner a new account) and an app its owner registered: the org's id and
    the app (with its secret)."""
    _, owner = served_account(base, "o" + uuid.uuid4().hex[:10])
    slug = "acme-" + uuid.uuid4().hex[:6]
    made = requests.post(
        f"{base}/orgs", json={"slug": slug, "name": "Acme"}, headers=owner, timeout=60
    )
    assert made.status_code == 201, made.text
    app = requests.post(f"{base}/orgs/{slug}/clients", json=APP | fields, headers=owner, timeout=60)
    assert app.status_code == 201, app.text
    return made.json()["id"], app.json()


def authorization_request(base: str, browser: requests.Session, client_id: str) -> Any:
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT,
        "scope": "openid offline_access",
        "code_challenge": create_s256_code_challenge(secrets.token_urlsafe(48)),
        "code_challenge_method": "S256",
    }
    return browser.get(f"{base}/oauth/authorize", params=params, allow_redirects=False, timeout=60)


def test_a_person_in_no_org_is_refused_with_a_page_and_gets_no_code(provider: str) -> None:
    _, app = org_with_app(provider)
    name = "s" + uuid.uuid4().hex[:10]
    served_account(provider, name)
    answer = authorization_request(provider, signed_in_session(provider, name), app["client_id"])
    assert answer.status_code == 403, answer.text
    assert "Location" not in answer.headers
    assert "Only members of Acme can sign in to Acme billing." in answer.text
    assert "code=" not in answer.text
    assert app["members_only"] is True  # the default for an org's app


def test_a_member_removed_refreshes_no_more_even_added_again(provider: str, firestore: Any) -> None:
    org_id, app = org_with_app(provider)
    name = "m" + uuid.uuid4().hex[:10]
    member_id, _ = served_account(provider, name)
    set_member(firestore, org_id, member_id, ("member",))
    browser = signed_in_session(provider, name)
    code, verifier = code_by_forms(provider, browser, app["client_id"])
    secret = {"client_id": app["client_id"], "client_secret": app["client_secret"]}
    form = {"grant_type": "authorization_code", "code": code, "code_verifier": verifier}
    tokens = requests.post(
        f"{provider}/oauth/token", data={**form, "redirect_uri": REDIRECT, **secret}, timeout=60
    )
    assert tokens.status_code == 200, tokens.text
    refresh = {"grant_type": "refresh_token", **secret}
    again = requests.post(
        f"{provider}/oauth/token",
        data={**refresh, "refresh_token": tokens.json()["refresh_token"]},
        timeout=60,
    )
    assert again.status_code == 200, again.text  # a member refreshes
    kept = again.json()["refresh_token"]
    remove_member(firestore, org_id, member_id)
    refused = requests.post(
        f"{provider}/oauth/token", data={**refresh, "refresh_token": kept}, timeout=60
    )
    assert refused.status_code == 400, refused.text
    assert refused.json()["error"] == "invalid_grant"
    set_member(firestore, org_id, member_id, ("member",))  # a new membership
    later = requests.post(
        f"{provider}/oauth/token", data={**refresh, "refresh_token": kept}, timeout=60
    )
    assert later.status_code == 400 and later.json()["error"] == "invalid_grant"


def test_an_app_open_to_all_lets_anyone_in(provider: str) -> None:
    _, app = org_with_app(provider, members_only=False)
    assert app["members_only"] is False
    name = "a" + uuid.uuid4().hex[:10]
    served_account(provider, name)
    browser = signed_in_session(provider, name)
    code, _ = code_by_forms(provider, browser, app["client_id"])
    assert code


@pytest.mark.parametrize(
    ("locale", "said"),
    [
        ("en-US", "Only members of Acme can sign in to Acme billing."),
        ("es-ES", "Solo los miembros de Acme pueden iniciar sesión en Acme billing."),
    ],
)
def test_the_refusal_page_is_accessible_at_375_px(provider: str, locale: str, said: str) -> None:
    _, app = org_with_app(provider)
    name = "b" + uuid.uuid4().hex[:10]
    served_account(provider, name)
    params = {
        "response_type": "code",
        "client_id": app["client_id"],
        "redirect_uri": REDIRECT,
        "scope": "openid",
        "code_challenge": create_s256_code_challenge(secrets.token_urlsafe(48)),
        "code_challenge_method": "S256",
    }
    with chromium(javascript=True, locale=locale) as page:
        page.set_viewport_size({"width": 375, "height": 800})
        page.goto(f"{provider}/oauth/authorize?{urlencode(params)}")
        page.fill("#username", name)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("#members-only")
        assert page.locator("#members-only").inner_text() == said
        assert violations(page) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
