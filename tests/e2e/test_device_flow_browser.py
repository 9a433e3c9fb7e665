"""The device flow (RFC 8628) and token exchange (RFC 8693) end to end: gunicorn on the
emulators, a client nobody here wrote (``requests-oauth2client``) as the device, the CLI and
the service, and the person's part (/device) in Chromium, English and Spanish, checked by axe
(docs/reference/oauth.md, docs/agents-and-clis.md)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet
from playwright.sync_api import Page
from requests_oauth2client import (
    AccessDenied,
    BearerToken,
    DeviceAuthorizationPollingJob,
    DPoPKey,
    DPoPToken,
    ExpiredToken,
    InvalidGrant,
    InvalidScope,
    InvalidTarget,
    OAuth2Client,
    UnauthorizedClient,
)

from domain.provider.dpop import thumbprint
from tests.support.browser import chromium, violations
from tests.support.servers import cli, serving
from tests.support.settings import TEST_OIDC_KEY

pytestmark = pytest.mark.e2e
PASSWORD = "correct horse battery staple"
PORT = 22231  # this module's server, in the range its tests may use
ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token"
API = "https://orders.example.com/"
BILLING = "https://billing.example.com/"


@pytest.fixture(scope="module")
def provider(emulators: Any) -> Iterator[str]:
    url = f"http://127.0.0.1:{PORT}"
    with serving(
        "gunicorn-device.log", PORT=str(PORT), PUBLIC_URL=url, OIDC_PRIVATE_KEY=TEST_OIDC_KEY
    ) as found:
        yield found


def account(base: str) -> str:
    name = "d" + uuid.uuid4().hex[:10]
    body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    assert requests.post(f"{base}/register", json=body, timeout=10).status_code == 201
    return name


def new_client(name: str, *options: str) -> dict[str, Any]:
    out = cli(
        ["clients", "create", "--name", name, "--redirect-uri", "http://127.0.0.1/cb", *options]
    )
    found: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return found


def oauth_client(base: str, app: dict[str, Any]) -> OAuth2Client:
    auth = (app["client_id"], app["client_secret"]) if "client_secret" in app else app["client_id"]
    meta = requests.get(f"{base}/.well-known/openid-configuration", timeout=10).json()
    # from_discovery_endpoint leaves device_authorization_endpoint out: named from the metadata
    return OAuth2Client(
        token_endpoint=meta["token_endpoint"],
        device_authorization_endpoint=meta["device_authorization_endpoint"],
        userinfo_endpoint=meta["userinfo_endpoint"],
        issuer=meta["issuer"],
        auth=auth,
        testing=True,
    )


def sign_in_at(page: Page, url: str, username: str) -> None:
    """The person opens the link the device shows and signs in; back on /device."""
    page.goto(url)
    assert "/sign-in" in page.url
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#user_code")


def allow_in_browser(url: str, username: str) -> None:
    """The person signs in at the device's link, sends the code filled in, and allows."""
    with chromium(javascript=True) as page:
        sign_in_at(page, url, username)
        page.click("button[type=submit]")
        page.click("button[value=allow]")
        page.wait_for_selector("text=You can go back to your device")


def assert_axe_clean(page: Page) -> None:
    page.wait_for_load_state("load")  # axe runs on the page arrived at, not one leaving
    assert violations(page) == []


def claims_of(base: str, token: str) -> dict[str, Any]:
    keys = KeySet.import_key_set(requests.get(f"{base}/.well-known/jwks.json", timeout=10).json())
    found: dict[str, Any] = dict(jwt.decode(token, keys).claims)
    return found


