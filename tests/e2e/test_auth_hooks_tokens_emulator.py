"""The before_token and send_mail hooks on the emulators and maildev, against a real receiver
that checks each call's signature (tests/support/hook_receiver.py): the claims in every kind
of token, a refused answer and a slow receiver resolved by ``on_failure``, and mail handed to
the hook instead of the mail server (docs/hooks.md)."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from application.hooks.admin import AuthHookRef, ListAuthHooks, SetAuthHook
from application.hooks.services import HookServices
from bootstrap import build_adapters
from tests.support import mailbox
from tests.support.api import PASSWORD, assert_problem, bearer, register
from tests.support.app import app_on
from tests.support.hook_receiver import HookReceiver, hook_receiver
from tests.support.oauth import EmulatorWorld
from tests.support.settings import make_settings
from tests.support.webhooks import ADMIN

pytestmark = pytest.mark.e2e
CLAIMS = {"tier": "gold", "plan": {"seats": 3}}


@pytest.fixture
def app(firestore: Any) -> Flask:
    # The local profile: a receiver on 127.0.0.1 may be called (elsewhere, https and a public
    # address only: tests/unit/events/test_auth_hooks.py).
    settings = make_settings(app_profile="local")
    return app_on(settings, build_adapters(settings, firestore=firestore))


@pytest.fixture
def receiver() -> Iterator[HookReceiver]:
    with hook_receiver() as state:
        yield state


def set_hook(
    app: Flask,
    receiver: HookReceiver,
    kind: str,
    answer: Any,
    *,
    on_failure: str = "allow",
    timeout_ms: int = 2000,
) -> None:
    """The kind's one hook, calling ``receiver`` (any the kind had removed)."""
    admin = app.extensions["firegate"].of(HookServices).hooks
    for view in admin.list(ListAuthHooks(ADMIN)):
        if view.hook.kind == kind:
            admin.remove(AuthHookRef(ADMIN, view.hook.hook_id))
    created = admin.set(
        SetAuthHook(ADMIN, kind, receiver.url, timeout_ms=timeout_ms, on_failure=on_failure)
    )
    receiver.secret, receiver.answer = created.secret, lambda payload: answer
    with receiver.lock:
        receiver.received.clear()


def kinds(receiver: HookReceiver) -> list[str]:
    """Each verified call's kind of token, or of mail."""
    with receiver.lock:
        return [str(p.get("token_kind") or p.get("kind")) for p in receiver.received]


def payload(token: str) -> dict[str, Any]:
    body = token.split(".")[1]
    found: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return found


def login(client: FlaskClient, name: str = "alice") -> Any:
    return client.post("/login", json={"username": name, "password": PASSWORD})


def test_the_hooks_claims_in_a_sessions_tokens_and_a_firebase_custom_token(
    app: Flask, receiver: HookReceiver
) -> None:
    client = app.test_client()
    register(client, "alice")
    set_hook(app, receiver, "before_token", {"claims": CLAIMS})
    pair = login(client).get_json()
    assert {k: payload(pair["access_token"])[k] for k in CLAIMS} == CLAIMS
    refreshed = client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    access = refreshed.get_json()["access_token"]
    assert payload(access)["tier"] == "gold"
    made = client.post("/orgs", json={"slug": "acme", "name": "Acme"}, headers=bearer(access))
    assert made.status_code == 201, made.get_json()
    switched = client.post("/auth/org", json={"org": "acme"}, headers=bearer(access))
    in_org = switched.get_json()["access_token"]
    assert payload(in_org)["tier"] == "gold" and payload(in_org)["org"]["slug"] == "acme"
    custom = client.post("/auth/firebase/custom-token", headers=bearer(in_org))
    assert custom.status_code == 200, custom.get_json()
    developer = payload(custom.get_json()["custom_token"])["claims"]
    assert developer["tier"] == "gold" and developer["role"] == "user"
    assert developer["org_id"] == payload(in_org)["org"]["id"]
    assert kinds(receiver) == ["access", "refresh_access", "org_switch", "firebase_custom"]
    assert receiver.refused == []
    first = receiver.received[0]
    assert (
        first["user"]["username"] == "alice"
        and first["session"]["id"] == payload(pair["access_token"])["sid"]
    )
    assert receiver.received[2]["org"]["slug"] == "acme"


def test_the_hooks_claims_in_the_providers_tokens_and_userinfo(
    app: Flask, receiver: HookReceiver
) -> None:
    world = EmulatorWorld(app)  # alice signed up in its browser
    client = world.register()
    set_hook(app, receiver, "before_token", {"claims": CLAIMS})
    tokens = world.tokens(client)
    access, id_token = payload(tokens["access_token"]), payload(tokens["id_token"])
    assert access["tier"] == "gold" and id_token["plan"] == {"seats": 3}
    assert id_token["aud"] == client["client_id"]  # its own claims stand
    info = world.client.get("/oauth/userinfo", headers=bearer(tokens["access_token"]))
    assert info.status_code == 200, info.get_json()
    assert info.get_json()["tier"] == "gold" and info.get_json()["sub"] == access["sub"]
    assert kinds(receiver) == ["provider_access", "id_token"]
    assert receiver.received[0]["client"] == {"client_id": client["client_id"]}


