"""POST /auth/firebase on the Firebase Auth and Firestore emulators, real firebase-admin.

Tokens come from the Auth emulator's own sign-in endpoint. The emulator signs nothing
(``alg: none``) and firebase-admin checks no signature or time while it is in use, so what
is tested here is everything else: project (audience/issuer), custom tokens, malformed
tokens, revocation, disabled and deleted Firebase users, expiry (checked by firegate itself),
and the linking and account creation on Firestore.
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pyotp
import pytest
import requests
from flask.testing import FlaskClient

from tests.support import mailbox
from tests.support.api import PASSWORD, bearer, register
from tests.support.app import app_on, swap
from tests.support.firebase_auth import FirebaseAuth, assert_refused, exchange, me, tokens_for
from tests.support.passkey_authenticator import Passkey
from tests.support.settings import make_settings
from tests.support.stored_documents import count

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def firebase_admin_app(emulators: Any) -> Iterator[Any]:
    import firebase_admin

    app = firebase_admin.initialize_app(
        options={"projectId": emulators.project}, name="firegate-e2e-admin"
    )
    yield app
    firebase_admin.delete_app(app)


@pytest.fixture
def firebase(firebase_admin_app: Any, firestore: Any, emulators: Any) -> FirebaseAuth:
    """The emulators, wiped (through ``firestore``) before each test."""
    return FirebaseAuth(app=firebase_admin_app, url=emulators.url("auth"))


def reencode(token: str, **claims: Any) -> str:
    """The emulator's unsigned token with some claims changed, as the emulator would mint it."""

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header, payload, _ = token.split(".")
    decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    decoded.update(claims)
    return f"{header}.{b64(json.dumps(decoded).encode())}."


def test_first_exchange_creates_the_account_and_later_ones_reuse_it(
    real_client: FlaskClient, firebase: FirebaseAuth, firestore: Any
) -> None:
    uid = firebase.create("Alice.L@Example.com", display_name="Alice Liddell")
    pair = tokens_for(real_client, firebase.sign_in("alice.l@example.com"))
    assert pair["token_type"] == "bearer" and pair["expires_in"] > 0
    assert pair["refresh_token"] and pair["refresh_expires_in"] > 0
    user = me(real_client, pair)
    assert user["username"] == "Alice_Liddell"
    assert user["email"] == "alice.l@example.com"  # as Firebase holds it
    # a display name alone is kept whole (docs/decisions/0460-a-whole-name-alone-stays-whole.md)
    # the REST representation has given and family names only: none here
    assert user["name"] is None and user["last_name"] is None
    assert user["role"] == "user"
    assert user["id"] != uid

    stored = firestore.collection("users").document(user["id"]).get().to_dict()
    assert stored["password_hash"] is None
    link = firestore.collection("identities").document(f"firebase:{uid}").get().to_dict()
    assert link["user_id"] == user["id"] and link["subject"] == uid
    assert firestore.collection("usernames").document("alice_liddell").get().exists
    assert firestore.collection("emails").document("alice.l@example.com").get().exists

    again = tokens_for(real_client, firebase.sign_in("alice.l@example.com"))
    assert again["access_token"] != pair["access_token"]
    assert me(real_client, again)["id"] == user["id"]
    assert count(firestore, "users") == count(firestore, "identities") == 1
    assert me(real_client, pair)["id"] == user["id"]  # both sessions live

    # No password exists for it: password login fails like any wrong password.
    for login in ("Alice_Liddell", "alice.l@example.com"):
        response = real_client.post("/login", json={"username": login, "password": PASSWORD})
        assert_refused(response, 401, "invalid_credentials")


def test_unverified_email_is_refused_until_verified(
    real_client: FlaskClient, firebase: FirebaseAuth, firestore: Any
) -> None:
    from firebase_admin import auth

    token = firebase.sign_up("bob@example.com")
    assert_refused(exchange(real_client, token), 403, "email_not_verified")
    uid = auth.get_user_by_email("bob@example.com", app=firebase.app).uid
    auth.update_user(uid, email_verified=True, app=firebase.app)
    # A token states what was true when it was minted: the client must get a fresh one.
    assert_refused(exchange(real_client, token), 403, "email_not_verified")
    pair = tokens_for(real_client, firebase.sign_in("bob@example.com"))
    assert me(real_client, pair)["username"] == "bob"  # from the e-mail's local part
    assert count(firestore, "users") == 1


def test_email_of_a_verified_password_account_is_409_and_never_linked(
    real_client: FlaskClient, firebase: FirebaseAuth, firestore: Any
) -> None:
    owner = register(real_client, "alice")  # alice@example.com, with a password
    [verification] = mailbox.wait_for("alice@example.com")
    verified = real_client.post(
        "/auth/email/verify", json={"token": mailbox.token_in(verification)}
    )
    assert verified.status_code == 200  # the owner proved the address first
    firebase.create("alice@example.com", display_name="Mallory")
    response = exchange(real_client, firebase.sign_in("alice@example.com"))
    assert_refused(response, 409, "email_taken")
    assert response.get_json()["errors"][0]["field"] == "email"
    assert count(firestore, "identities") == 0 and count(firestore, "users") == 1
    assert firestore.collection("usernames").document("mallory").get().exists is False
    login = real_client.post("/login", json={"username": "alice", "password": PASSWORD})
    assert login.status_code == 200
    assert me(real_client, login.get_json())["id"] == owner["id"]