def test_a_cli_signs_in_with_the_device_flow_and_gets_its_tokens_once(provider: str) -> None:
    username = account(provider)
    app = new_client("Example CLI", "--grant", "device_code")
    client = oauth_client(provider, app)
    started = client.authorize_device(scope="openid email offline_access")
    assert started.verification_uri == f"{provider}/device"
    job = DeviceAuthorizationPollingJob(client, started)
    assert job() is None  # after its interval: the person has not answered yet
    with chromium(javascript=True) as page:
        sign_in_at(page, started.verification_uri_complete or "", username)
        assert page.input_value("#user_code") == started.user_code
        assert_axe_clean(page)
        page.click("button[type=submit]")
        page.wait_for_selector("button[value=allow]")
        assert "Example CLI" in page.content() and "See your e-mail address" in page.content()
        assert_axe_clean(page)
        page.click("button[value=allow]")
        page.wait_for_selector("text=You can go back to your device")
        assert_axe_clean(page)
    token = None
    while token is None:
        token = job()
    assert token.refresh_token and token.id_token is not None
    assert claims_of(provider, token.access_token)["aud"] == app["client_id"]
    info = requests.get(f"{provider}/oauth/userinfo", auth=token, timeout=10).json()
    assert info["email"] == f"{username}@example.com"
    assert client.refresh_token(token.refresh_token).access_token
    with pytest.raises(InvalidGrant):
        client.device_code(started.device_code)  # a device code gives tokens once


def test_thirty_parallel_polls_after_approval_give_one_token_response(provider: str) -> None:
    username = account(provider)
    app = new_client("Race CLI", "--grant", "device_code")
    client = oauth_client(provider, app)
    started = client.authorize_device(scope="openid")
    allow_in_browser(started.verification_uri_complete or "", username)
    body = {
        "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
        "device_code": started.device_code,
        "client_id": app["client_id"],
    }

    def poll(_: int) -> int:
        return requests.post(f"{provider}/oauth/token", data=body, timeout=30).status_code

    with ThreadPoolExecutor(max_workers=30) as pool:
        statuses = list(pool.map(poll, range(30)))
    assert statuses.count(200) == 1, statuses
    assert all(400 <= status < 500 for status in statuses if status != 200), statuses


def test_denied_and_expired_device_codes_and_wrong_codes_throttled_in_spanish(
    provider: str, firestore_client: Any
) -> None:
    username = account(provider)
    app = new_client("TV App", "--grant", "device_code")
    client = oauth_client(provider, app)
    denied = client.authorize_device(scope="openid")
    late = client.authorize_device(scope="openid")
    key = late.device_code.partition(".")[0]
    past = datetime.now(UTC) - timedelta(minutes=1)  # ten minutes went by
    firestore_client.collection("oauth_device_codes").document(key).update({"expires_at": past})
    with pytest.raises(ExpiredToken):
        client.device_code(late.device_code)
    with chromium(javascript=True, locale="es-ES") as page:
        sign_in_at(page, f"{provider}/device", username)
        assert "Conectar un dispositivo" in page.content()
        assert_axe_clean(page)
        page.fill("#user_code", denied.user_code.lower())
        page.click("button[type=submit]")
        page.wait_for_selector("button[value=deny]")
        assert "TV App" in page.content() and "Permítelo solo si" in page.content()
        assert_axe_clean(page)
        page.click("button[value=deny]")
        page.wait_for_selector("text=Puedes volver a tu dispositivo")
        with pytest.raises(AccessDenied):
            client.device_code(denied.device_code)
        statuses = []
        for _ in range(20):
            page.goto(f"{provider}/device")
            page.fill("#user_code", "BCDF-GHJK")
            with page.expect_response(lambda r: r.request.method == "POST") as answer:
                page.click("button[type=submit]")
            statuses.append(answer.value.status)
            if statuses[-1] == 429:
                break
        assert statuses[0] == 404 and statuses[-1] == 429, statuses
        assert "Ninguna solicitud" not in page.content()
        assert_axe_clean(page)


