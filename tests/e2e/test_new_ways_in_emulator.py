"""A new way in on the Firestore emulator, the Auth emulator and maildev (docs/security.md,
"A new way in"): an old session is refused every addition; a connected provider's notice
names it and its link removes it; thirty parallel first passwords leave one."""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError
from flask import Flask
from flask.testing import FlaskClient

from application.federation.connected import Connect
from application.federation.services import FederationServices
from application.ports import ExternalIdentity
from application.services import Services
from application.signin.authentication import Authenticate
from application.signin.services import SigninServices
from bootstrap import build_adapters
from domain.errors import ReauthenticationRequired
from tests.fakes.kernel import FakeClock
from tests.support import mailbox
from tests.support.api import PASSWORD, bearer, login, register
from tests.support.app import app_on, swap
from tests.support.firebase_auth import FirebaseAuth, tokens_for
from tests.support.settings import make_settings

pytestmark = pytest.mark.e2e
REAUTH_MAX_AGE = 600  # the default
FIRST_PASSWORD = "my very first passphrase"


@pytest.fixture(scope="module")
def admin_app(emulators: Any) -> Iterator[Any]:
    """A firebase_admin app of this module's own (app names are unique per process)."""
    import firebase_admin

    app = firebase_admin.initialize_app(
        options={"projectId": emulators.project}, name="firegate-new-ways-in-admin"
    )
    yield app
    firebase_admin.delete_app(app)


@pytest.fixture
def firebase(admin_app: Any, firestore: Any, emulators: Any) -> FirebaseAuth:
    return FirebaseAuth(app=admin_app, url=emulators.url("auth"))


def services_of(app: Flask) -> Services:
    found: Services = app.extensions["firegate"]
    return found


def earlier_app(firestore: Any) -> Flask:
    """The same service on the same Firestore, its clock REAUTH_MAX_AGE and a second ago: a
    sign-in there is too old now to add a way in, its access token (15 minutes) still valid."""
    settings = make_settings()
    past = datetime.now(UTC) - timedelta(seconds=REAUTH_MAX_AGE + 1)
    adapters = swap(build_adapters(settings, firestore=firestore), clock=FakeClock(past))
    return app_on(settings, adapters)


def verified(client: FlaskClient, username: str) -> None:
    register(client, username)
    [mail] = mailbox.wait_for(f"{username}@example.com")
    answer = client.post("/auth/email/verify", json={"token": mailbox.token_in(mail)})
    assert answer.status_code == 200


def pair_user(client: FlaskClient, pair: dict[str, Any]) -> str:
    user_id: str = client.get("/user", headers=bearer(pair["access_token"])).get_json()["id"]
    return user_id


def verifies(hashed: str, password: str) -> bool:
    try:
        return PasswordHasher().verify(hashed, password)
    except VerifyMismatchError:
        return False


def test_an_old_session_is_refused_every_new_way_in(real_app: Flask, firestore: Any) -> None:
    before = earlier_app(firestore).test_client()
    register(before, "olga")
    access = login(before, "olga")
    client = real_app.test_client()
    assert client.get("/user", headers=bearer(access)).status_code == 200
    for path, body in (
        ("/auth/passkeys/registration/options", None),
        ("/auth/mfa/totp", {"password": PASSWORD}),
    ):
        answer = client.post(path, headers=bearer(access), json=body)
        assert answer.status_code == 403, (path, answer.get_json())
        assert answer.get_json()["code"] == "reauthentication_required"
    actor = (
        services_of(real_app).of(SigninServices).authentication.authenticate(Authenticate(access))
    )
    github = ExternalIdentity("github", "gh-olga", "olga@example.com", True, "Olga")
    with pytest.raises(ReauthenticationRequired):
        services_of(real_app).of(FederationServices).identities.connect(Connect(actor, github))
    # Signed in again, the same account adds them.
    fresh = login(client, "olga")
    options = client.post("/auth/passkeys/registration/options", headers=bearer(fresh))
    assert options.status_code == 200


def test_a_connected_providers_notice_names_it_and_its_link_removes_it(real_app: Flask) -> None:
    client = real_app.test_client()
    verified(client, "nils")
    access, other = login(client, "nils"), login(client, "nils")
    actor = (
        services_of(real_app).of(SigninServices).authentication.authenticate(Authenticate(access))
    )
    github = ExternalIdentity("github", "gh-nils", "nils@example.com", True, "Nils")
    services_of(real_app).of(FederationServices).identities.connect(Connect(actor, github))
    mails = mailbox.wait_for("nils@example.com", 2)
    [notice] = [m for m in mails if "/not-me?token=" in m["text"]]
    assert notice["subject"] == "Signing in with github was added to your firegate account"
    page = client.get("/sign-in")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    form = {"token": mailbox.token_in(notice), "csrf_token": csrf.group(1)}
    assert client.post("/not-me", data=form).status_code == 200
    for token in (access, other):
        assert client.get("/user", headers=bearer(token)).status_code == 401
    listed = client.get("/auth/identities", headers=bearer(login(client, "nils")))
    assert listed.get_json()["items"] == []


def test_thirty_parallel_first_passwords_leave_one(
    real_app: Flask, firebase: FirebaseAuth, firestore: Any
) -> None:
    firebase.create("pia@example.com", display_name="Pia")
    client = real_app.test_client()
    pair = tokens_for(client, firebase.sign_in("pia@example.com"))
    headers = bearer(pair["access_token"])
    clients = [real_app.test_client() for _ in range(30)]

    def set_password(i: int) -> int:
        body = {"new_password": f"{FIRST_PASSWORD} {i}"}
        return clients[i].put("/user/password", headers=headers, json=body).status_code

    with ThreadPoolExecutor(30) as pool:
        statuses = list(pool.map(set_password, range(30)))
    # One sets it; each other is told the account has a password now (409), or, past the
    # account's ten password changes an hour, to wait (429: docs/security.md).
    assert statuses.count(204) == 1 and set(statuses) <= {204, 409, 429}, statuses
    stored = firestore.collection("users").document(pair_user(client, pair)).get()
    hashed = stored.get("password_hash")
    winners = [i for i in range(30) if verifies(hashed, f"{FIRST_PASSWORD} {i}")]
    assert winners == [statuses.index(204)]
    signed = {"username": "pia@example.com", "password": f"{FIRST_PASSWORD} {winners[0]}"}
    assert client.post("/login", json=signed).status_code == 200
    mails = mailbox.wait_for("pia@example.com", 1)
    assert [m["subject"] for m in mails if "/not-me?token=" in m["text"]] == [
        "A password was set for your firegate account"
    ]
