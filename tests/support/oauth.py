"""A signed-in browser and registered apps on the fakes, to drive the OpenID Connect provider
through Flask's test client (docs/reference/oauth.md): its answers, the claims of its tokens,
the device flow's steps."""

from __future__ import annotations

import json
import re
import secrets
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pyotp
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from flask import Flask
from joserfc import jwt
from joserfc.jwk import KeySet
from werkzeug.test import TestResponse

from application.ports import Clock
from application.provider.authorization.device import DeviceAuthorizations, DeviceFlow, PollMemory
from application.provider.ports import OAuthPolicy
from domain.clients.oauth import DEVICE_CODE
from domain.signin.active_org import ActiveOrg
from domain.signin.throttling import LoginThrottlePolicy
from tests.fakes.accounts import FakeUserRepository
from tests.fakes.clients import FakeOAuthClients
from tests.fakes.events import RecordingAuditLog
from tests.fakes.kernel import InMemoryStore
from tests.fakes.signin import FakeActiveOrgs, FakeLoginThrottle
from tests.support.app import World, app_time
from tests.support.pages import PASSWORD, csrf, sign_up

REDIRECT = "https://app.example.com/callback"
SCOPE = "openid profile email offline_access"


class OAuthWorld(World):
    def __init__(self, **settings: object) -> None:
        super().__init__(**settings)
        sign_up(self)

    def register(self, *args: str, name: str = "Example App") -> dict[str, Any]:
        """``clients create`` on the command line: its one line of JSON."""
        runner = self.app.test_cli_runner()
        result = runner.invoke(
            args=["clients", "create", "--name", name, "--redirect-uri", REDIRECT, *args]
        )
        assert result.exit_code == 0, result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1
        found: dict[str, Any] = json.loads(lines[0])
        return found

    def authorize(self, client_id: str, **params: str) -> TestResponse:
        query = {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": REDIRECT,
            "scope": SCOPE,
            "state": "st4te",
            **params,
        }
        return self.client.get("/oauth/authorize?" + urlencode(query))

    def consent(self, page: TestResponse, decision: str = "allow") -> TestResponse:
        html = page.get_data(as_text=True)
        action = re.search(r'<form method="post" action="([^"]+)"', html)
        assert action is not None, html
        path = action.group(1).replace("&amp;", "&")
        return self.client.post(path, data={"decision": decision, "csrf_token": csrf_of(html)})

    def code(self, client_id: str, **params: str) -> tuple[str, str]:
        """A code for ``client_id`` (consenting when asked) and its PKCE verifier."""
        verifier = secrets.token_urlsafe(48)
        answer = self.authorize(
            client_id,
            code_challenge=create_s256_code_challenge(verifier),
            code_challenge_method="S256",
            **params,
        )
        if answer.status_code == 200:
            answer = self.consent(answer)
        query = redirected(answer)
        return query["code"], verifier

    def post_token(self, client: dict[str, Any], **form: str) -> TestResponse:
        body = {"client_id": client["client_id"], **form}
        if "client_secret" in client:
            body["client_secret"] = client["client_secret"]
        return self.client.post("/oauth/token", data=body)

    def exchange(
        self, client: dict[str, Any], code: str, verifier: str, **form: str
    ) -> TestResponse:
        body = {"redirect_uri": REDIRECT, **form}
        return self.post_token(
            client, grant_type="authorization_code", code=code, code_verifier=verifier, **body
        )

    def tokens(self, client: dict[str, Any], **params: str) -> dict[str, Any]:
        code, verifier = self.code(client["client_id"], **params)
        answer = self.exchange(client, code, verifier)
        assert answer.status_code == 200, answer.get_json()
        found: dict[str, Any] = answer.get_json()
        return found

    def relying_party(self, *args: str) -> dict[str, Any]:
        """A confidential OpenID relying party that sends no PKCE (``--pkce optional``)."""
        return self.register("--confidential", "--pkce", "optional", *args)

    def rp_tokens(self, client: dict[str, Any], **params: str) -> dict[str, Any]:
        """The tokens of such a party's whole flow, with a nonce and without PKCE
        (consenting when asked)."""
        answer = self.authorize(client["client_id"], nonce="n0nce", **params)
        if answer.status_code == 200:
            answer = self.consent(answer)
        code = redirected(answer)["code"]
        found = self.post_token(
            client, grant_type="authorization_code", code=code, redirect_uri=REDIRECT
        )
        assert found.status_code == 200, found.get_json()
        tokens: dict[str, Any] = found.get_json()
        return tokens


