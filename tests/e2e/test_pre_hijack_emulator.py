"""The pre-hijack classes of Sudhodanan & Paverd ("Pre-hijacked accounts", USENIX Security
2022) against the linking rules (docs/reference/identities.md), through POST /auth/firebase
on the Firebase Auth and Firestore emulators (application/federation/linking.py,
docs/security.md), and connected
accounts (GET and DELETE /auth/identities) with their races, passkey deletions among them.

Each test is one class: the attacker prepares an account with the victim's address before the
victim arrives; the test fails if the attacker still gets in afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient

from application.federation.connected import Connect
from application.federation.services import FederationServices
from application.ports import ExternalIdentity
from application.services import Services
from application.signin.authentication import Actor
from tests.support.api import PASSWORD, bearer, register
from tests.support.firebase_auth import FirebaseAuth, assert_refused, exchange, me, tokens_for
from tests.support.passkey_authenticator import add_passkey
from tests.support.stored_documents import count

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def attackers_admin(emulators: Any) -> Iterator[Any]:
    """A firebase_admin app of this module's own (app names are unique per process)."""
    import firebase_admin

    app = firebase_admin.initialize_app(
        options={"projectId": emulators.project}, name="firegate-pre-hijack-admin"
    )
    yield app
    firebase_admin.delete_app(app)


@pytest.fixture
def firebase(attackers_admin: Any, firestore: Any, emulators: Any) -> FirebaseAuth:
    return FirebaseAuth(app=attackers_admin, url=emulators.url("auth"))


VICTIM = "victim@example.com"


def login(client: FlaskClient, username: str) -> Any:
    return client.post("/login", json={"username": username, "password": PASSWORD})


def connect_as(app: Flask, user: dict[str, Any], identity: ExternalIdentity) -> None:
    """What a signed-in person's "connect another" does (the upstream sign-in in connect
    mode): the identity linked to their account."""
    services: Services = app.extensions["firegate"]
    actor = Actor(
        user["id"], user["username"], "user", "sid", datetime.now(UTC), recent_sign_in=True
    )
    services.of(FederationServices).identities.connect(Connect(actor, identity))


def identities(client: FlaskClient, token: str) -> list[dict[str, Any]]:
    response = client.get("/auth/identities", headers=bearer(token))
    assert response.status_code == 200, response.get_json()
    items: list[dict[str, Any]] = response.get_json()["items"]
    return items


def test_classic_the_attackers_password_dies_with_the_victims_claim(
    real_client: FlaskClient, firebase: FirebaseAuth
) -> None:
    squatted = register(real_client, "mallory", email=VICTIM)  # unproven address
    firebase.create(VICTIM, display_name="Victim")
    pair = tokens_for(real_client, firebase.sign_in(VICTIM))
    assert me(real_client, pair)["id"] == squatted["id"]
    assert_refused(login(real_client, "mallory"), 401, "invalid_credentials")


def test_unexpired_session_the_attackers_sessions_end_with_the_claim(
    real_client: FlaskClient, firebase: FirebaseAuth, firestore: Any
) -> None:
    register(real_client, "mallory", email=VICTIM)
    held = login(real_client, "mallory").get_json()
    firestore.collection("consents").document("kept-by-mallory").set({})  # noise stays
    firebase.create(VICTIM)
    tokens_for(real_client, firebase.sign_in(VICTIM))
    assert real_client.get("/user", headers=bearer(held["access_token"])).status_code == 401
    refreshed = real_client.post("/auth/refresh", json={"refresh_token": held["refresh_token"]})
    assert refreshed.status_code == 401, refreshed.get_json()


def test_trojan_identifier_the_attackers_linked_identity_is_removed(
    real_app: Flask, real_client: FlaskClient, firebase: FirebaseAuth
) -> None:
    squatted = register(real_client, "mallory", email=VICTIM)
    # Mallory connects an identity of her own (her Firebase account) to the squatted account.
    mallory_uid = firebase.create("mallory@evil.example")
    connect_as(
        real_app,
        squatted,
        ExternalIdentity("firebase", mallory_uid, "mallory@evil.example", True, None),
    )
    via_trojan = tokens_for(real_client, firebase.sign_in("mallory@evil.example"))
    assert me(real_client, via_trojan)["id"] == squatted["id"]  # the trojan works, so far

    firebase.create(VICTIM)
    victim = tokens_for(real_client, firebase.sign_in(VICTIM))
    assert me(real_client, victim)["id"] == squatted["id"]
    assert [item["email"] for item in identities(real_client, victim["access_token"])] == [VICTIM]
    # Mallory's identity now signs in to an account of its own, never the victim's.
    again = tokens_for(real_client, firebase.sign_in("mallory@evil.example"))
    assert me(real_client, again)["id"] != squatted["id"]


