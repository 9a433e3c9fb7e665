"""A new way into an account (docs/security.md, "A new way in"): only a session signed in
within REAUTH_MAX_AGE adds one (a provider, a passkey, an authenticator, a first password),
else 403 ``reauthentication_required`` (the pages ask to sign in again); each addition mails
the proven address naming it, and the mail's "this wasn't me" link removes it and ends every
session. On fakes; tests/e2e/test_new_ways_in_emulator.py runs the same on Firestore."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest

from application.federation.connected import Connect
from application.federation.services import FederationServices
from application.ports import ExternalIdentity, Mail
from application.signin.authentication import Actor, Authenticate
from application.signin.services import SigninServices
from bootstrap.federation import FederationAdapters
from domain.errors import ReauthenticationRequired
from domain.federation.upstream import UpstreamProvider
from domain.signin.sessions import Session
from interfaces.web.browser import SEPARATOR
from interfaces.web.federation.connected import connect_proof
from tests.support.api import PASSWORD, bearer, login, register
from tests.support.app import World
from tests.support.mail_flows import notices, press, verified
from tests.support.pages import csrf
from tests.support.passkey_authenticator import Passkey as SoftPasskey
from tests.support.step_up import challenged

pytestmark = pytest.mark.unit

REAUTH_MAX_AGE = 600  # the default
NEW = "a first passphrase of mine"


@pytest.fixture
def world() -> World:
    return World()


@contextmanager
def long_ago(world: World) -> Iterator[None]:
    """What is done inside happens REAUTH_MAX_AGE and a second ago: a sign-in there is too
    old to add a way in now, and its access token (15 minutes) still valid. (Not a clock
    moved forward: the tokens' own checks read the real time.)"""
    world.clock.advance(seconds=-(REAUTH_MAX_AGE + 1))
    try:
        yield
    finally:
        world.clock.advance(seconds=REAUTH_MAX_AGE + 1)


def actor(world: World, access: str) -> Actor:
    return world.services.of(SigninServices).authentication.authenticate(Authenticate(access))


def federated(world: World, subject: str = "fb-1", email: str = "fed@example.com") -> str:
    """An account made by a Firebase sign-in (a proven address, no password): its token."""
    token = world.verifier.issue(subject, email=email, display_name="Fed")
    answer = world.client.post("/auth/firebase", json={"id_token": token})
    assert answer.status_code == 200, answer.get_json()
    access: str = answer.get_json()["access_token"]
    return access


def refused(answer: object) -> None:
    assert getattr(answer, "status_code", None) == 403
    assert answer.get_json()["code"] == "reauthentication_required"  # type: ignore[attr-defined]
    challenged(answer)  # RFC 9470 §3: a sign-in within REAUTH_MAX_AGE will do


def passkeys(world: World, access: str) -> list[object]:
    answer = world.client.get("/auth/passkeys", headers=bearer(access))
    assert answer.status_code == 200
    items: list[object] = answer.get_json()["items"]
    return items


def not_me_token(mail: Mail) -> str:
    link = next(word for word in mail.text.split() if "/not-me?token=" in word)
    return parse_qs(urlsplit(link).query)["token"][0]


# -- a recent sign-in


def test_a_session_signed_in_lately_adds_ways_in_and_an_old_one_is_asked_to_sign_in_again(
    world: World,
) -> None:
    assert actor(world, verified(world, "bob")).recent_sign_in
    with long_ago(world):
        access = verified(world)
    assert not actor(world, access).recent_sign_in
    refused(world.client.post("/auth/passkeys/registration/options", headers=bearer(access)))
    refused(
        world.client.post("/auth/mfa/totp", headers=bearer(access), json={"password": PASSWORD})
    )
    # Signing in again is the way on.
    fresh = login(world.client)
    options = world.client.post("/auth/passkeys/registration/options", headers=bearer(fresh))
    assert options.status_code == 200
    totp = world.client.post("/auth/mfa/totp", headers=bearer(fresh), json={"password": PASSWORD})
    assert totp.status_code == 200


def test_a_refresh_proves_the_token_not_the_person() -> None:
    start = datetime(2026, 5, 1, tzinfo=UTC)
    window = timedelta(seconds=REAUTH_MAX_AGE)
    session = Session.start(
        id="s1",
        user_id="u1",
        token_version=0,
        refresh_hash="h0",
        now=start,
        lifetime=timedelta(days=30),
    )
    assert session.signed_in_within(window, start + window)
    later = start + window + timedelta(seconds=1)
    rotated = session.refreshed(
        presented="h0", successor="h1", now=later, grace=timedelta(0), idle_timeout=window * 100
    )
    assert rotated.refresh_hashes == ("h1",)  # rotated ...
    assert not rotated.signed_in_within(window, later)  # ... and no more recent


def test_a_passkey_registration_that_outlives_the_window_is_refused(world: World) -> None:
    with long_ago(world):
        register(world.client, "alice")
        access = login(world.client)
        options = world.client.post("/auth/passkeys/registration/options", headers=bearer(access))
        assert options.status_code == 200
        credential = SoftPasskey().register(options.get_json())
    answer = world.client.post(
        "/auth/passkeys/registration", headers=bearer(access), json=credential
    )
    refused(answer)
    assert passkeys(world, login(world.client)) == []


def test_connecting_a_provider_needs_a_recent_sign_in(world: World) -> None:
    with long_ago(world):
        register(world.client, "alice")
        access = login(world.client)
    github = ExternalIdentity("github", "gh-1", "alice@example.com", True, "Alice")
    with pytest.raises(ReauthenticationRequired):
        world.services.of(FederationServices).identities.connect(
            Connect(actor(world, access), github)
        )
    assert not world.store.identities


def test_the_connect_link_of_an_old_session_leads_to_sign_in_again_and_back(
    world: World,
) -> None:
    browser = world.app.test_client()
    with long_ago(world):
        register(world.client, "alice")
        token = csrf(browser, "/sign-in")
        form = {"username": "alice", "password": PASSWORD, "csrf_token": token}
        assert browser.post("/sign-in", data=form).status_code == 303
    # The proof is checked first: a forged link is a 403, whatever the session's age.
    assert browser.get("/sign-in/with/github?connect=forged").status_code == 403
    secret = browser.get_cookie("firegate_csrf")
    assert secret is not None
    with world.app.test_request_context(headers={"Cookie": f"firegate_csrf={secret.value}"}):
        proof = connect_proof()
    answer = browser.get(f"/sign-in/with/github?connect={proof}")
    assert answer.status_code == 303
    where = urlsplit(answer.headers["Location"])
    assert where.path == "/sign-in"
    assert parse_qs(where.query) == {
        "again": ["1"],
        "next": ["/account/security"],
        "username": ["alice"],
    }
    shown = browser.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Sign in again to continue." in shown and 'value="alice"' in shown


# -- the notice, and its link


def test_a_connected_provider_is_mailed_and_its_link_removes_it_and_ends_every_session(
    world: World,
) -> None:
    access = verified(world)
    other = login(world.client)
    github = ExternalIdentity("github", "gh-1", "alice@example.com", True, "Alice")
    world.services.of(FederationServices).identities.connect(Connect(actor(world, access), github))
    world.deliver()
    [mail] = notices(world)
    assert "github" in mail.subject and "github" in mail.text
    assert "removes this way to sign in" in mail.text
    status, _ = press(world, not_me_token(mail))
    assert status == 200
    assert not world.store.identities  # the link is gone
    for token in (access, other):
        assert world.client.get("/user", headers=bearer(token)).status_code == 401


def test_the_notice_names_the_provider_as_its_admin_named_it(world: World) -> None:
    # "Signing in with lantern was added" reads like phishing: the notice names the provider
    # as people know it (its name, set by an admin), never its id.
    provider = UpstreamProvider.configure(
        id="lantern",
        client_id="client",
        client_secret="secret",
        sealed_secret="sealed",
        now=world.clock.now(),
        issuer="https://id.lantern.example",
        name="Lantern Accounts",
    )
    world.adapters.of(FederationAdapters).upstream_providers.add(provider)
    access = verified(world)
    lantern = ExternalIdentity("lantern", "l-1", "alice@example.com", True, "Alice")
    world.services.of(FederationServices).identities.connect(Connect(actor(world, access), lantern))
    world.deliver()
    [mail] = notices(world)
    assert mail.subject == "Signing in with Lantern Accounts was added to your firegate account"
    assert "lantern" not in mail.text.lower().replace("lantern accounts", "")


def test_a_new_accounts_own_link_sends_no_notice(world: World) -> None:
    federated(world)
    world.deliver()
    assert notices(world, "fed@example.com") == []


def test_an_added_passkey_is_mailed_and_its_link_removes_that_passkey(world: World) -> None:
    access = verified(world)
    options = world.client.post("/auth/passkeys/registration/options", headers=bearer(access))
    body = {**SoftPasskey().register(options.get_json()), "name": "Call +1 555 0100 now"}
    added = world.client.post("/auth/passkeys/registration", headers=bearer(access), json=body)
    assert added.status_code == 201
    world.deliver()
    [mail] = notices(world)
    assert "passkey" in mail.subject and "555" not in mail.text  # no name its adder wrote
    status, _ = press(world, not_me_token(mail))
    assert status == 200
    assert world.client.get("/user", headers=bearer(access)).status_code == 401
    assert passkeys(world, login(world.client)) == []


def test_turned_on_two_step_login_is_removed_by_its_notices_link(world: World) -> None:
    access = verified(world)
    started = world.client.post(
        "/auth/mfa/totp", headers=bearer(access), json={"password": PASSWORD}
    ).get_json()
    code = pyotp.TOTP(started["secret"]).at(world.clock.now())
    confirmed = world.client.post(
        "/auth/mfa/totp/confirm", headers=bearer(access), json={"code": code}
    )
    assert confirmed.status_code == 200
    world.deliver()
    [mail] = notices(world)
    press(world, not_me_token(mail))
    assert not world.store.factors
    # The password alone signs in again: no second step is asked.
    assert (
        world.client.post("/login", json={"username": "alice", "password": PASSWORD}).status_code
        == 200
    )


# -- a first password


def test_an_account_without_a_password_sets_its_first_one(world: World) -> None:
    access = federated(world)
    answer = world.client.put("/user/password", headers=bearer(access), json={"new_password": NEW})
    assert answer.status_code == 204
    signed = world.client.post("/login", json={"username": "fed@example.com", "password": NEW})
    assert signed.status_code == 200
    # ... once: the next change asks for it.
    again = world.client.put(
        "/user/password", headers=bearer(access), json={"new_password": "yet another phrase"}
    )
    assert again.status_code == 409
    assert again.get_json()["code"] == "password_already_set"
    assert again.get_json()["errors"][0]["field"] == "current_password"
    world.deliver()
    [mail] = [m for m in notices(world, "fed@example.com") if "password" in m.subject]
    assert mail.subject == "A password was set for your firegate account"
    status, _ = press(world, not_me_token(mail))
    assert status == 200
    refused_login = world.client.post(
        "/login", json={"username": "fed@example.com", "password": NEW}
    )
    assert refused_login.status_code == 401  # the password is gone, a reset mail is on its way


def test_a_first_password_needs_a_recent_sign_in(world: World) -> None:
    with long_ago(world):
        access = federated(world)
    refused(world.client.put("/user/password", headers=bearer(access), json={"new_password": NEW}))
    assert next(iter(world.store.users.values())).password_hash is None


def test_a_current_password_for_an_account_without_one_is_wrong(world: World) -> None:
    access = federated(world)
    body = {"current_password": PASSWORD, "new_password": NEW}
    answer = world.client.put("/user/password", headers=bearer(access), json=body)
    assert answer.status_code == 403
    assert answer.get_json()["code"] == "invalid_current_password"


def test_the_security_page_offers_to_set_a_password_and_sets_it(world: World) -> None:
    federated(world)
    browser = world.app.test_client()
    # Signed in on the pages through the same Firebase account: a session of the browser.
    token = world.verifier.issue("fb-1", email="fed@example.com", display_name="Fed")
    pair = world.client.post("/auth/firebase", json={"id_token": token}).get_json()
    session = pair["access_token"] + SEPARATOR + pair["refresh_token"]
    browser.set_cookie("firegate_session", session)
    page = browser.get("/account/security").get_data(as_text=True)
    assert "Set a password" in page and "current_password" not in page
    form = {"new_password": NEW, "csrf_token": csrf(browser, "/account/security")}
    done = browser.post("/account/password", data=form)
    assert done.status_code == 303, done.get_data(as_text=True)
    signed = world.client.post("/login", json={"username": "fed@example.com", "password": NEW})
    assert signed.status_code == 200
