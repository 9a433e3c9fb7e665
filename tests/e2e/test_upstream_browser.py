"""Signing in with an upstream provider, end to end (docs/reference/providers.md): gunicorn on
the emulators, panva's oidc-provider (npm, tests/upstream_provider.mjs) as a generic OpenID
upstream, the person's part in Chromium: the account rules (docs/reference/identities.md),
"Connect another" and the pre-hijack classes through this flow (docs/security.md); a native
app's ID token against a provider whose keys a local stand-in serves (discovery and JWKS
only, signed here with PyJWT)."""

from __future__ import annotations

import json
import secrets
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlencode, urlsplit

import jwt
import pyotp
import pytest
import requests
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from playwright.sync_api import Page, Route

from tests.support import mailbox
from tests.support.api import PASSWORD, bearer
from tests.support.browser import (
    another_browser,
    fill,
    page,
    shared_page,
    signed_up,
    violations,
)
from tests.support.local_servers import in_thread
from tests.support.oidc_provider import CLIENT_ID, CLIENT_SECRET, oidc_provider, upstream_sign_in
from tests.support.servers import cli, free_port, serving

__all__ = ["page", "shared_page"]  # the fixtures
pytestmark = pytest.mark.e2e
CALLBACK_PORT = 9  # nothing listens there: the app's callback is caught (page.route)
APP_REDIRECT = f"http://127.0.0.1:{CALLBACK_PORT}/callback"
NATIVE_CLIENT = "native-app"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def upstream() -> Iterator[tuple[str, int]]:
    """oidc-provider on a port of its own, its client's callback firegate's (port chosen)."""
    firegate_port = free_port()
    callback = f"http://127.0.0.1:{firegate_port}/sign-in/with/oidc/callback"
    with oidc_provider(callback) as issuer:
        yield issuer, firegate_port