def test_a_verified_sign_in_takes_over_an_account_that_never_verified_the_address(
    real_client: FlaskClient, firebase: FirebaseAuth, firestore: Any
) -> None:
    """docs/decisions/0104-first-proof-of-address-wins.md"""
    # Mallory registers the victim's address, adds a passkey and an authenticator.
    squatted = register(real_client, "mallory", email="alice@example.com")
    token = real_client.post(
        "/login", json={"username": "mallory", "password": PASSWORD}
    ).get_json()["access_token"]
    key = Passkey()
    options = real_client.post("/auth/passkeys/registration/options", headers=bearer(token))
    made = real_client.post(
        "/auth/passkeys/registration",
        headers=bearer(token),
        json=key.register(options.get_json()),
    )
    assert made.status_code == 201, made.get_json()
    started = real_client.post("/auth/mfa/totp", json={"password": PASSWORD}, headers=bearer(token))
    code = pyotp.TOTP(started.get_json()["secret"]).now()
    confirmed = real_client.post(
        "/auth/mfa/totp/confirm", json={"code": code}, headers=bearer(token)
    )
    assert confirmed.status_code == 200, confirmed.get_json()

    # The owner of the address signs in with Firebase: the account is theirs, clean.
    firebase.create("alice@example.com", display_name="Alice")
    pair = tokens_for(real_client, firebase.sign_in("alice@example.com"))
    user = me(real_client, pair)
    assert user["id"] == squatted["id"] and user["email_verified"] is True
    assert count(firestore, "identities") == 1
    login = real_client.post("/login", json={"username": "mallory", "password": PASSWORD})
    assert_refused(login, 401, "invalid_credentials")
    assert real_client.get("/user", headers=bearer(token)).status_code == 401
    options = real_client.post("/auth/passkeys/authentication/options").get_json()
    signed_in = real_client.post("/auth/passkeys/authentication", json=key.sign_in(options))
    assert_refused(signed_in, 401, "unknown_passkey")
    assert count(firestore, "passkeys") == 0
    assert firestore.collection("mfa").document(squatted["id"]).get().exists is False
    # And the next sign-in reaches the same account.
    again = tokens_for(real_client, firebase.sign_in("alice@example.com"))
    assert me(real_client, again)["id"] == squatted["id"]


def test_username_collision_gets_a_numeric_suffix(
    real_client: FlaskClient, firebase: FirebaseAuth
) -> None:
    register(real_client, "alice")
    firebase.create("other@example.com", display_name="Alice")
    user = me(real_client, tokens_for(real_client, firebase.sign_in("other@example.com")))
    assert re.fullmatch(r"Alice_\d{4}", user["username"]), user["username"]


def test_disabled_firebase_user_is_refused(
    real_client: FlaskClient, firebase: FirebaseAuth, firestore: Any
) -> None:
    from firebase_admin import auth

    uid = firebase.create("carol@example.com")
    token = firebase.sign_in("carol@example.com")
    auth.update_user(uid, disabled=True, app=firebase.app)
    assert_refused(exchange(real_client, token), 403, "firebase_user_disabled")
    assert count(firestore, "users") == 0


def test_disabled_local_account_is_refused(
    real_app: Any, firebase: FirebaseAuth, firestore: Any
) -> None:
    client = real_app.test_client()
    firebase.create("dave@example.com")
    user = me(client, tokens_for(client, firebase.sign_in("dave@example.com")))
    firestore.collection("users").document(user["id"]).update({"disabled": True})
    assert_refused(exchange(client, firebase.sign_in("dave@example.com")), 403, "account_disabled")


def test_revoked_token_is_refused_and_a_fresh_one_works(
    real_client: FlaskClient, firebase: FirebaseAuth
) -> None:
    from firebase_admin import auth

    uid = firebase.create("erin@example.com")
    token = firebase.sign_in("erin@example.com")
    first = me(real_client, tokens_for(real_client, token))
    time.sleep(1.1)  # revocation is recorded in whole seconds; tokens of that second stay valid
    auth.revoke_refresh_tokens(uid, app=firebase.app)
    assert_refused(exchange(real_client, token), 401, "id_token_revoked")
    fresh = tokens_for(real_client, firebase.sign_in("erin@example.com"))
    assert me(real_client, fresh)["id"] == first["id"]


