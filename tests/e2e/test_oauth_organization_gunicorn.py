"""The OpenID provider's scope ``organization`` over gunicorn on the emulators, with clients
nobody here wrote (Authlib's ``OAuth2Session``, and panva's ``openid-client`` from npm in
tests/e2e/openid_client_orgs.mjs): the person picks one of their orgs on the consent page
(its forms, as a browser posts them), or the request names it, and the ID token, userinfo and
the access token carry it; a removal counts at the next userinfo and refresh; a request naming
an org of which the person is no member goes back with ``access_denied``
(docs/reference/oauth.md)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import KeySet

from domain.orgs.roles import RoleDefinition
from infrastructure.firestore.orgs.roles import FirestoreOrgRoles
from tests.support.api import PASSWORD
from tests.support.browser import chromium, violations
from tests.support.orgs import add_org, remove_member
from tests.support.served_oauth import (
    REDIRECT,
    account,
    allow,
    authlib_sign_in,
    new_client,
    node_client,
    served_provider,
    signed_in_session,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]
SCOPE = "openid profile organization offline_access"
ORG_CLAIMS = ("org_id", "org_slug", "org_roles")


@pytest.fixture(scope="module")
def provider(emulators: Any) -> Iterator[str]:
    with served_provider("gunicorn-oauth-orgs.log") as found:
        yield found


def user_id_of(base: str, username: str) -> str:
    body = {"username": username, "password": PASSWORD}
    token = requests.post(f"{base}/login", json=body, timeout=10).json()["access_token"]
    answer = requests.get(f"{base}/user", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    found: str = answer.json()["id"]
    return found


def consent_with(browser: requests.Session, url: str, org: str | None) -> requests.Response:
    page = browser.get(url, allow_redirects=False, timeout=10)
    assert page.status_code == 200, page.text
    return allow(browser, page, **({"organization": org} if org else {}))


def test_authlibs_client_gets_the_org_the_person_picked(provider: str, firestore: Any) -> None:
    username = account(provider)
    user_id = user_id_of(provider, username)
    acme = add_org(firestore, "acme", {user_id: ("admin",)})
    add_org(firestore, "globex", {user_id: ("member",)})
    app = new_client("--confidential")
    browser = signed_in_session(provider, username)

    def consent(url: str) -> requests.Response:
        page = browser.get(url, allow_redirects=False, timeout=10)
        assert "acme" in page.text and "globex" in page.text  # the person's orgs, offered
        return consent_with(browser, url, acme)

    session, meta, keys = authlib_sign_in(provider, app, SCOPE, browser, consent)
    assert "organization" in meta["scopes_supported"]
    token = session.token
    expected = {"org_id": acme, "org_slug": "acme", "org_roles": ["admin"]}
    for found in (token["id_token"], token["access_token"]):
        claims = jwt.decode(found, keys).claims
        assert {k: claims[k] for k in expected} == expected
    info = session.get(meta["userinfo_endpoint"]).json()
    assert {k: info.get(k) for k in expected} == expected

    remove_member(firestore, acme, user_id)
    info = session.get(meta["userinfo_endpoint"]).json()
    assert "org_id" not in info  # removed: userinfo reads the membership again
    refreshed = session.refresh_token(meta["token_endpoint"])
    assert "org_id" not in jwt.decode(refreshed["access_token"], keys).claims


def test_the_members_permissions_in_the_org_ride_with_scope_organization(
    provider: str, firestore: Any
) -> None:
    username = account(provider)
    user_id = user_id_of(provider, username)
    acme = add_org(firestore, "acme", {user_id: ("admin",)})
    now = datetime.now(UTC)
    defined = RoleDefinition("Billing", ("invoices:read", "invoices:write"))
    FirestoreOrgRoles(firestore).redefine(
        acme, "admin", lambda org: org.with_role("admin", defined, now), now
    )
    browser = signed_in_session(provider, username)
    session, meta, keys = authlib_sign_in(
        provider,
        new_client("--confidential"),
        SCOPE,
        browser,
        lambda url: consent_with(browser, url, acme),
    )
    expected = ["invoices:read", "invoices:write"]
    for found in (session.token["id_token"], session.token["access_token"]):
        assert jwt.decode(found, keys).claims["org_permissions"] == expected
    assert session.get(meta["userinfo_endpoint"]).json()["org_permissions"] == expected
    narrowed = RoleDefinition("Billing", ("invoices:read",))
    FirestoreOrgRoles(firestore).redefine(
        acme, "admin", lambda org: org.with_role("admin", narrowed, now), now
    )
    info = session.get(meta["userinfo_endpoint"]).json()
    assert info["org_permissions"] == ["invoices:read"]  # the membership as it is now
    refreshed = session.refresh_token(meta["token_endpoint"])
    claims = jwt.decode(refreshed["access_token"], keys).claims
    assert claims["org_permissions"] == ["invoices:read"]


@pytest.mark.parametrize("member", [False, True], ids=["no_member", "no_second_factor"])
def test_a_request_naming_an_org_the_person_may_not_act_in_is_denied(
    provider: str, firestore: Any, member: bool
) -> None:
    """Not a member, or a member without the second factor the org requires
    (docs/decisions/0382-an-org-becomes-active-under-its-rules-everywhere.md)."""
    username = account(provider)
    if member:
        add_org(
            firestore, "initech", {user_id_of(provider, username): ("member",)}, require_mfa=True
        )
    else:
        add_org(firestore, "initech", {"someone-else": ("owner",)})
    app = new_client()
    session = OAuth2Session(
        app["client_id"], scope=SCOPE, redirect_uri=REDIRECT, code_challenge_method="S256"
    )
    meta = requests.get(f"{provider}/.well-known/openid-configuration", timeout=10).json()
    url, state = session.create_authorization_url(
        meta["authorization_endpoint"],
        code_verifier=secrets.token_urlsafe(48),
        organization="initech",
    )
    browser = signed_in_session(provider, username)
    answer = browser.get(url, allow_redirects=False, timeout=10)
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location.startswith(REDIRECT) and "error=access_denied" in location
    assert f"state={state}" in location and "iss=" in location


def openid_client(
    provider: str, app: dict[str, Any], organization: str, browse: Callable[[str], str]
) -> dict[str, Any]:
    """What openid-client (tests/e2e/openid_client_orgs.mjs) found: it makes the authorization
    URL, ``browse`` follows it as the person's browser and answers where it was sent back."""
    secret = app.get("client_secret") or "-"
    args = [provider, app["client_id"], secret, REDIRECT, organization]
    return node_client("openid_client_orgs.mjs", args, browse)