def test_a_service_exchanges_a_persons_token_with_requests_oauth2client(provider: str) -> None:
    username = account(provider)
    service = new_client(
        "Orders API",
        "--confidential",
        "--grant",
        "device_code",
        "--grant",
        "token_exchange",
        "--resource",
        API,
        "--resource",
        BILLING,
    )
    client = oauth_client(provider, service)
    started = client.authorize_device(scope="openid email")
    allow_in_browser(started.verification_uri_complete or "", username)
    person = client.device_code(started.device_code)
    exchanged = client.token_exchange(
        subject_token=person.access_token,
        subject_token_type=ACCESS_TOKEN,
        resource=BILLING,
        scope="email",
    )
    found = claims_of(provider, exchanged.access_token)
    assert found["aud"] == BILLING and found["act"] == {"sub": service["client_id"]}
    assert found["scope"] == "email" and exchanged.refresh_token is None
    with pytest.raises(InvalidScope):
        client.token_exchange(
            subject_token=person.access_token,
            subject_token_type=ACCESS_TOKEN,
            resource=BILLING,
            scope="email roles",
        )
    with pytest.raises(InvalidTarget):
        client.token_exchange(
            subject_token=person.access_token,
            subject_token_type=ACCESS_TOKEN,
            resource="https://payments.example.com/",
        )
    plain = oauth_client(provider, new_client("Plain", "--confidential", "--resource", API))
    with pytest.raises(UnauthorizedClient):
        plain.token_exchange(
            subject_token=person.access_token, subject_token_type=ACCESS_TOKEN, resource=API
        )


def test_a_device_with_a_dpop_key_gets_tokens_bound_to_it(provider: str) -> None:
    """RFC 9449 §5 in the device flow: the poll that gets tokens with a proof gets them
    bound (cnf.jkt, token_type DPoP), a public client's refresh token too; a client that
    requires DPoP is refused a poll without a proof, even once approved."""
    username = account(provider)
    app = new_client("Bound CLI", "--grant", "device_code")
    client = oauth_client(provider, app)
    started = client.authorize_device(scope="openid offline_access")
    key = DPoPKey.generate()
    assert DeviceAuthorizationPollingJob(client, started, dpop_key=key)() is None  # pending
    allow_in_browser(started.verification_uri_complete or "", username)
    token = client.device_code(started.device_code, dpop_key=key)
    assert isinstance(token, DPoPToken)
    jkt = thumbprint(key.private_key.public_jwk())
    assert claims_of(provider, str(token.access_token))["cnf"] == {"jkt": jkt}
    with pytest.raises(InvalidGrant):  # the bound refresh token without its key's proof
        client.refresh_token(BearerToken("x", refresh_token=token.refresh_token))
    with pytest.raises(InvalidGrant):
        client.refresh_token(str(token.refresh_token), dpop_key=DPoPKey.generate())
    refreshed = client.refresh_token(token)  # with its own key
    assert claims_of(provider, str(refreshed.access_token))["cnf"] == {"jkt": jkt}

    strict = new_client("Strict CLI", "--grant", "device_code", "--dpop-required")
    strict_client = oauth_client(provider, strict)
    asked = strict_client.authorize_device(scope="openid")
    allow_in_browser(asked.verification_uri_complete or "", account(provider))
    body = {
        "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
        "device_code": asked.device_code,
        "client_id": strict["client_id"],
    }
    answer = requests.post(f"{provider}/oauth/token", data=body, timeout=10)
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_dpop_proof"
    bound = strict_client.device_code(asked.device_code, dpop=True)  # nonce asked, then sent
    assert isinstance(bound, DPoPToken) and "cnf" in claims_of(provider, str(bound))


def test_an_exchange_with_a_dpop_proof_gives_a_bound_token(provider: str) -> None:
    """RFC 9449 §5 at token exchange: a proof binds the exchanged token to its key."""
    service = new_client(
        "Bound API",
        "--confidential",
        "--grant",
        "device_code",
        "--grant",
        "token_exchange",
        "--resource",
        BILLING,
    )
    client = oauth_client(provider, service)
    started = client.authorize_device(scope="openid email")
    allow_in_browser(started.verification_uri_complete or "", account(provider))
    person = client.device_code(started.device_code)
    key = DPoPKey.generate()
    exchanged = client.token_exchange(
        subject_token=person.access_token,
        subject_token_type=ACCESS_TOKEN,
        resource=BILLING,
        dpop_key=key,
    )
    assert isinstance(exchanged, DPoPToken)
    found = claims_of(provider, str(exchanged.access_token))
    assert found["cnf"] == {"jkt": thumbprint(key.private_key.public_jwk())}
    assert found["act"] == {"sub": service["client_id"]}
