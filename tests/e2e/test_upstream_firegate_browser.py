"""A firegate as the upstream provider of another (docs/reference/providers.md): two gunicorns
on the emulators, each with a Firestore project of its own; the first is a confidential client
of the second (``clients create``) and signs people in with it (``providers add``); one round
trip in Chromium. The second answers on 127.0.0.2 so that the browser keeps its cookies apart
from the first's (cookies ignore the port)."""

from __future__ import annotations

import json
import secrets
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from playwright.sync_api import Page

from tests.support.api import PASSWORD, bearer
from tests.support.browser import another_browser, chromium, fill, signed_up
from tests.support.servers import cli, free_port, reserved_port, serving
from tests.support.settings import TEST_MFA_KEY

pytestmark = pytest.mark.e2e
FIRST_PROJECT, SECOND_PROJECT = "demo-firegate-first", "demo-firegate-upstream"


def cli_of(project: str, args: list[str]) -> dict[str, Any]:
    """The command line against one firegate's project, with its key (a provider's secret is
    sealed with it): the JSON line it printed."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GOOGLE_CLOUD_PROJECT", project)
        patch.setenv("MFA_ENCRYPTION_KEY", TEST_MFA_KEY)
        printed: dict[str, Any] = json.loads(cli(args).strip().splitlines()[-1])
    return printed


@dataclass(frozen=True)
class Gates:
    first: str  # base URLs
    second: str
    client_id: str  # the first's, as a client of the second
    client_secret: str


@pytest.fixture(scope="module")
def firegates(emulators: Any) -> Iterator[Gates]:
    """The first firegate and its upstream, the second."""
    # the first's port stays bound until it starts, after the second learned of it
    reserved = reserved_port()
    first_port, second_port = reserved.getsockname()[1], free_port()
    first, second = f"http://127.0.0.1:{first_port}", f"http://127.0.0.2:{second_port}"
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    binds = ["--bind", f"127.0.0.1:{second_port}", "--bind", f"127.0.0.2:{second_port}"]
    with serving(
        "gunicorn-upstream-second.log",
        command=[gunicorn, "-c", "gunicorn.conf.py", *binds],
        PORT=str(second_port),
        PUBLIC_URL=second,
        GOOGLE_CLOUD_PROJECT=SECOND_PROJECT,
    ):
        client = cli_of(
            SECOND_PROJECT,
            [
                *("clients", "create", "--name", "First Firegate", "--confidential"),
                *("--redirect-uri", f"{first}/sign-in/with/upstream-fg/callback"),
                *("--scope", "openid", "--scope", "email", "--scope", "profile"),
            ],
        )
        cli_of(
            FIRST_PROJECT,
            [
                *("providers", "add", "--id", "upstream-fg", "--issuer", second),
                *("--client-id", client["client_id"], "--client-secret", client["client_secret"]),
                *("--name", "Second Firegate"),
            ],
        )
        reserved.close()
        with serving(
            "gunicorn-upstream-first.log",
            PORT=str(first_port),
            PUBLIC_URL=first,
            GOOGLE_CLOUD_PROJECT=FIRST_PROJECT,
        ):
            yield Gates(first, second, client["client_id"], client["client_secret"])


@pytest.fixture(scope="module")
def page() -> Iterator[Page]:
    with chromium(javascript=True) as found:
        yield found


def test_a_firegate_signs_people_in_with_another_firegate(firegates: Gates, page: Page) -> None:
    first, second = firegates.first, firegates.second
    elsewhere = another_browser(page)
    try:  # the person's account at the second firegate, made in a browser of its own
        name = signed_up(elsewhere, second, "u")
    finally:
        elsewhere.context.close()
    page.goto(first + "/sign-in")
    page.click("text=Continue with Second Firegate")
    page.wait_for_url(second + "/sign-in**")  # the second's own sign-in, then its consent
    fill(page, username=name, password=PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("button[value=allow]")
    assert "First Firegate" in page.content()
    page.click("button[value=allow]")
    page.wait_for_url(first + "/account")  # back on the first, signed in
    assert name in page.inner_text("main")  # its username, from the second's address
    page.goto(first + "/account/security")
    assert f"{name}@example.com" in page.inner_text("main")
    # GET /auth/identities lists the identity, to a bearer token of that account: the token
    # response a native app gets for an ID token the second issued to the first (same person).
    token = native_sign_in(page, firegates)
    identities = requests.get(first + "/auth/identities", headers=bearer(token), timeout=10)
    assert identities.status_code == 200, identities.text
    [identity] = identities.json()["items"]
    assert identity["provider"] == "upstream-fg" and identity["email"] == f"{name}@example.com"
    user = requests.get(first + "/user", headers=bearer(token), timeout=10).json()
    assert user["username"] == name  # the account the browser was signed in to


def native_sign_in(page: Page, gates: Gates) -> str:
    """An ID token the second issues to the first's client for the person (signed in there:
    the browser's cookies; the code never goes to the first), exchanged at the first's native
    token endpoint: the access token of the account it signs in to."""
    redirect_uri = f"{gates.first}/sign-in/with/upstream-fg/callback"
    second = requests.Session()  # the browser's cookies at the second: the person signed in
    for cookie in page.context.cookies(gates.second):
        second.cookies.set(cookie["name"], cookie["value"], domain=cookie["domain"])
    verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
    query = {
        "response_type": "code",
        "client_id": gates.client_id,
        "redirect_uri": redirect_uri,
        "scope": "openid email",
        "state": "native",
        "nonce": nonce,
        "code_challenge": create_s256_code_challenge(verifier),
        "code_challenge_method": "S256",
    }
    given = second.get(
        gates.second + "/oauth/authorize?" + urlencode(query), allow_redirects=False, timeout=10
    )
    assert given.status_code in (302, 303), given.text  # consent was given: no page on the way
    [code] = parse_qs(urlsplit(given.headers["Location"]).query)["code"]
    tokens = requests.post(
        gates.second + "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        },
        auth=(gates.client_id, gates.client_secret),
        timeout=10,
    )
    assert tokens.status_code == 200, tokens.text
    answer = requests.post(
        gates.first + "/auth/identities/upstream-fg/token",
        json={"id_token": tokens.json()["id_token"], "nonce": nonce},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    access: str = answer.json()["access_token"]
    return access
