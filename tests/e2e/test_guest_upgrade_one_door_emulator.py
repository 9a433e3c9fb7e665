"""A guest's upgrade through its one place on the Firestore emulator, with a ``before_sign_in``
hook set, against a receiver that verifies each call's signature (docs/guests.md, "Upgrading in
place"; docs/decisions/0630-one-place-for-a-guests-upgrade.md): thirty upgrades of one guest
raced, each with its own username, by a password or a passkey, make one account with one
username and at most one passkey, the rest answered 409 ``not_a_guest``; and a hook that
denies leaves the guest stored as it was, with no claim and no session."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from application.hooks.admin import SetAuthHook
from application.hooks.services import HookServices
from bootstrap import build_adapters
from infrastructure.firestore.accounts.users import SESSIONS
from tests.support.api import PASSWORD, assert_problem, bearer, services
from tests.support.app import app_on
from tests.support.dpop import claims_of
from tests.support.guest_accounts import new_guest_answer
from tests.support.hook_receiver import HookReceiver, hook_receiver
from tests.support.passkey_authenticator import Passkey
from tests.support.races import RACERS, Call, race, statuses
from tests.support.settings import make_settings
from tests.support.webhooks import ADMIN

pytestmark = pytest.mark.e2e
DENY = {"decision": "deny", "message": "Not from this network."}


@pytest.fixture
def receiver() -> Iterator[HookReceiver]:
    with hook_receiver() as found:
        yield found


@pytest.fixture
def app(firestore: Any, receiver: HookReceiver) -> Flask:
    """Guests on, and a before_sign_in hook calling the test's receiver."""
    settings = make_settings(app_profile="local", guest_accounts=True)
    made = app_on(settings, build_adapters(settings, firestore=firestore))
    created = (
        services(made)
        .of(HookServices)
        .hooks.set(SetAuthHook(ADMIN, "before_sign_in", receiver.url))
    )
    receiver.secret = created.secret
    return made


def new_guest(app: Flask) -> dict[str, Any]:
    # made as POST /auth/guest makes one: the upgrade is the core's, tested without
    # the guests unit (tests/support/guest_accounts.py)
    return new_guest_answer(app.test_client())


def by_password(guest: dict[str, Any], n: int) -> Call:
    body = {"username": f"pw{n}", "email": f"pw{n}@example.com", "password": PASSWORD}

    def call(client: Any) -> TestResponse:
        answer: TestResponse = client.post(
            "/auth/guest/upgrade", json=body, headers=bearer(guest["access_token"])
        )
        return answer

    return call


def by_passkey(app: Flask, guest: dict[str, Any], n: int) -> Call:
    """A passkey's registration under the name ``pk{n}``, its options asked beforehand."""
    headers = bearer(guest["access_token"])
    options = app.test_client().post("/auth/passkeys/registration/options", headers=headers)
    assert options.status_code == 200, options.get_json()
    body = {**Passkey().register(options.get_json()), "username": f"pk{n}"}

    def call(client: Any) -> TestResponse:
        answer: TestResponse = client.post(
            "/auth/passkeys/registration", json=body, headers=headers
        )
        return answer

    return call


def claims(firestore: Any, collection: str) -> dict[str, str]:
    return {doc.id: doc.to_dict()["user_id"] for doc in firestore.collection(collection).stream()}


def passkeys_of(firestore: Any, uid: str) -> int:
    return sum(
        1 for doc in firestore.collection("passkeys").stream() if doc.to_dict()["user_id"] == uid
    )


def test_30_upgrades_of_one_guest_by_two_ways_and_30_names_make_one_account(
    app: Flask, firestore: Any, receiver: HookReceiver
) -> None:
    receiver.answer = lambda payload: {"decision": "allow"}
    guest = new_guest(app)
    uid = claims_of(guest["access_token"])["sub"]
    calls = [by_password(guest, n) if n % 2 else by_passkey(app, guest, n) for n in range(RACERS)]
    outcomes = race(app, calls)
    won = [o for o in outcomes if o.status in (200, 201)]
    assert len(won) == 1, statuses(outcomes)
    assert statuses(outcomes)[409] == RACERS - 1
    assert {o.code for o in outcomes if o.status == 409} == {"not_a_guest"}
    stored = firestore.collection("users").document(uid).get().to_dict()
    assert stored["guest"] is False
    assert claims(firestore, "usernames") == {stored["username_normalized"]: uid}
    assert len(list(firestore.collection("users").stream())) == 1
    by_key = stored["username"].startswith("pk")
    assert passkeys_of(firestore, uid) == (1 if by_key else 0)
    assert list(claims(firestore, "emails").values()) == ([] if by_key else [uid])
    asked = [call for call in receiver.received if call.get("method") == "guest_upgrade"]
    assert asked and all(call["user"]["id"] == uid for call in asked)


def test_a_denying_hook_leaves_the_guest_stored_as_it_was(
    app: Flask, firestore: Any, receiver: HookReceiver
) -> None:
    # The guest's own first session is let through; its upgrades are not.
    receiver.answer = lambda p: DENY if p["method"] == "guest_upgrade" else {"decision": "allow"}
    guest = new_guest(app)
    uid = claims_of(guest["access_token"])["sub"]
    before = firestore.collection("users").document(uid).get().to_dict()
    sessions = [d.id for d in firestore.collection(SESSIONS).stream()]
    client = app.test_client()
    assert_problem(by_password(guest, 1)(client), 403, "signin_denied")
    assert_problem(by_passkey(app, guest, 2)(client), 403, "signin_denied")
    after = firestore.collection("users").document(uid).get().to_dict()
    assert after["guest"] is True and after.get("username") is None
    assert {k: v for k, v in after.items() if k != "updated_at"} == {
        k: v for k, v in before.items() if k != "updated_at"
    }
    assert claims(firestore, "usernames") == {} and claims(firestore, "emails") == {}
    assert passkeys_of(firestore, uid) == 0
    assert [d.id for d in firestore.collection(SESSIONS).stream()] == sessions
