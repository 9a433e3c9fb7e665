"""firegate as an OpenID Connect provider, end to end: gunicorn on the emulators, a client
nobody here wrote (Authlib's ``OAuth2Session``), and the person's part (sign-in, consent) in
Chromium (docs/reference/oauth.md, docs/sign-in-with-firegate.md)."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.jwk import KeySet
from playwright.sync_api import Page, Route

from tests.support.api import PASSWORD
from tests.support.browser import chromium, violations
from tests.support.document_server import DocumentServer, TestCa, document_server, served_json
from tests.support.event_loops import run_apart
from tests.support.local_servers import another_site
from tests.support.mcp_server import MemoryTokens, mcp_server
from tests.support.served_oauth import (
    CALLBACK_PORT,
    REDIRECT,
    account,
    allow,
    code_exchange,
    new_client,
    signed_in_session,
)
from tests.support.servers import cli, free_port, serving
from tests.support.settings import TEST_OIDC_KEY

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> TestCa:
    """The CA outbound https trusts (SSL_CERT_FILE), as an enterprise's own."""
    return TestCa(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def documents(ca: TestCa) -> Iterator[DocumentServer]:
    """Client metadata documents, over https with a certificate ``ca`` signed."""
    with document_server(ca) as server:
        yield server


@pytest.fixture(scope="module")
def provider(emulators: Any, ca: TestCa) -> Iterator[str]:
    """firegate with PUBLIC_URL its own address (the issuer), one signing key for every
    worker, dynamic registration on, trusting the test's CA for outbound https."""
    emulators.wipe()  # no hook or setting of a module before on this emulator
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with serving(
        "gunicorn-oauth.log",
        PORT=str(port),
        PUBLIC_URL=url,
        OIDC_PRIVATE_KEY=TEST_OIDC_KEY,
        OAUTH_DYNAMIC_REGISTRATION="true",
        SSL_CERT_FILE=ca.ca_file,
    ) as found:
        yield found


def browser_consents(page: Page, authorize_url: str, username: str) -> str:
    """The person signs in and allows the app in Chromium; the app's callback URL."""
    caught: list[str] = []

    def callback(route: Route) -> None:
        caught.append(route.request.url)
        route.fulfill(status=200, body="ok")

    page.route(f"http://127.0.0.1:{CALLBACK_PORT}/**", callback)
    page.goto(authorize_url)
    assert urlsplit(page.url).path == "/sign-in"
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("button[value=allow]")
    assert "Demo App" in page.content() and username in page.content()
    page.click("button[value=allow]")
    page.wait_for_url(f"http://127.0.0.1:{CALLBACK_PORT}/**")
    assert caught
    return caught[-1]


def test_authlibs_client_signs_in_with_code_and_pkce(provider: str) -> None:
    username = account(provider)
    app = new_client("--confidential")
    meta = requests.get(f"{provider}/.well-known/openid-configuration", timeout=10).json()
    assert meta["issuer"] == provider
    session = OAuth2Session(
        app["client_id"],
        app["client_secret"],
        scope="openid profile email offline_access",
        redirect_uri=REDIRECT,
        code_challenge_method="S256",
    )
    verifier = secrets.token_urlsafe(48)
    nonce = secrets.token_urlsafe(16)
    authorize_url, state = session.create_authorization_url(
        meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )
    with chromium(javascript=False) as page:
        callback = browser_consents(page, authorize_url, username)
    assert f"state={state}" in callback
    assert "iss=" in callback  # RFC 9207
    token = session.fetch_token(
        meta["token_endpoint"], authorization_response=callback, code_verifier=verifier
    )

    # the ID token, checked against the JWKS as a relying party does: RS256, the algorithm
    # relying parties expect by default (docs/decisions/0212-rs256-id-tokens.md)
    assert meta["id_token_signing_alg_values_supported"] == ["RS256"]
    keys = KeySet.import_key_set(requests.get(meta["jwks_uri"], timeout=10).json())
    decoded = jwt.decode(token["id_token"], keys, algorithms=["RS256"])
    id_token = CodeIDToken(
        decoded.claims,
        decoded.header,
        options={"iss": {"value": provider}, "aud": {"value": app["client_id"]}},
        params={"nonce": nonce, "access_token": token["access_token"]},
    )
    id_token.validate()
    assert id_token["preferred_username"] == username

    info = session.get(meta["userinfo_endpoint"]).json()
    assert info["sub"] == id_token["sub"] and info["email"] == f"{username}@example.com"

    old_refresh = token["refresh_token"]
    refreshed = session.refresh_token(meta["token_endpoint"])
    assert refreshed["refresh_token"] != old_refresh
    assert session.get(meta["userinfo_endpoint"]).status_code == 200

    revoked = session.revoke_token(
        meta["revocation_endpoint"], refreshed["refresh_token"], token_type_hint="refresh_token"
    )
    assert revoked.status_code == 200
    assert session.get(meta["userinfo_endpoint"]).status_code == 401
    # firegate's own API refuses these tokens (another audience)
    mine = requests.get(
        f"{provider}/user",
        headers={"Authorization": f"Bearer {refreshed['access_token']}"},
        timeout=10,
    )
    assert mine.status_code == 401


def test_the_consent_page_has_no_serious_accessibility_violation(provider: str) -> None:
    username = account(provider)
    app = new_client()
    challenge = create_s256_code_challenge(secrets.token_urlsafe(48))
    query = (
        f"response_type=code&client_id={app['client_id']}&redirect_uri={REDIRECT}"
        f"&scope=openid+email&code_challenge={challenge}&code_challenge_method=S256"
    )
    with chromium(javascript=True) as page:
        page.goto(f"{provider}/oauth/authorize?{query}")
        page.fill("#username", username)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("button[value=deny]")
        assert violations(page) == []


PHONE = 375
# What the consent page says of a metadata document's client, in each language
CALLS_ITSELF = {
    "en-US": "It calls itself “Helpful Agent”: its own words, not checked by this site.",
    "es-ES": "Se llama a sí misma «Helpful Agent»: son sus propias palabras",
}


@pytest.mark.parametrize("locale", sorted(CALLS_ITSELF))
def test_a_metadata_documents_client_is_named_first_by_its_verified_host(
    provider: str, documents: DocumentServer, locale: str
) -> None:
    """The consent page of a client whose client_id is its document's URL leads with the
    host the document came from; the name it gives itself is its own words: in English and
    Spanish, 375 px wide, without a serious accessibility violation."""
    username = account(provider)
    client_id = f"{documents.base}/agents/helpful.json"
    documents.paths["/agents/helpful.json"] = served_json(
        {"client_id": client_id, "client_name": "Helpful Agent", "redirect_uris": [REDIRECT]}
    )
    challenge = create_s256_code_challenge(secrets.token_urlsafe(48))
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": REDIRECT,
            "scope": "openid profile",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    with chromium(javascript=True, locale=locale) as page:
        page.set_viewport_size({"width": PHONE, "height": 740})
        page.goto(f"{provider}/oauth/authorize?{query}")
        page.fill("#username", username)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("button[value=allow]")
        assert page.title().startswith(("Allow localhost?", "¿Permitir a localhost?"))
        lead = page.inner_text("main p")
        assert lead.startswith("localhost") and "Helpful Agent" not in lead
        assert CALLS_ITSELF[locale] in page.inner_text("#own-words")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE
        assert violations(page) == []


def test_thirty_parallel_exchanges_of_one_code_give_exactly_one_200(provider: str) -> None:
    app = new_client()
    form = code_exchange(provider, app["client_id"])

    def exchange(_: int) -> requests.Response:
        return requests.post(f"{provider}/oauth/token", data=form, timeout=30)

    with ThreadPoolExecutor(max_workers=30) as pool:
        answers = list(pool.map(exchange, range(30)))
    statuses = [a.status_code for a in answers]
    assert statuses.count(200) == 1, statuses
    assert all(a.json()["error"] == "invalid_grant" for a in answers if a.status_code != 200)
    # the reuses revoked what the one exchange gave
    (won,) = [a.json() for a in answers if a.status_code == 200]
    info = requests.get(
        f"{provider}/oauth/userinfo",
        headers={"Authorization": f"Bearer {won['access_token']}"},
        timeout=10,
    )
    assert info.status_code == 401


CLIENT_CACHE_TTL = 5.0  # OAUTH_CLIENT_CACHE_TTL's default: each worker's copy of a client


def test_a_client_deleted_on_the_command_line_is_refused_by_every_worker_within_the_ttl(
    provider: str,
) -> None:
    """The workers keep the clients they read for a few seconds; a deletion in another
    process (the CLI) reaches them all within that time
    (docs/decisions/0200-oauth-client-cache.md)."""
    app, server = new_client(), new_client("--confidential")
    # a token for the resource server
    form = code_exchange(provider, app["client_id"], resource="https://api.example.com/")
    tokens = requests.post(f"{provider}/oauth/token", data=form, timeout=10).json()
    auth = (server["client_id"], server["client_secret"])

    def active(token: str) -> bool:  # a new connection each time: any worker answers
        answer = requests.post(
            f"{provider}/oauth/introspect", data={"token": token}, auth=auth, timeout=10
        )
        assert answer.status_code == 200, answer.text
        found: bool = answer.json()["active"]
        return found

    for _ in range(8):  # every worker reads the client, and keeps it
        assert active(tokens["access_token"])
    cli(["clients", "delete", app["client_id"]])
    deleted_at = time.monotonic()
    while active(tokens["access_token"]):
        assert time.monotonic() - deleted_at < CLIENT_CACHE_TTL + 30, "still active"  # patience
        time.sleep(0.1)
    time.sleep(CLIENT_CACHE_TTL)  # every worker's copy has expired by now
    for _ in range(8):
        assert not active(tokens["access_token"])
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    again = requests.post(
        f"{provider}/oauth/token", data={**refresh, "client_id": app["client_id"]}, timeout=10
    )
    assert again.json()["error"] == "invalid_client"


def test_an_unregistered_redirect_uri_gets_an_error_page(provider: str) -> None:
    username = account(provider)
    app = new_client()
    browser = signed_in_session(provider, username)
    params = {
        "response_type": "code",
        "client_id": app["client_id"],
        "redirect_uri": "https://attacker.example.net/cb",
        "scope": "openid",
        "code_challenge": create_s256_code_challenge("v" * 50),
        "code_challenge_method": "S256",
    }
    page = browser.get(f"{provider}/oauth/authorize", params=params, allow_redirects=False)
    assert page.status_code == 400 and "Location" not in page.headers
    assert page.headers["Content-Type"].startswith("text/html")


# -- an MCP server that trusts firegate, and the MCP SDK's OAuth client


def test_the_mcp_sdk_discovers_registers_and_calls_a_tool(provider: str) -> None:
    import httpx2
    from mcp import Client
    from mcp.client.auth import OAuthClientProvider
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared.auth import AuthorizationCodeResult, OAuthClientMetadata

    username = account(provider)
    browser = signed_in_session(provider, username)
    answers: list[AuthorizationCodeResult] = []

    async def redirect_handler(authorization_url: str) -> None:
        # the person's part, by the pages' forms (sign-in done, consent given here)
        page = browser.get(authorization_url, allow_redirects=False, timeout=10)
        if page.status_code == 200:
            page = allow(browser, page)
        assert page.status_code == 302, page.text
        query = dict(p.split("=", 1) for p in urlsplit(page.headers["Location"]).query.split("&"))
        answers.append(
            AuthorizationCodeResult(
                code=query["code"], state=query.get("state"), iss=unquote(query["iss"])
            )
        )

    async def callback_handler() -> AuthorizationCodeResult:
        return answers[-1]

    async def run(url: str) -> str:
        auth = OAuthClientProvider(
            server_url=url,
            client_metadata=OAuthClientMetadata(
                client_name="MCP test client",
                redirect_uris=[REDIRECT],
                grant_types=["authorization_code", "refresh_token"],
                response_types=["code"],
                token_endpoint_auth_method="none",
                scope="openid",
            ),
            storage=MemoryTokens(),
            redirect_handler=redirect_handler,
            callback_handler=callback_handler,
        )
        async with (
            httpx2.AsyncClient(auth=auth, timeout=30) as http,
            Client(streamable_http_client(url, http_client=http)) as client,
        ):
            result = await client.call_tool("whoami", {})
            return str(result.content[0].text)  # type: ignore[union-attr]

    with mcp_server(provider) as url:
        subject = run_apart(run, url)
    user = requests.post(
        f"{provider}/login", json={"username": username, "password": PASSWORD}, timeout=10
    ).json()
    me = requests.get(
        f"{provider}/user", headers={"Authorization": f"Bearer {user['access_token']}"}, timeout=10
    ).json()
    assert subject == me["id"]


# The single-page app of docs/sign-in-with-firegate.md, in Chromium, on an origin of its own.
SPA_START = """async ([issuer, clientId, redirectUri]) => {
  const meta = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
  const b64url = (bytes) =>
    btoa(String.fromCharCode(...new Uint8Array(bytes)))
      .replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
  const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
  const state = b64url(crypto.getRandomValues(new Uint8Array(16)));
  const challenge = b64url(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  sessionStorage.setItem("signin", JSON.stringify({ verifier, state }));
  return meta.authorization_endpoint + "?" + new URLSearchParams({
    response_type: "code", client_id: clientId, redirect_uri: redirectUri,
    scope: "openid profile offline_access", state,
    code_challenge: challenge, code_challenge_method: "S256",
  });
}"""
SPA_CALLBACK = """async ([issuer, clientId, redirectUri]) => {
  const meta = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
  const back = new URLSearchParams(location.search);
  const kept = JSON.parse(sessionStorage.getItem("signin"));
  sessionStorage.removeItem("signin");
  if (back.get("state") !== kept.state || back.get("iss") !== issuer) return "not ours";
  let token = await (await fetch(meta.token_endpoint, {
    method: "POST",
    body: new URLSearchParams({
      grant_type: "authorization_code", code: back.get("code"), redirect_uri: redirectUri,
      client_id: clientId, code_verifier: kept.verifier,
    }),
  })).json();
  const bearer = () => ({ headers: { Authorization: `Bearer ${token.access_token}` } });
  const info = await (await fetch(meta.userinfo_endpoint, bearer())).json();
  token = await (await fetch(meta.token_endpoint, { method: "POST", body: new URLSearchParams({
    grant_type: "refresh_token", refresh_token: token.refresh_token, client_id: clientId,
  }) })).json();
  const revoked = await fetch(meta.revocation_endpoint, { method: "POST",
    body: new URLSearchParams({ token: token.refresh_token, client_id: clientId }) });
  const after = await fetch(meta.userinfo_endpoint, bearer());
  const authorize = await fetch(meta.authorization_endpoint).then(() => "read", () => "blocked");
  return { info, revoked: revoked.status, after: after.status, authorize };
}"""


def test_a_single_page_app_signs_in_from_another_origin(provider: str) -> None:
    username = account(provider)
    # Another origin than firegate's; on a loopback address, as Chromium lets a page reach a
    # loopback address (firegate here) only from another one.
    with (
        another_site("<!doctype html><title>SPA</title>") as site,
        chromium(javascript=True) as page,
    ):
        spa = site.rstrip("/")
        made = cli(["clients", "create", "--name", "SPA", "--redirect-uri", f"{spa}/callback"])
        client_id = json.loads(made.strip().splitlines()[-1])["client_id"]
        args = [provider, client_id, f"{spa}/callback"]
        page.goto(f"{spa}/")
        page.goto(page.evaluate(SPA_START, args))  # location.assign(...)
        page.fill("#username", username)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.click("button[value=allow]")
        page.wait_for_url(f"{spa}/callback?**")
        found = page.evaluate(SPA_CALLBACK, args)
    assert found["info"]["preferred_username"] == username
    assert found["revoked"] == 200 and found["after"] == 401  # read across origins: CORS
    assert found["authorize"] == "blocked"  # the authorization endpoint answers no CORS


# An app's popup sign-in (oidc-client-ts's signinPopup, Google's popup mode): the app's page
# opens the authorization URL in a popup, and its callback page hands the answer to
# ``window.opener``. A Cross-Origin-Opener-Policy of same-origin on any page of the way would
# cut that link (docs/decisions/0198-opener-policy-on-the-sign-in-path.md).
POPUP_APP = """<!doctype html><title>App</title><p id="answer"></p>"""
POPUP_OPEN = """url => { window.answers = [];
  addEventListener("message", e => window.answers.push(e.data));
  window.open(url, "firegate-sign-in", "popup"); }"""
POPUP_CALLBACK = """() => { if (!window.opener) return "no opener";
  window.opener.postMessage(location.search, "*"); return "told"; }"""


def test_an_apps_popup_sign_in_keeps_its_opener(provider: str) -> None:
    username = account(provider)
    with another_site(POPUP_APP) as site, chromium(javascript=True) as page:
        app = site.rstrip("/")
        made = cli(["clients", "create", "--name", "Popup", "--redirect-uri", f"{app}/callback"])
        client_id = json.loads(made.strip().splitlines()[-1])["client_id"]
        verifier = secrets.token_urlsafe(48)
        query = {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": f"{app}/callback",
            "scope": "openid",
            "state": "s1",
            "code_challenge": create_s256_code_challenge(verifier),
            "code_challenge_method": "S256",
        }
        page.goto(f"{app}/")
        with page.expect_popup() as opened:
            page.evaluate(POPUP_OPEN, f"{provider}/oauth/authorize?{urlencode(query)}")
        popup = opened.value
        popup.wait_for_selector("#username")
        popup.fill("#username", username)
        popup.fill("#password", PASSWORD)
        popup.click("button[type=submit]")
        popup.click("button[value=allow]")
        popup.wait_for_url(f"{app}/callback?**")
        assert popup.evaluate(POPUP_CALLBACK) == "told"
        page.wait_for_function("() => window.answers.length > 0")
        answer = page.evaluate("() => window.answers[0]")
    assert "code=" in answer and "state=s1" in answer
