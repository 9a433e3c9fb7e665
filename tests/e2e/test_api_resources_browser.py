"""API resources with their own scopes, end to end (docs/reference/oauth.md, "API
resources"): an admin registers one on /admin in Chromium, 375 px wide, in English and
Spanish; one registered on the command line, a client allowed its scope asks for it with
Authlib's client, the person sees its description on the consent page and the token
carries it. gunicorn on the emulators."""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import KeySet
from playwright.sync_api import Page, Route

from tests.support.api import PASSWORD
from tests.support.browser import chromium, fill, violations
from tests.support.served_oauth import CALLBACK_PORT, REDIRECT, account, new_client
from tests.support.servers import cli, free_port, serving
from tests.support.settings import TEST_OIDC_KEY

pytestmark = pytest.mark.e2e
PHONE = 375


@pytest.fixture(scope="module")
def provider(emulators: Any) -> Iterator[str]:
    """firegate with PUBLIC_URL its own address (the issuer) and one signing key."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with serving(
        "gunicorn-api-resources.log", PORT=str(port), PUBLIC_URL=url, OIDC_PRIVATE_KEY=TEST_OIDC_KEY
    ) as found:
        yield found


def an_admin(page: Page, base: str) -> None:
    """A new account signed in on ``page``, in its language, made an admin."""
    name = "a" + uuid.uuid4().hex[:10]
    page.goto(base + "/sign-up")
    fill(page, username=name, email=f"{name}@example.com", password=PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(base + "/account")
    cli(["users", "set-role", name, "admin"])


@pytest.mark.parametrize("locale", ["en-US", "es-ES"])
def test_an_admin_registers_and_removes_an_api_resource_on_a_phone(
    provider: str, firestore: Any, locale: str
) -> None:
    base, uri = provider, f"https://tasks-{uuid.uuid4().hex[:8]}.example.com/"
    spanish = locale == "es-ES"
    seen: list[str] = []
    with chromium(javascript=True, locale=locale) as page:
        page.set_viewport_size({"width": PHONE, "height": 800})
        an_admin(page, base)
        page.goto(base + "/admin#resources")
        heading = page.locator("#resources").inner_text()
        assert heading == ("Recursos de API" if spanish else "API resources")
        page.fill("#resource-uri", uri)
        page.fill("#resource-scopes", "tasks:read\n")  # no description: refused beside it
        page.locator("#add-resource + form button[type=submit]").click()
        error = page.locator("#resource-scopes-error[role=alert]").inner_text()
        assert error.startswith("Un ámbito por línea" if spanish else "One scope a line")
        seen += violations(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE
        page.fill(
            "#resource-scopes",
            "tasks:read | Read your tasks | Leer tus tareas\ntasks:write | Change your tasks",
        )
        page.locator("#add-resource + form button[type=submit]").click()
        page.wait_for_url(base + "/admin#resources")
        listing = page.locator("#resources + p + table").inner_text()
        assert uri in listing and "Leer tus tareas" in listing and "Change your tasks" in listing
        seen += violations(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE
        listed = cli(["resources", "list"])
        assert uri in listed
        remove = "Quitar" if spanish else "Remove"
        page.get_by_role("button", name=f"{remove} {uri}").click()
        page.wait_for_url(base + "/admin#resources")
        assert uri not in page.inner_text("main")
    assert uri not in cli(["resources", "list"])
    assert seen == []


def listed_scopes(base: str) -> list[str]:
    meta = requests.get(f"{base}/.well-known/openid-configuration", timeout=10).json()
    found: list[str] = meta["scopes_supported"]
    return found


def test_a_client_gets_a_token_for_an_api_resource_with_its_scope(
    provider: str, firestore: Any
) -> None:
    uri = f"https://tasks-{uuid.uuid4().hex[:8]}.example.com/"
    described = ("--description", "tasks:read", "Read your tasks")
    spanish = ("--description-es", "tasks:read", "Leer tus tareas")
    cli(["resources", "add", uri, "--scope", "tasks:read", *described, *spanish])
    app = new_client("--confidential", "--resource-scope", "tasks:read")
    # registered by another process: each of the server's workers counts it within
    # OAUTH_CLIENT_CACHE_TTL (5 s) of the registration
    time.sleep(5.5)
    assert "tasks:read" in listed_scopes(provider)
    username = account(provider)
    session = OAuth2Session(
        app["client_id"],
        app["client_secret"],
        scope="openid tasks:read",
        redirect_uri=REDIRECT,
        code_challenge_method="S256",
    )
    verifier = secrets.token_urlsafe(48)
    url, _ = session.create_authorization_url(
        f"{provider}/oauth/authorize", code_verifier=verifier, resource=uri
    )
    caught: list[str] = []

    def callback(route: Route) -> None:
        caught.append(route.request.url)
        route.fulfill(status=200, body="ok")

    with chromium(javascript=False) as page:
        page.route(f"http://127.0.0.1:{CALLBACK_PORT}/**", callback)
        page.goto(url)
        page.fill("#username", username)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("button[value=allow]")
        asked = page.locator("main ul li").all_inner_texts()
        assert "Read your tasks" in asked
        assert uri in page.inner_text("main")
        page.click("button[value=allow]")
        page.wait_for_url(f"http://127.0.0.1:{CALLBACK_PORT}/**")
    token = session.fetch_token(
        f"{provider}/oauth/token", authorization_response=caught[-1], code_verifier=verifier
    )
    assert token["scope"] == "openid tasks:read"
    keys = KeySet.import_key_set(
        requests.get(f"{provider}/.well-known/jwks.json", timeout=10).json()
    )
    claims = jwt.decode(token["access_token"], keys).claims
    assert claims["aud"] == uri and claims["scope"] == "openid tasks:read"
    seen = requests.post(
        f"{provider}/oauth/introspect",
        data={"token": token["access_token"]},
        auth=(app["client_id"], app["client_secret"]),
        timeout=10,
    ).json()
    assert seen["active"] is True and seen["scope"] == "openid tasks:read" and seen["aud"] == uri
    # a scope the client is not allowed: back to the app with invalid_scope
    refused = requests.get(
        f"{provider}/oauth/authorize",
        params={
            "response_type": "code",
            "client_id": app["client_id"],
            "redirect_uri": REDIRECT,
            "scope": "openid tasks:read",
            "code_challenge": "x" * 43,
            "code_challenge_method": "S256",
        },
        allow_redirects=False,
        timeout=10,
    )
    assert refused.status_code == 302 and "error=invalid_scope" in refused.headers["Location"]
