"""A guest upgraded in place by ``POST /auth/firebase`` with its bearer token, on the Firebase
Auth and Firestore emulators (docs/guests.md, "Upgrading in place"): the guest's id is the
account's, its session goes on without ``guest``, the Firebase user is linked to it; a
Firebase user or address of another account is 409 ``account_exists``; an anonymous Firebase
user leaves the guest as it is; of 30 upgrades raced for one guest, one links it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from bootstrap import build_adapters
from tests.support.api import assert_problem, bearer, login, register
from tests.support.app import app_on
from tests.support.dpop import claims_of
from tests.support.firebase_auth import FirebaseAuth, tokens_for
from tests.support.guest_accounts import new_guest_answer
from tests.support.races import RACERS, race, statuses
from tests.support.settings import make_settings

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def firebase_admin_app(emulators: Any) -> Iterator[Any]:
    import firebase_admin

    app = firebase_admin.initialize_app(
        options={"projectId": emulators.project}, name="firegate-e2e-guest-upgrade"
    )
    yield app
    firebase_admin.delete_app(app)


@pytest.fixture
def firebase(firebase_admin_app: Any, firestore: Any, emulators: Any) -> FirebaseAuth:
    return FirebaseAuth(app=firebase_admin_app, url=emulators.url("auth"))


@pytest.fixture
def app(firestore: Any) -> Flask:
    settings = make_settings(guest_accounts=True)
    return app_on(settings, build_adapters(settings, firestore=firestore))


def new_guest(client: FlaskClient) -> dict[str, Any]:
    # made as POST /auth/guest makes one: the upgrade is the core's, tested without
    # the guests unit (tests/support/guest_accounts.py)
    return new_guest_answer(client)


def upgrade(client: FlaskClient, guest: dict[str, Any], id_token: str) -> TestResponse:
    answer: TestResponse = client.post(
        "/auth/firebase", json={"id_token": id_token}, headers=bearer(guest["access_token"])
    )
    return answer


def anonymous_token(firebase: FirebaseAuth) -> str:
    """An anonymous Firebase user's ID token (the client SDK's signInAnonymously)."""
    answer = requests.post(
        f"{firebase.url}/identitytoolkit.googleapis.com/v1/accounts:signUp?key=any",
        json={"returnSecureToken": True},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["idToken"]
    return token


def test_the_guest_becomes_the_firebase_users_account_keeping_id_and_session(
    app: Flask, firebase: FirebaseAuth, firestore: Any
) -> None:
    client = app.test_client()
    guest = new_guest(client)
    uid = claims_of(guest["access_token"])["sub"]
    firebase_uid = firebase.create("Alice.L@Example.com", display_name="Alice Liddell")
    answer = upgrade(client, guest, firebase.sign_in("alice.l@example.com"))
    assert answer.status_code == 200, answer.get_json()
    pair = answer.get_json()
    assert claims_of(pair["access_token"])["sub"] == uid
    assert "guest" not in claims_of(pair["access_token"])
    me = client.get("/user", headers=bearer(pair["access_token"])).get_json()
    assert (me["id"], me["guest"], me["username"]) == (uid, False, "Alice_Liddell")
    assert (me["email"], me["email_verified"]) == ("alice.l@example.com", True)
    stored = firestore.collection("users").document(uid).get().to_dict()
    assert stored["guest"] is False and stored["email_normalized"] == "alice.l@example.com"
    link = firestore.collection("identities").document(f"firebase:{firebase_uid}").get()
    assert link.to_dict()["user_id"] == uid
    assert firestore.collection("emails").document("alice.l@example.com").get().exists
    assert firestore.collection("usernames").document("alice_liddell").get().exists
    # The guest's session goes on: its refresh token works, its next access token says no
    # guest; and the Firebase user signs in to the same account from now on.
    refreshed = client.post("/auth/refresh", json={"refresh_token": guest["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.get_json()
    renewed = claims_of(refreshed.get_json()["access_token"])
    assert renewed["sub"] == uid and "guest" not in renewed
    again = tokens_for(client, firebase.sign_in("alice.l@example.com"))
    assert claims_of(again["access_token"])["sub"] == uid
    assert len(list(firestore.collection("users").stream())) == 1


def test_a_firebase_user_of_another_account_is_account_exists(
    app: Flask, firebase: FirebaseAuth, firestore: Any
) -> None:
    client = app.test_client()
    firebase.create("alice@example.com")
    owner = tokens_for(client, firebase.sign_in("alice@example.com"))
    guest = new_guest(client)
    uid = claims_of(guest["access_token"])["sub"]
    assert_problem(
        upgrade(client, guest, firebase.sign_in("alice@example.com")), 409, "account_exists"
    )
    assert claims_of(owner["access_token"])["sub"] != uid
    stored = firestore.collection("users").document(uid).get().to_dict()
    assert stored["guest"] is True and stored["email"] is None
    me = client.get("/user", headers=bearer(guest["access_token"])).get_json()
    assert me["guest"] is True


def test_an_address_of_another_account_is_account_exists(
    app: Flask, firebase: FirebaseAuth, firestore: Any
) -> None:
    client = app.test_client()
    register(client, "alice")  # alice@example.com, with a password
    guest = new_guest(client)
    uid = claims_of(guest["access_token"])["sub"]
    firebase_uid = firebase.create("Alice@example.com")
    answer = upgrade(client, guest, firebase.sign_in("alice@example.com"))
    assert_problem(answer, 409, "account_exists")
    body = answer.get_json()
    assert uid not in str(body)  # the ids stay out of the answer
    assert firestore.collection("users").document(uid).get().to_dict()["guest"] is True
    assert not firestore.collection("identities").document(f"firebase:{firebase_uid}").get().exists


def test_an_anonymous_firebase_user_leaves_the_guest_as_it_is(
    app: Flask, firebase: FirebaseAuth, firestore: Any
) -> None:
    client = app.test_client()
    guest = new_guest(client)
    uid = claims_of(guest["access_token"])["sub"]
    answer = upgrade(client, guest, anonymous_token(firebase))
    assert answer.status_code == 200, answer.get_json()
    claims = claims_of(answer.get_json()["access_token"])
    assert (claims["sub"], claims["guest"]) == (uid, True)
    assert firestore.collection("users").document(uid).get().to_dict()["guest"] is True
    assert list(firestore.collection("identities").stream()) == []
    # Without a guest's token, an anonymous Firebase user makes no account.
    refused = client.post("/auth/firebase", json={"id_token": anonymous_token(firebase)})
    assert_problem(refused, 403, "email_not_verified")


def test_an_account_that_signed_up_already_is_not_a_guest(
    app: Flask, firebase: FirebaseAuth, firestore: Any
) -> None:
    client = app.test_client()
    register(client, "bob")
    person = login(client, "bob")
    firebase.create("carol@example.com")
    answer = client.post(
        "/auth/firebase",
        json={"id_token": firebase.sign_in("carol@example.com")},
        headers=bearer(person),
    )
    assert_problem(answer, 409, "not_a_guest")
    assert list(firestore.collection("identities").stream()) == []
    bad = client.post(
        "/auth/firebase",
        json={"id_token": firebase.sign_in("carol@example.com")},
        headers=bearer("not-a-token"),
    )
    assert bad.status_code == 401


def test_the_sign_up_rules_apply_to_the_upgrade(firebase: FirebaseAuth, firestore: Any) -> None:
    settings = make_settings(guest_accounts=True, signup_domains_block=["blocked.example"])
    client = app_on(settings, build_adapters(settings, firestore=firestore)).test_client()
    guest = new_guest(client)
    firebase.create("dan@blocked.example")
    answer = upgrade(client, guest, firebase.sign_in("dan@blocked.example"))
    assert_problem(answer, 403, "signup_not_allowed")
    assert answer.get_json()["reason"] == "domain_blocked"
    uid = claims_of(guest["access_token"])["sub"]
    assert firestore.collection("users").document(uid).get().to_dict()["guest"] is True


@pytest.mark.timeout(300)
def test_30_upgrades_raced_for_one_guest_link_one_firebase_user(
    app: Flask, firebase: FirebaseAuth, firestore: Any
) -> None:
    guest = new_guest(app.test_client())
    uid = claims_of(guest["access_token"])["sub"]
    tokens = []
    for n in range(RACERS):
        firebase.create(f"racer{n}@example.com")
        tokens.append(firebase.sign_in(f"racer{n}@example.com"))

    def call(token: str) -> Any:
        return lambda client: upgrade(client, guest, token)

    outcomes = race(app, [call(token) for token in tokens])
    assert statuses(outcomes) == {200: 1, 409: RACERS - 1}
    assert {o.code for o in outcomes if o.status == 409} == {"not_a_guest"}
    links = [doc.to_dict() for doc in firestore.collection("identities").stream()]
    assert [link["user_id"] for link in links] == [uid]
    users = list(firestore.collection("users").stream())
    assert [doc.id for doc in users] == [uid] and users[0].to_dict()["guest"] is False
    assert len(list(firestore.collection("emails").stream())) == 1
    assert len(list(firestore.collection("usernames").stream())) == 1