@pytest.mark.parametrize(
    "answer",
    [
        {"claims": {"tier": "gold", "sub": "someone-else"}},
        {"claims": {"blob": "x" * 1000}},
        b'{"claims": {"tier": "gold\\ud800"}}',  # JSON, but not text
        b'{"claims": {"tier": "gold", "\\udc00": 1}}',
    ],
    ids=["reserved", "over-1000-bytes", "surrogate-value", "surrogate-name"],
)
def test_a_refused_answer_follows_on_failure(
    app: Flask, receiver: HookReceiver, answer: dict[str, Any] | bytes
) -> None:
    client = app.test_client()
    register(client, "alice")
    set_hook(app, receiver, "before_token", answer)
    allowed = login(client)
    assert allowed.status_code == 200
    assert not {"tier", "blob"} & payload(allowed.get_json()["access_token"]).keys()
    set_hook(app, receiver, "before_token", answer, on_failure="deny")
    assert_problem(login(client), 403, "hook_failed")
    assert len(receiver.received) == 1  # asked, and refused
    [hook] = app.extensions["firegate"].of(HookServices).hooks.list(ListAuthHooks(ADMIN))
    assert {call.outcome.value for call in hook.calls} == {"bad_answer"}


def test_a_slow_receiver_is_cut_at_its_deadline_then_on_failure_decides(
    app: Flask, receiver: HookReceiver
) -> None:
    client = app.test_client()
    register(client, "alice")
    receiver.delay = 1.0
    set_hook(app, receiver, "before_token", {"claims": CLAIMS}, timeout_ms=200)
    allowed = login(client)
    assert allowed.status_code == 200
    assert "tier" not in payload(allowed.get_json()["access_token"])
    set_hook(app, receiver, "before_token", {"claims": CLAIMS}, timeout_ms=200, on_failure="deny")
    assert_problem(login(client), 403, "hook_failed")


def test_mail_is_handed_to_the_hook_and_maildev_gets_nothing(
    app: Flask, receiver: HookReceiver
) -> None:
    client = app.test_client()
    set_hook(app, receiver, "send_mail", {})
    register(client, "alice")  # its verification mail
    client.post("/auth/password/forgot", json={"email": "alice@example.com"})
    client.post("/auth/email-code", json={"email": "zoe@example.com"})
    deadline = time.monotonic() + 30
    while len(receiver.received) < 3:
        assert time.monotonic() < deadline, receiver.received
        time.sleep(0.05)
    by_kind = {mail["kind"]: mail for mail in receiver.received}
    assert set(by_kind) == {"verify_email", "reset_password", "email_code"}
    assert by_kind["reset_password"]["to"] == "alice@example.com"
    assert "/reset-password?token=" in by_kind["reset_password"]["text"]
    assert by_kind["email_code"]["to"] == "zoe@example.com"
    assert all(mail["locale"] == "en" and mail["subject"] for mail in receiver.received)
    assert receiver.refused == []
    assert mailbox.to("alice@example.com") == [] and mailbox.to("zoe@example.com") == []


# Who the person is: a hook that could set these would speak for the mailbox and the phone.
IDENTITY = {"email": "boss@example.com", "email_verified": True, "phone_number": "+15550100"}


def calls_of(app: Flask) -> list[Any]:
    [hook] = app.extensions["firegate"].of(HookServices).hooks.list(ListAuthHooks(ADMIN))
    return list(hook.calls)


def test_an_answer_with_identity_claims_fails_in_every_kind_of_token(
    app: Flask, receiver: HookReceiver
) -> None:
    world = EmulatorWorld(app)  # alice signed up in its browser, her address not proven
    app_client = world.register()
    client = app.test_client()
    register(client, "bob")
    answer = {"claims": {"tier": "gold", **IDENTITY}}
    set_hook(app, receiver, "before_token", answer)

    # A session's access token at sign-in: the answer failed, the token has firegate's own.
    access = login(client, "bob").get_json()["access_token"]
    assert not {"tier", *IDENTITY} & payload(access).keys()
    # A Firebase custom token: no developer claim of the hook's.
    custom = client.post("/auth/firebase/custom-token", headers=bearer(access))
    assert custom.status_code == 200, custom.get_json()
    developer = payload(custom.get_json()["custom_token"])["claims"]
    assert not {"tier", *IDENTITY} & developer.keys() and developer["role"] == "user"
    # The provider's ID token: firegate's own address where the scope gives it, else none.
    with_email = payload(world.tokens(app_client)["id_token"])
    assert (with_email["email"], with_email["email_verified"]) == ("alice@example.com", False)
    assert not {"tier", "phone_number"} & with_email.keys()
    without = payload(world.tokens(app_client, scope="openid")["id_token"])
    assert not {"tier", *IDENTITY} & without.keys()
    assert kinds(receiver) == [
        "access",
        "firebase_custom",
        *("provider_access", "id_token") * 2,
    ]
    assert {call.error for call in calls_of(app)} == {"reserved_claim:email"}

    # Set to deny, each is refused instead.
    set_hook(app, receiver, "before_token", answer, on_failure="deny")
    assert_problem(login(client, "bob"), 403, "hook_failed")
    refused = client.post("/auth/firebase/custom-token", headers=bearer(access))
    assert_problem(refused, 403, "hook_failed")
    code, verifier = world.code(app_client["client_id"])
    assert world.exchange(app_client, code, verifier).status_code == 403