class StandIn(BaseHTTPRequestHandler):
    """A provider's discovery document and keys, nothing else: a native app's ID token is
    checked against them."""

    issuer = ""

    def do_GET(self) -> None:
        public = json.loads(RSAAlgorithm.to_jwk(KEY.public_key()))
        documents = {
            "/.well-known/openid-configuration": {
                "issuer": self.issuer,
                "authorization_endpoint": self.issuer + "/authorize",
                "token_endpoint": self.issuer + "/token",
                "jwks_uri": self.issuer + "/jwks",
                "id_token_signing_alg_values_supported": ["RS256"],
            },
            "/jwks": {"keys": [{**public, "kid": "k1", "alg": "RS256", "use": "sig"}]},
        }
        body = json.dumps(documents.get(self.path, {})).encode()
        self.send_response(200 if self.path in documents else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def stand_in() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    StandIn.issuer = f"http://127.0.0.1:{server.server_address[1]}"
    with in_thread(server):
        yield StandIn.issuer


@pytest.fixture(scope="module")
def firegate(emulators: Any, upstream: tuple[str, int], stand_in: str) -> Iterator[str]:
    issuer, port = upstream
    providers = [
        {
            "id": "oidc",
            "issuer": issuer,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "name": "Test OP",
        },
        {"id": "native", "issuer": stand_in, "client_id": NATIVE_CLIENT, "client_secret": "-"},
    ]
    url = f"http://127.0.0.1:{port}"
    with serving(
        "gunicorn-upstream.log",
        PORT=str(port),
        PUBLIC_URL=url,
        UPSTREAM_PROVIDERS=json.dumps(providers),
    ) as found:
        yield found


def test_continue_with_a_provider_signs_in(firegate: str, page: Page) -> None:
    page.goto(firegate + "/sign-in")
    returns: list[str] = []
    page.on(
        "request",
        lambda r: returns.append(r.url) if "/sign-in/with/oidc/callback" in r.url else None,
    )
    page.click("text=Continue with Test OP")
    login = "p" + uuid.uuid4().hex[:10]
    upstream_sign_in(page, login)
    page.wait_for_url(firegate + "/account**")
    assert login in page.content()  # the new account's username, from the upstream address
    # The same return again: its flight is spent (the cookie is gone) and so is its code.
    assert len(returns) == 1
    page.goto(returns[0])
    assert "did not complete" in page.content() or "expired" in page.content()
    assert "/sign-in/with/oidc/callback" in page.url
    page.goto(firegate + "/sign-up")
    assert page.locator("text=Continue with Test OP").count() == 1
    assert violations(page) == []


def test_next_survives_into_an_apps_consent(firegate: str, page: Page) -> None:
    app = json.loads(
        cli(["clients", "create", "--name", "Demo App", "--redirect-uri", APP_REDIRECT])
        .strip()
        .splitlines()[-1]
    )
    caught: list[str] = []

    def callback(route: Route) -> None:
        caught.append(route.request.url)
        route.fulfill(status=200, body="ok")

    page.route(f"http://127.0.0.1:{CALLBACK_PORT}/**", callback)
    verifier = secrets.token_urlsafe(48)
    query = {
        "response_type": "code",
        "client_id": app["client_id"],
        "redirect_uri": APP_REDIRECT,
        "scope": "openid",
        "state": "app-state",
        "code_challenge": create_s256_code_challenge(verifier),
        "code_challenge_method": "S256",
    }
    page.goto(firegate + "/oauth/authorize?" + urlencode(query))
    assert urlsplit(page.url).path == "/sign-in"
    page.click("text=Continue with Test OP")
    upstream_sign_in(page, "q" + uuid.uuid4().hex[:10])
    page.wait_for_selector("button[value=allow]")  # the app's consent, after the upstream
    page.click("button[value=allow]")
    page.wait_for_url(f"http://127.0.0.1:{CALLBACK_PORT}/**")
    assert caught and "code=" in caught[0] and "state=app-state" in caught[0]


def test_a_callback_without_this_browsers_flight_or_with_another_state_is_refused(
    firegate: str,
) -> None:
    session = requests.Session()
    started = session.get(firegate + "/sign-in/with/oidc", allow_redirects=False, timeout=10)
    assert (
        started.status_code == 303 and "code_challenge_method=S256" in started.headers["Location"]
    )
    callback = firegate + "/sign-in/with/oidc/callback"
    wrong = session.get(callback, params={"code": "x", "state": "forged"}, timeout=10)
    assert wrong.status_code == 401
    stranger = requests.get(callback, params={"code": "x", "state": "y"}, timeout=10)
    assert stranger.status_code == 401
    unknown = requests.get(firegate + "/sign-in/with/nobody", allow_redirects=False, timeout=10)
    assert unknown.status_code == 404


def id_token(**changes: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": StandIn.issuer,
        "sub": "native-" + uuid.uuid4().hex[:8],
        "aud": NATIVE_CLIENT,
        "iat": now,
        "exp": now + 300,
        "nonce": "n0nce",
        "email": f"native{uuid.uuid4().hex[:8]}@example.com",
        "email_verified": True,
        **changes,
    }
    return jwt.encode(claims, KEY, algorithm="RS256", headers={"kid": "k1"})


def native(firegate: str, token: str, nonce: str = "n0nce") -> requests.Response:
    return requests.post(
        firegate + "/auth/identities/native/token",
        json={"id_token": token, "nonce": nonce},
        timeout=10,
    )


def test_a_native_apps_id_token_gets_the_token_response_of_login(firegate: str) -> None:
    answer = native(firegate, id_token())
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert {"access_token", "refresh_token", "device_token"} <= set(body)
    whoami = requests.get(
        firegate + "/auth/whoami",
        headers={"Authorization": "Bearer " + body["access_token"]},
        timeout=10,
    )
    assert whoami.json()["amr"] == ["fed"]


@pytest.mark.parametrize(
    ("changes", "nonce"),
    [
        ({}, "another-nonce"),  # a wrong nonce
        ({"aud": "another-app"}, "n0nce"),  # a token for another audience
        ({"exp": int(time.time()) - 600, "iat": int(time.time()) - 900}, "n0nce"),  # expired
        ({"iss": "https://elsewhere.example"}, "n0nce"),  # another issuer
    ],
)
def test_a_native_id_token_that_is_not_for_us_is_refused(
    firegate: str, changes: dict[str, Any], nonce: str
) -> None:
    answer = native(firegate, id_token(**changes), nonce)
    assert answer.status_code == 401, answer.text
    assert answer.json()["code"] == "upstream_refused"


def test_a_token_signed_by_another_key_is_refused(firegate: str) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    forged = jwt.encode(
        {
            "iss": StandIn.issuer,
            "sub": "x",
            "aud": NATIVE_CLIENT,
            "iat": now,
            "exp": now + 60,
            "nonce": "n0nce",
        },
        other,
        algorithm="RS256",
        headers={"kid": "k1"},
    )
    assert native(firegate, forged).status_code == 401


# -- rule 3 through the pages: an account that proved the address is signed in to, then linked


def proven_account_with_totp(
    firegate: str, firestore_client: Any, login: str
) -> tuple[str, str, list[str]]:
    """An account of ``{login}@example.com`` that proved its address, with TOTP on: its
    TOTP secret, an access token and its recovery codes."""
    made = requests.post(
        firegate + "/register",
        json={"username": login, "email": f"{login}@example.com", "password": PASSWORD},
        timeout=10,
    )
    assert made.status_code == 201, made.text
    firestore_client.collection("users").document(made.json()["id"]).update(
        {"email_verified": True}
    )
    token = requests.post(
        firegate + "/login", json={"username": login, "password": PASSWORD}, timeout=10
    ).json()["access_token"]
    started = requests.post(
        firegate + "/auth/mfa/totp", json={"password": PASSWORD}, headers=bearer(token), timeout=10
    )
    secret: str = started.json()["secret"]
    confirmed = requests.post(
        firegate + "/auth/mfa/totp/confirm",
        json={"code": pyotp.TOTP(secret).now()},
        headers=bearer(token),
        timeout=10,
    )
    assert confirmed.status_code == 200, confirmed.text
    return secret, token, confirmed.json()["recovery_codes"]


def linked(firegate: str, token: str) -> list[dict[str, Any]]:
    answer = requests.get(firegate + "/auth/identities", headers=bearer(token), timeout=10)
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def test_a_proven_address_is_signed_in_to_then_connected(
    firegate: str, firestore_client: Any, page: Page
) -> None:
    login = "r" + uuid.uuid4().hex[:10]
    secret, token, codes = proven_account_with_totp(firegate, firestore_client, login)
    page.goto(firegate + "/sign-in")
    page.click("text=Continue with Test OP")
    upstream_sign_in(page, login)
    page.wait_for_url(firegate + "/sign-in/connect")
    assert f"An account with the address {login}@example.com already exists" in page.content()
    assert violations(page) == []
    page.get_by_role("link", name="Sign in to connect").click()
    page.wait_for_url("**/sign-in?next=%2Faccount%2Fconnect")
    fill(page, username=login, password=PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/sign-in/mfa?next=%2Faccount%2Fconnect")  # its second step
    fill(page, code=pyotp.TOTP(secret).at(time.time(), counter_offset=1))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(firegate + "/account/connect")
    assert "Connect the Test OP account" in page.content()
    page.get_by_role("button", name="Connect").click()
    page.wait_for_url(firegate + "/account/security?done=identity-connected")
    assert f"{login}@example.com" in page.inner_text("main")
    [identity] = linked(firegate, token)
    assert identity["provider"] == "oidc" and identity["subject"] == login
    # Signed out, the same Continue with signs straight in to that account (rule 1).
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(firegate + "/sign-in")
    page.click("text=Continue with Test OP")
    page.wait_for_url("**/sign-in/mfa**")  # the account's second factor, after the upstream
    fill(page, recovery_code=codes[0])
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(firegate + "/account")
    assert login in page.inner_text("main")


def test_an_unverified_address_nobody_has_makes_an_unproven_account_and_sends_its_mail(
    firegate: str, page: Page
) -> None:
    login = "unverified" + uuid.uuid4().hex[:8]  # the provider does not verify its address
    page.goto(firegate + "/sign-in")
    page.click("text=Continue with Test OP")
    upstream_sign_in(page, login)
    page.wait_for_url(firegate + "/account")
    assert login in page.inner_text("main") and "not verified" in page.inner_text("main")
    [mail] = mailbox.wait_for(f"{login}@example.com")  # rule 5's verification mail
    assert "/verify" in mailbox.link_in(mail)


# -- "Connect another" on /account/security


def test_connect_another_links_the_identity_or_says_it_is_another_accounts(
    firegate: str, page: Page
) -> None:
    name = signed_up(page, firegate, "c")
    page.goto(firegate + "/account/security")
    assert "No account at another provider is connected." in page.inner_text("main")
    assert violations(page) == []
    page.get_by_role("link", name="Connect Test OP").click()
    login = "k" + uuid.uuid4().hex[:10]
    upstream_sign_in(page, login)
    page.wait_for_url(firegate + "/account/security?done=identity-connected")
    assert f"{login}@example.com" in page.inner_text("main")
    token = requests.post(
        firegate + "/login", json={"username": name, "password": PASSWORD}, timeout=10
    ).json()["access_token"]
    [identity] = linked(firegate, token)
    assert identity["provider"] == "oidc" and identity["subject"] == login
    forged = page.goto(firegate + "/sign-in/with/oidc?connect=from-another-site")
    assert forged is not None and forged.status == 403  # only this browser's page starts one

    # Someone else, signed in to an account of their own, connects the same identity.
    other = another_browser(page)
    try:
        signed_up(other, firegate, "c")
        other.goto(firegate + "/account/security")
        answers: list[int] = []
        other.on(
            "response",
            lambda r: answers.append(r.status) if "/callback" in r.url else None,
        )
        other.get_by_role("link", name="Connect Test OP").click()
        upstream_sign_in(other, login)
        other.get_by_text("connected to another account here").wait_for()
        assert answers == [409]
        assert "No account at another provider is connected." in other.inner_text("main")
    finally:
        other.context.close()
    assert len(linked(firegate, token)) == 1


# -- the pre-hijack classes of Sudhodanan & Paverd through the upstream flow, where they differ
# from the Firebase exchange's (tests/e2e/test_pre_hijack_emulator.py): the attacker prepares
# an account with the victim's address before the victim arrives with "Continue with".


def squatted(firegate: str, address: str) -> dict[str, Any]:
    """The attacker's account of the victim's address (unproven), and its signed-in tokens."""
    name = "m" + uuid.uuid4().hex[:10]
    made = requests.post(
        firegate + "/register",
        json={"username": name, "email": address, "password": PASSWORD},
        timeout=10,
    )
    assert made.status_code == 201, made.text
    held = requests.post(
        firegate + "/login", json={"username": name, "password": PASSWORD}, timeout=10
    ).json()
    return {"name": name, **held}


def password_login(firegate: str, name: str) -> requests.Response:
    return requests.post(
        firegate + "/login", json={"username": name, "password": PASSWORD}, timeout=10
    )


def test_classic_and_unexpired_session_the_verified_arrival_claims_the_account_clean(
    firegate: str, page: Page
) -> None:
    victim = "v" + uuid.uuid4().hex[:10]
    attacker = squatted(firegate, f"{victim}@example.com")
    page.goto(firegate + "/sign-in")
    page.click("text=Continue with Test OP")
    upstream_sign_in(page, victim)  # the provider verified the address: rule 4
    page.wait_for_url(firegate + "/account")
    assert attacker["name"] in page.inner_text("main")  # the account, now the victim's
    assert password_login(firegate, attacker["name"]).status_code == 401  # classic
    user = requests.get(firegate + "/user", headers=bearer(attacker["access_token"]), timeout=10)
    assert user.status_code == 401  # unexpired session
    refreshed = requests.post(
        firegate + "/auth/refresh", json={"refresh_token": attacker["refresh_token"]}, timeout=10
    )
    assert refreshed.status_code == 401


def test_non_verifying_idp_an_unverified_address_claims_nothing(firegate: str, page: Page) -> None:
    # Unlike the Firebase exchange (403), an upstream's unverified address that is taken
    # asks to sign in to the account (rule 3): the account's holder keeps it, nothing linked.
    victim = "unverified" + uuid.uuid4().hex[:8]
    holder = squatted(firegate, f"{victim}@example.com")
    page.goto(firegate + "/sign-in")
    page.click("text=Continue with Test OP")
    upstream_sign_in(page, victim)
    page.wait_for_url(firegate + "/sign-in/connect")
    assert password_login(firegate, holder["name"]).status_code == 200
    assert linked(firegate, holder["access_token"]) == []
    page.goto(firegate + "/account")
    assert "/sign-in" in page.url  # nobody was signed in


def test_federated_merge_a_verified_address_never_links_a_proven_account(
    firegate: str, firestore_client: Any, page: Page
) -> None:
    owner = "f" + uuid.uuid4().hex[:10]
    _, token, _ = proven_account_with_totp(firegate, firestore_client, owner)
    page.goto(firegate + "/sign-in")
    page.click("text=Continue with Test OP")
    upstream_sign_in(page, owner)  # verified by the provider, and still not linked
    page.wait_for_url(firegate + "/sign-in/connect")
    assert linked(firegate, token) == []
    page.goto(firegate + "/account")
    assert "/sign-in" in page.url  # nobody was signed in


def test_trojan_identifier_the_attackers_connected_identity_is_removed_by_the_claim(
    firegate: str, page: Page
) -> None:
    victim = "t" + uuid.uuid4().hex[:10]
    attacker = squatted(firegate, f"{victim}@example.com")
    trojan = "evil" + uuid.uuid4().hex[:8]
    mallory = another_browser(page)
    try:  # Mallory connects an identity of her own to the squatted account ("Connect another")
        mallory.goto(firegate + "/sign-in")
        fill(mallory, username=attacker["name"], password=PASSWORD)
        mallory.get_by_role("button", name="Sign in").click()
        mallory.wait_for_url(firegate + "/account")
        mallory.goto(firegate + "/account/security")
        mallory.get_by_role("link", name="Connect Test OP").click()
        upstream_sign_in(mallory, trojan)
        mallory.wait_for_url(firegate + "/account/security?done=identity-connected")
    finally:
        mallory.context.close()
    page.goto(firegate + "/sign-in")
    page.click("text=Continue with Test OP")
    upstream_sign_in(page, victim)  # the verified owner claims the account
    page.wait_for_url(firegate + "/account")
    assert attacker["name"] in page.inner_text("main")
    page.goto(firegate + "/account/security")
    listed = page.inner_text("main")
    assert f"{victim}@example.com" in listed and f"{trojan}@example.com" not in listed


def test_an_account_made_by_a_provider_sets_its_first_password(firegate: str, page: Page) -> None:
    """No "Current password" where there is none: "Set a password" on /account/security
    (axe-clean), and the account then signs in with it too (docs/pages.md)."""
    page.goto(firegate + "/sign-in")
    page.click("text=Continue with Test OP")
    login = "p" + uuid.uuid4().hex[:10]
    upstream_sign_in(page, login)
    page.wait_for_url(firegate + "/account**")
    page.goto(firegate + "/account/security")
    assert page.locator("input[name=current_password]").count() == 0
    assert violations(page) == []
    fill(page, new_password="my first own passphrase")
    page.get_by_role("button", name="Set a password").click()
    page.wait_for_url(firegate + "/account/security?done=password")
    assert page.locator("input[name=current_password]").count() == 1  # it has one now
    answer = requests.post(
        firegate + "/login",
        json={"username": f"{login}@example.com", "password": "my first own passphrase"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