class EmulatorWorld(OAuthWorld):
    """``OAuthWorld``'s browser and command line, on an app over the Firestore emulator."""

    def __init__(self, app: Flask) -> None:  # the fakes of OAuthWorld are not built
        self.app = app
        self.client = app.test_client()
        self.services = app.extensions["firegate"]
        sign_up(self)


def browsing_member(world: World, org_id: str, slug: str = "acme") -> None:
    """The browser's person (alice) a member of the org as the per-request read sees it: an
    org's apps are for its members only by default."""
    alice = next(u for u in world.store.users.values() if u.shown_name == "alice")
    joined = datetime(2000, 1, 1, tzinfo=UTC)
    world.store.active_orgs[(org_id, alice.id)] = ActiveOrg(
        org_id, slug, ("member",), 1, joined_at=joined
    )


def enrolled(world: OAuthWorld) -> str:
    """Alice's authenticator, set up on the account page by her browser, whose sign-in (a
    password's) goes on: its secret."""
    form = {"password": PASSWORD, "csrf_token": csrf(world.client, "/account/security")}
    started = world.client.post("/account/totp", data=form)
    assert started.status_code == 200, started.get_data(as_text=True)
    shown = re.search(r'id="totp-secret">([A-Z2-7]+)<', started.get_data(as_text=True))
    assert shown is not None
    secret = shown.group(1)
    code = pyotp.TOTP(secret).at(app_time(world.client))
    confirm = {"code": code, "csrf_token": form["csrf_token"]}
    assert world.client.post("/account/totp/confirm", data=confirm).status_code == 200
    return secret


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def redirected(answer: TestResponse) -> dict[str, str]:
    """The query of a redirect to the app's redirect URI."""
    assert answer.status_code == 302, answer.get_data(as_text=True)
    location = answer.headers["Location"]
    assert location.startswith(REDIRECT + "?"), location
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def claims(world: OAuthWorld, token: str) -> dict[str, Any]:
    keys = KeySet.import_key_set(world.client.get("/.well-known/jwks.json").get_json())
    found: dict[str, Any] = dict(jwt.decode(token, keys).claims)
    return found


def device_client(world: OAuthWorld, *extra: str) -> dict[str, Any]:
    return world.register("--grant", "device_code", *extra, name="TV App")


def poll(world: OAuthWorld, client: dict[str, Any], device_code: str) -> TestResponse:
    return world.post_token(client, grant_type=DEVICE_CODE, device_code=device_code)


def enter(world: OAuthWorld, user_code: str, **form: str) -> TestResponse:
    html = world.client.get("/device").get_data(as_text=True)
    body = {"user_code": user_code, "csrf_token": csrf_of(html), **form}
    return world.client.post("/device", data=body)


def start(world: OAuthWorld, client: dict[str, Any], scope: str = SCOPE) -> dict[str, Any]:
    answer = world.client.post(
        "/oauth/device_authorization", data={"client_id": client["client_id"], "scope": scope}
    )
    assert answer.status_code == 200, answer.get_json()
    assert answer.headers["Cache-Control"] == "no-store"
    found: dict[str, Any] = answer.get_json()
    return found


def device_flow(devices: DeviceAuthorizations, clock: Clock) -> DeviceFlow:
    """The device flow's use cases on ``devices``, with fakes for the rest: no client, no
    account, nothing throttled yet."""
    return DeviceFlow(
        devices=devices,
        clients=FakeOAuthClients(),
        users=FakeUserRepository(InMemoryStore()),
        throttle=FakeLoginThrottle(),
        throttle_policy=LoginThrottlePolicy(),
        memory=PollMemory(),
        clock=clock,
        audit=RecordingAuditLog(),
        policy=OAuthPolicy(),
        orgs=FakeActiveOrgs(InMemoryStore()),
    )
