"""Passkeys made in a registered Android app (docs/native-apps.md, "Passkeys in the app"):
their answers come from ``android:apk-key-hash:<base64url of the certificate's SHA-256>``,
accepted by registration and sign-in (``APP_PASSKEY_ORIGINS``), never listed in
/.well-known/webauthn (https origins only)."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest

from application.signin.factors.passkeys import PasskeyOrigins
from tests.support.api import bearer, login, register
from tests.support.app import World
from tests.support.passkey_authenticator import SIGN_IN, assertion
from tests.support.passkey_authenticator import Passkey as SoftPasskey

pytestmark = pytest.mark.unit

RP = {"webauthn_rp_id": "example.com", "webauthn_origins": ["https://app.example.com"]}
CERTIFICATE = hashlib.sha256(b"the app's signing certificate").digest()
FINGERPRINT = CERTIFICATE.hex(":").upper()
APP_ORIGIN = "android:apk-key-hash:" + base64.urlsafe_b64encode(CERTIFICATE).decode().rstrip("=")


def with_app(*apps: str) -> World:
    world = World(**RP)
    options = [option for app in apps for option in ("--android-app", app)]
    args = ["clients", "create", "--name", "App", "--redirect-uri", "com.example.app:/cb"]
    result = world.app.test_cli_runner().invoke(args=[*args, *options])
    assert result.exit_code == 0, result.output
    return world


def made_on(world: World, origin: str, name: str = "alice") -> tuple[SoftPasskey, int, Any]:
    """A new account's passkey made on ``origin``: the key, the answer's status and body."""
    register(world.client, name)
    token = login(world.client, name)
    options = world.client.post("/auth/passkeys/registration/options", headers=bearer(token))
    assert options.status_code == 200
    key = SoftPasskey()
    made = world.client.post(
        "/auth/passkeys/registration",
        headers=bearer(token),
        json=key.register(options.get_json(), origin),
    )
    return key, made.status_code, made.get_json()


def test_a_passkey_made_in_a_registered_android_app_registers_and_signs_in() -> None:
    world = with_app(f"com.example.app:{FINGERPRINT}")
    key, status, body = made_on(world, APP_ORIGIN)
    assert status == 201, body
    for where in (APP_ORIGIN, "https://app.example.com"):  # in the app, on the site
        answer = world.client.post(SIGN_IN, json=assertion(world.client, key, where))
        assert answer.status_code == 200, (where, answer.get_json())


def test_an_app_that_is_not_registered_is_refused() -> None:
    other = hashlib.sha256(b"another certificate").digest()
    world = with_app(f"com.example.app:{other.hex()}")
    _, status, body = made_on(world, APP_ORIGIN)
    assert status == 422 and body["code"] == "invalid_passkey"
    key, status, _ = made_on(world, "https://app.example.com", "bob")
    assert status == 201
    refused = world.client.post(SIGN_IN, json=assertion(world.client, key, APP_ORIGIN))
    assert refused.status_code == 401


def test_the_apps_origins_are_not_listed_as_related_origins() -> None:
    world = with_app(f"com.example.app:{FINGERPRINT}")
    listed = world.client.get("/.well-known/webauthn").get_json()["origins"]
    assert listed == ["http://127.0.0.1:8000", "https://app.example.com"]


def test_the_accepted_origins_are_the_listed_then_the_apps_each_once() -> None:
    origins = PasskeyOrigins(
        ("https://a.test",),
        (lambda: ["https://b.test"],),
        (lambda: [APP_ORIGIN, "https://a.test"], lambda: [APP_ORIGIN]),
    )
    assert origins() == ["https://a.test", "https://b.test"]
    assert origins.accepted() == ["https://a.test", "https://b.test", APP_ORIGIN]