def test_openid_client_signs_in_with_the_org_its_request_names(
    provider: str, firestore: Any
) -> None:
    username = account(provider)
    user_id = user_id_of(provider, username)
    acme = add_org(firestore, "acme", {user_id: ("admin", "member")})
    add_org(firestore, "globex", {user_id: ("owner",)})
    browser = signed_in_session(provider, username)

    def consent(url: str) -> str:
        page = browser.get(url, allow_redirects=False, timeout=10)
        assert page.status_code == 200, page.text
        assert 'name="organization"' not in page.text  # the request named it: no choice
        answer = allow(browser, page)
        assert answer.status_code == 302, answer.text
        location: str = answer.headers["Location"]
        return location

    found = openid_client(provider, new_client("--confidential"), "acme", consent)
    expected = {"org_id": acme, "org_slug": "acme", "org_roles": ["admin", "member"]}
    assert found["scope"].split() == ["openid", "organization"]
    claims = found["id_token_claims"]  # validated by openid-client: signature, nonce, aud, iss
    assert {k: claims.get(k) for k in ORG_CLAIMS} == expected
    assert claims["sub"] == found["userinfo"]["sub"]
    assert {k: found["userinfo"].get(k) for k in ORG_CLAIMS} == expected
    meta = requests.get(f"{provider}/.well-known/openid-configuration", timeout=10).json()
    keys = KeySet.import_key_set(requests.get(meta["jwks_uri"], timeout=10).json())
    access = jwt.decode(found["access_token"], keys).claims
    assert {k: access.get(k) for k in ORG_CLAIMS} == expected


def test_openid_client_meets_access_denied_for_an_org_of_which_the_person_is_no_member(
    provider: str, firestore: Any
) -> None:
    username = account(provider)
    add_org(firestore, "initech", {"someone-else": ("owner",)})
    browser = signed_in_session(provider, username)

    def refused(url: str) -> str:
        answer = browser.get(url, allow_redirects=False, timeout=10)
        assert answer.status_code == 302, answer.text
        location: str = answer.headers["Location"]
        return location

    found = openid_client(provider, new_client(), "initech", refused)
    assert found == {"error": "access_denied"}


@pytest.mark.parametrize("locale", ["en-US", "es-ES"])
def test_the_consent_pages_choice_of_orgs_is_accessible_at_375_px(
    provider: str, firestore: Any, locale: str
) -> None:
    username = account(provider)
    user_id = user_id_of(provider, username)
    for slug in ("acme", "globex"):
        add_org(firestore, slug, {user_id: ("member",)})
    app = new_client()
    session = OAuth2Session(
        app["client_id"], scope=SCOPE, redirect_uri=REDIRECT, code_challenge_method="S256"
    )
    url, _ = session.create_authorization_url(
        f"{provider}/oauth/authorize", code_verifier=secrets.token_urlsafe(48)
    )
    with chromium(javascript=True, locale=locale) as page:
        page.set_viewport_size({"width": 375, "height": 800})
        page.goto(url)
        page.fill("#username", username)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("input[name=organization]")
        radios = page.locator("input[name=organization]")
        assert radios.count() == 2
        assert violations(page) == []
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375
        legend = page.locator("legend").inner_text()
        assert legend == (
            "For which organization?" if locale == "en-US" else "¿Para qué organización?"
        )
        for index, name in enumerate(("Acme", "Globex")):
            radio = radios.nth(index)
            assert not radio.is_checked()  # the person chooses: nothing preselected
            label = page.locator(f"label[for='{radio.get_attribute('id')}']")
            assert label.inner_text().split() == [name, name.lower()]  # the slug beside
            box, text = radio.bounding_box(), label.bounding_box()
            assert box is not None and text is not None
            assert box["width"] <= 24 and box["height"] <= 24  # a radio's size, not a field's
            # Beside its label, on its first line: not above it, not across the page.
            assert text["x"] - (box["x"] + box["width"]) <= 16
            assert text["y"] <= box["y"] <= text["y"] + 24
            assert text["height"] >= 44  # the label is the tap target
        # Sent without a choice (as a browser without form validation would): the page
        # again, saying what to do, still accessible.
        radios.first.evaluate("radio => radio.form.noValidate = true")
        page.click("button[value=allow]")
        alert = page.locator("#organization-error")
        alert.wait_for()
        assert alert.inner_text() == (
            "Choose one of your organizations."
            if locale == "en-US"
            else "Elige una de tus organizaciones."
        )
        assert page.locator("input[name=organization]").count() == 2
        assert violations(page) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