def test_non_verifying_idp_an_unverified_address_makes_and_claims_nothing(
    real_client: FlaskClient, firebase: FirebaseAuth, firestore: Any
) -> None:
    # Anyone can sign up to Firebase with any address; it stays unverified.
    assert_refused(exchange(real_client, firebase.sign_up(VICTIM)), 403, "email_not_verified")
    assert count(firestore, "users") == 0 and count(firestore, "identities") == 0
    # Nor does it claim an account that holds the address unproven.
    squatted = register(real_client, "victim", email=VICTIM)
    assert_refused(exchange(real_client, firebase.sign_in(VICTIM)), 403, "email_not_verified")
    assert count(firestore, "identities") == 0
    assert login(real_client, "victim").status_code == 200
    assert squatted["email_verified"] is False


def test_federated_merge_a_verified_address_never_links_a_proven_account(
    real_client: FlaskClient, firebase: FirebaseAuth, firestore: Any
) -> None:
    owner = register(real_client, "victim", email=VICTIM)
    proven = firestore.collection("users").document(owner["id"])
    proven.update({"email_verified": True})
    # An identity provider that asserts the victim's address (here: verified by Firebase).
    firebase.create(VICTIM)
    response = exchange(real_client, firebase.sign_in(VICTIM))
    assert_refused(response, 409, "email_taken")
    assert count(firestore, "identities") == 0 and count(firestore, "sessions") == 0
    token = login(real_client, "victim").get_json()["access_token"]
    assert identities(real_client, token) == []


def test_connected_accounts_are_listed_and_the_last_one_kept(
    real_app: Flask, real_client: FlaskClient, firebase: FirebaseAuth
) -> None:
    firebase.create("kim@example.com", display_name="Kim")
    pair = tokens_for(real_client, firebase.sign_in("kim@example.com"))
    user = me(real_client, pair)
    (link,) = identities(real_client, pair["access_token"])
    assert link["provider"] == "firebase" and link["email"] == "kim@example.com"
    assert set(link) == {"provider", "subject", "email", "linked_at"}
    token = bearer(pair["access_token"])
    assert_refused(
        real_client.delete("/auth/identities/firebase", headers=token), 409, "last_sign_in_method"
    )
    assert_refused(
        real_client.delete("/auth/identities/github", headers=token), 404, "identity_not_found"
    )
    connect_as(real_app, user, ExternalIdentity("github", "gh-1", "kim@example.org", True, None))
    assert real_client.delete("/auth/identities/firebase", headers=token).status_code == 204
    assert [item["provider"] for item in identities(real_client, pair["access_token"])] == [
        "github"
    ]
    assert real_client.get("/auth/identities").status_code == 401
    types = [e["type"] for e in real_client.get("/auth/events", headers=token).get_json()["items"]]
    assert types.count("identity.unlinked") == 1 and types.count("identity.linked") == 2


@pytest.mark.timeout(180)
def test_parallel_disconnects_of_the_last_two_leave_one(
    real_app: Flask, real_client: FlaskClient, firebase: FirebaseAuth, gunicorn_url: str
) -> None:
    firebase.create("kim@example.com")
    pair = tokens_for(real_client, firebase.sign_in("kim@example.com"))
    user = me(real_client, pair)
    connect_as(real_app, user, ExternalIdentity("github", "gh-1", "kim@example.org", True, None))

    def disconnect(n: int) -> int:
        provider = ("firebase", "github")[n % 2]
        response = requests.delete(
            f"{gunicorn_url}/auth/identities/{provider}",
            headers=bearer(pair["access_token"]),
            timeout=60,
        )
        return response.status_code

    with ThreadPoolExecutor(30) as pool:
        answers = list(pool.map(disconnect, range(30)))
    assert answers.count(204) == 1, answers
    assert set(answers) <= {204, 404, 409}, answers
    assert len(identities(real_client, pair["access_token"])) == 1


@pytest.mark.timeout(180)
def test_passkey_deletions_racing_a_disconnect_leave_a_way_in(
    real_client: FlaskClient, firebase: FirebaseAuth, gunicorn_url: str
) -> None:
    """An account with no password, one passkey and one identity: thirty parallel requests,
    half deleting the passkey and half disconnecting the identity, remove one of the two
    (domain.accounts.identities.keep_a_way_in); the others are refused."""
    firebase.create("kai@example.com")
    pair = tokens_for(real_client, firebase.sign_in("kai@example.com"))
    token = pair["access_token"]
    add_passkey(real_client, token)
    (key,) = real_client.get("/auth/passkeys", headers=bearer(token)).get_json()["items"]

    def remove(n: int) -> int:
        path = f"/auth/passkeys/{key['id']}" if n % 2 else "/auth/identities/firebase"
        response = requests.delete(gunicorn_url + path, headers=bearer(token), timeout=60)
        return response.status_code

    with ThreadPoolExecutor(30) as pool:
        answers = list(pool.map(remove, range(30)))
    assert answers.count(204) == 1, answers
    assert answers.count(409) >= 1 and set(answers) <= {204, 404, 409}, answers
    left = real_client.get("/auth/passkeys", headers=bearer(token)).get_json()["items"]
    assert len(left) + len(identities(real_client, token)) == 1