def test_deleted_firebase_user_is_refused(real_client: FlaskClient, firebase: FirebaseAuth) -> None:
    from firebase_admin import auth

    uid = firebase.create("frank@example.com")
    token = firebase.sign_in("frank@example.com")
    auth.delete_user(uid, app=firebase.app)
    assert_refused(exchange(real_client, token), 401, "invalid_id_token")


def test_custom_and_malformed_tokens_are_401(
    real_client: FlaskClient, firebase: FirebaseAuth
) -> None:
    from firebase_admin import auth

    uid = firebase.create("grace@example.com")
    custom = auth.create_custom_token(uid, app=firebase.app).decode()
    for token in (custom, "garbage", "a.b.c", "x" * 4000, "eyJhbGciOiJub25lIn0.e30."):
        response = exchange(real_client, token)
        assert_refused(response, 401, "invalid_id_token")
        text = response.get_data(as_text=True)
        assert "firebase_admin" not in text and "segments" not in text and "custom" not in text


def test_token_of_another_project_is_401(
    firestore: Any, firebase: FirebaseAuth, emulators: Any
) -> None:
    from bootstrap import build_adapters
    from infrastructure.federation.firebase_identity import FirebaseIdentityVerifier

    firebase.create("heidi@example.com")
    token = firebase.sign_in("heidi@example.com")  # minted for demo-firegate
    settings = make_settings()
    adapters = build_adapters(settings, firestore=firestore)
    elsewhere = FirebaseIdentityVerifier(
        project="demo-another-project", app_name="firegate-e2e-other"
    )
    other = app_on(settings, swap(adapters, identity_verifier=elsewhere)).test_client()
    assert_refused(exchange(other, token), 401, "invalid_id_token")
    # The same with the audience and issuer rewritten, against our own project.
    app = app_on(settings, adapters).test_client()
    forged = reencode(
        token,
        aud="demo-another-project",
        iss="https://securetoken.google.com/demo-another-project",
    )
    assert_refused(exchange(app, forged), 401, "invalid_id_token")
    assert count(firestore, "users") == 0


def test_expired_token_is_401(real_client: FlaskClient, firebase: FirebaseAuth) -> None:
    firebase.create("ivan@example.com")
    token = firebase.sign_in("ivan@example.com")
    # Only exp moves: an iat before the account's creation would read as revoked.
    expired = reencode(token, exp=int(time.time()) - 60)
    assert_refused(exchange(real_client, expired), 401, "id_token_expired")
    within_leeway = reencode(token, exp=int(time.time()) - 2)
    assert exchange(real_client, within_leeway).status_code == 200


@pytest.mark.parametrize(
    "body",
    [{}, {"id_token": ""}, {"id_token": None}, {"token": "x"}, {"id_token": "x", "role": "admin"}],
)
def test_body_validation_is_422(real_client: FlaskClient, body: dict[str, Any]) -> None:
    response = real_client.post("/auth/firebase", json=body)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["errors"]


def test_unreadable_body_is_400(real_client: FlaskClient) -> None:
    response = real_client.post("/auth/firebase", data="id_token=x")
    assert response.status_code == 400
    response = real_client.post(
        "/auth/firebase", data="{", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400 and response.get_json()["code"] == "malformed_json"


def test_deleted_local_account_is_recreated_on_next_exchange(
    real_client: FlaskClient, firebase: FirebaseAuth, firestore: Any
) -> None:
    firebase.create("judy@example.com", display_name="Judy")
    old_pair = tokens_for(real_client, firebase.sign_in("judy@example.com"))
    old = me(real_client, old_pair)
    assert real_client.delete("/user", headers=bearer(old_pair["access_token"])).status_code == 204
    assert count(firestore, "identities") == 0  # purged with the account
    new_pair = tokens_for(real_client, firebase.sign_in("judy@example.com"))
    new = me(real_client, new_pair)
    assert new["id"] != old["id"] and new["username"] == "Judy"
    response = real_client.get("/user", headers=bearer(old_pair["access_token"]))
    assert response.status_code == 401


@pytest.mark.timeout(180)
def test_parallel_first_exchanges_make_one_account(
    gunicorn_url: str, firebase: FirebaseAuth, firestore: Any
) -> None:
    firebase.create("kim@example.com", display_name="Kim")
    token = firebase.sign_in("kim@example.com")

    def exchange_over_http(_: int) -> str:
        response = requests.post(
            f"{gunicorn_url}/auth/firebase", json={"id_token": token}, timeout=60
        )
        assert response.status_code == 200, response.text
        user = requests.get(
            f"{gunicorn_url}/user",
            headers=bearer(response.json()["access_token"]),
            timeout=60,
        )
        assert user.status_code == 200, user.text
        user_id: str = user.json()["id"]
        return user_id

    with ThreadPoolExecutor(12) as pool:
        ids = set(pool.map(exchange_over_http, range(12)))
    assert len(ids) == 1
    assert count(firestore, "users") == count(firestore, "identities") == 1
    assert count(firestore, "usernames") == count(firestore, "emails") == 1
    assert count(firestore, "sessions") == 12
