"""Upgrading a guest in place by a password (docs/guests.md, "Upgrading in place"):
``POST /auth/guest/upgrade`` keeps the account's id and its session, ends ``guest``, and passes
every rule a sign-up passes; a way in another account holds is 409 ``account_exists``."""

from __future__ import annotations

import json
from typing import Any

import pytest

from application.hooks.admin import SetAuthHook
from application.hooks.services import HookServices
from bootstrap.accounts import AccountsAdapters
from bootstrap.hooks import HooksAdapters
from domain.accounts.guest.part import Guest
from tests.fakes.accounts import FakeBreachedPasswords
from tests.fakes.hooks import FakeHookClient
from tests.support import guest_accounts
from tests.support.api import PASSWORD, assert_problem, bearer, register
from tests.support.app import World
from tests.support.dpop import claims_of
from tests.support.email_codes import code_in
from tests.support.passkey_authenticator import Passkey, passkey_sign_in
from tests.support.webhooks import ADMIN

pytestmark = pytest.mark.unit

CHALLENGED = {
    "challenge_provider": "turnstile",
    "challenge_site_key": "k",
    "challenge_secret": "s",
    "challenge_signups_per_hour": 1,
}


def body(name: str = "ann", **changes: Any) -> dict[str, Any]:
    return {"username": name, "email": f"{name}@example.com", "password": PASSWORD, **changes}


def new_guest(world: World) -> dict[str, Any]:
    """A guest made as POST /auth/guest makes one (tests/support/guest_accounts.py)."""
    made = guest_accounts.new_guest(world.client)
    return {"access_token": made.access_token, "refresh_token": made.refresh_token}


def upgrade(world: World, pair: dict[str, Any], **given: Any) -> Any:
    return world.client.post(
        "/auth/guest/upgrade", json=given or body(), headers=bearer(pair["access_token"])
    )


def test_the_guest_becomes_an_account_keeping_its_id_and_session() -> None:
    world = World(guest_accounts=True)
    pair = new_guest(world)
    uid = claims_of(pair["access_token"])["sub"]
    answer = upgrade(world, pair)
    assert answer.status_code == 200, answer.get_json()
    me = answer.get_json()
    assert (me["id"], me["guest"], me["username"], me["email"]) == (
        uid,
        False,
        "ann",
        "ann@example.com",
    )
    assert me["email_verified"] is False
    stored = world.store.users[uid]
    assert not stored.part(Guest).is_guest and stored.password_hash is not None
    assert world.store.usernames == {"ann": uid}
    refreshed = world.client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.get_json()
    renewed = claims_of(refreshed.get_json()["access_token"])
    assert renewed["sub"] == uid and "guest" not in renewed
    assert renewed["sid"] == claims_of(pair["access_token"])["sid"]
    login = world.client.post("/login", json={"username": "ann", "password": PASSWORD})
    assert login.status_code == 200
    assert claims_of(login.get_json()["access_token"])["sub"] == uid


def test_the_address_is_sent_its_verification_mail() -> None:
    world = World(guest_accounts=True)
    upgrade(world, new_guest(world))
    world.deliver()
    assert any("/verify" in m.text for m in world.mailer.to("ann@example.com"))


def test_an_account_that_is_no_guest_answers_409_not_a_guest() -> None:
    world = World(guest_accounts=True)
    pair = new_guest(world)
    assert upgrade(world, pair).status_code == 200
    assert_problem(upgrade(world, pair, **body("bob")), 409, "not_a_guest")
    register(world.client, "carol")
    token = world.client.post("/login", json={"username": "carol", "password": PASSWORD})
    person = {"access_token": token.get_json()["access_token"]}
    assert_problem(upgrade(world, person, **body("dave")), 409, "not_a_guest")


@pytest.mark.parametrize(
    "taken", [body("ann", email="zed@example.com"), body("zed", email="ann@example.com")]
)
def test_a_username_or_address_of_another_account_is_409_account_exists(
    taken: dict[str, Any],
) -> None:
    world = World(guest_accounts=True)
    register(world.client, "ann")
    pair = new_guest(world)
    assert_problem(upgrade(world, pair, **taken), 409, "account_exists")
    uid = claims_of(pair["access_token"])["sub"]
    assert world.store.users[uid].part(Guest).is_guest


def test_the_domain_lists_hold_for_the_address_it_takes() -> None:
    world = World(guest_accounts=True, signup_domains_allow=["corp.example"])
    pair = new_guest(world)
    refused = assert_problem(upgrade(world, pair), 403, "signup_not_allowed")
    assert refused["reason"] == "domain_not_allowed"
    ok = upgrade(world, pair, **body("ann", email="ann@corp.example"))
    assert ok.status_code == 200, ok.get_json()


def test_a_breached_password_is_refused_as_at_sign_up() -> None:
    world = World(guest_accounts=True, breached_passwords="block")
    breaches = world.adapters.of(AccountsAdapters).breaches
    assert isinstance(breaches, FakeBreachedPasswords)
    breaches.seen[PASSWORD] = 5
    pair = new_guest(world)
    answer = upgrade(world, pair)
    assert answer.status_code == 422, answer.get_json()
    assert world.store.users[claims_of(pair["access_token"])["sub"]].part(Guest).is_guest


def test_the_challenge_is_asked_of_a_client_that_signs_up_often() -> None:
    world = World(guest_accounts=True, **CHALLENGED)
    pair = new_guest(world)  # the client's one sign-up of the hour
    assert_problem(upgrade(world, pair), 401, "challenge_required")


def test_the_before_sign_up_hook_is_asked_and_may_refuse() -> None:
    world = World(guest_accounts=True)
    pair = new_guest(world)
    world.services.of(HookServices).hooks.set(
        SetAuthHook(ADMIN, "before_sign_up", "http://127.0.0.1:9/hook")
    )
    client = world.adapters.of(HooksAdapters).hook_client
    assert isinstance(client, FakeHookClient)
    client.answer = {"decision": "deny", "message": "Not you."}
    assert assert_problem(upgrade(world, pair), 403, "signup_denied")["detail"] == "Not you."
    asked = json.loads(client.asked[-1][1])["user"]
    assert (asked["method"], asked["email"], asked["username"]) == (
        "guest_upgrade",
        "ann@example.com",
        "ann",
    )
    assert world.store.users[claims_of(pair["access_token"])["sub"]].part(Guest).is_guest


def test_a_bad_body_is_422_and_no_token_401() -> None:
    world = World(guest_accounts=True)
    pair = new_guest(world)
    assert upgrade(world, pair, username="ann", email="ann@example.com").status_code == 422
    assert world.client.post("/auth/guest/upgrade", json=body()).status_code == 401


# -- by a code started with the guest's bearer token ------------------------------------------


def email_code(world: World, pair: dict[str, Any] | None, address: str) -> Any:
    headers = bearer(pair["access_token"]) if pair is not None else {}
    asked = world.client.post("/auth/email-code", json={"email": address}, headers=headers)
    assert asked.status_code == 202, asked.get_json()
    world.deliver()
    code = code_in(world.mailer.to(address)[-1].text)
    body = {"flow_id": asked.get_json()["flow_id"], "code": code}
    return world.client.post("/auth/email-code/verify", json=body)


def test_an_email_code_asked_by_the_guest_makes_its_address_the_guests_verified() -> None:
    world = World(guest_accounts=True)
    pair = new_guest(world)
    uid = claims_of(pair["access_token"])["sub"]
    answer = email_code(world, pair, "ann@example.com")
    assert answer.status_code == 200, answer.get_json()
    assert claims_of(answer.get_json()["access_token"])["sub"] == uid
    stored = world.store.users[uid]
    assert (
        not stored.part(Guest).is_guest and stored.email_verified and stored.password_hash is None
    )
    assert stored.email is not None and stored.email.value == "ann@example.com"
    assert len(world.store.users) == 1
    refreshed = world.client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert refreshed.status_code == 200
    assert "guest" not in claims_of(refreshed.get_json()["access_token"])


def test_an_email_code_for_another_accounts_address_is_409_account_exists() -> None:
    world = World(guest_accounts=True)
    register(world.client, "ann")
    pair = new_guest(world)
    assert_problem(email_code(world, pair, "ann@example.com"), 409, "account_exists")
    assert world.store.users[claims_of(pair["access_token"])["sub"]].part(Guest).is_guest


def test_an_email_code_of_a_guest_passes_the_lists() -> None:
    world = World(guest_accounts=True, signup_domains_block=["example.com"])
    pair = new_guest(world)
    refused = assert_problem(email_code(world, pair, "ann@example.com"), 403, "signup_not_allowed")
    assert refused["reason"] == "domain_blocked"


def test_a_code_asked_by_a_guest_upgraded_meanwhile_is_409_not_a_guest() -> None:
    world = World(guest_accounts=True)
    pair = new_guest(world)
    asked = world.client.post(
        "/auth/email-code", json={"email": "bo@example.com"}, headers=bearer(pair["access_token"])
    )
    assert upgrade(world, pair).status_code == 200
    world.deliver()
    code = code_in(world.mailer.to("bo@example.com")[-1].text)
    body = {"flow_id": asked.get_json()["flow_id"], "code": code}
    assert_problem(world.client.post("/auth/email-code/verify", json=body), 409, "not_a_guest")


def test_a_code_asked_with_a_persons_token_signs_in_as_ever() -> None:
    world = World(guest_accounts=True)
    register(world.client, "ann")
    person = world.client.post("/login", json={"username": "ann", "password": PASSWORD})
    answer = email_code(world, person.get_json(), "bo@example.com")
    assert answer.status_code == 200
    assert len(world.store.users) == 2


# -- by a passkey registered while signed in as the guest -------------------------------------


def passkey_registration(world: World, pair: dict[str, Any], key: Passkey, **extra: Any) -> Any:
    headers = bearer(pair["access_token"])
    options = world.client.post("/auth/passkeys/registration/options", headers=headers)
    assert options.status_code == 200, options.get_json()
    body = {**key.register(options.get_json()), **extra}
    return world.client.post("/auth/passkeys/registration", headers=headers, json=body)


def test_a_guests_passkey_makes_it_an_account_named_as_it_says() -> None:
    world = World(guest_accounts=True)
    pair = new_guest(world)
    uid = claims_of(pair["access_token"])["sub"]
    key = Passkey()
    made = passkey_registration(world, pair, key, username="ann")
    assert made.status_code == 201, made.get_json()
    stored = world.store.users[uid]
    assert (
        not stored.part(Guest).is_guest
        and stored.username is not None
        and stored.username.value == "ann"
    )
    signed_in = passkey_sign_in(world.client, key)
    assert signed_in.status_code == 200, signed_in.get_json()
    assert claims_of(signed_in.get_json()["access_token"])["sub"] == uid
    refreshed = world.client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert refreshed.status_code == 200 and "guest" not in claims_of(
        refreshed.get_json()["access_token"]
    )


def test_a_guest_signed_in_long_ago_adds_its_passkey_with_nothing_to_sign_in_again_with() -> None:
    """A guest has no other way in to sign in again with: its session, however old, is the
    proof a new way in asks of it (docs/security.md, "A new way in")."""
    world = World(guest_accounts=True)
    world.clock.advance(seconds=-601)  # made REAUTH_MAX_AGE and a second ago (the tokens'
    pair = new_guest(world)  # own checks read the real time: the clock is not moved on)
    world.clock.advance(seconds=601)
    made = passkey_registration(world, pair, Passkey(), username="ann")
    assert made.status_code == 201, made.get_json()


def test_a_guests_passkey_without_a_username_is_422_and_adds_nothing() -> None:
    world = World(guest_accounts=True)
    pair = new_guest(world)
    answer = passkey_registration(world, pair, Passkey())
    assert_problem(answer, 422, "username_required")
    assert world.store.users[claims_of(pair["access_token"])["sub"]].part(Guest).is_guest


def test_a_guests_passkey_under_another_accounts_name_is_409_and_adds_no_passkey() -> None:
    world = World(guest_accounts=True)
    register(world.client, "ann")
    pair = new_guest(world)
    key = Passkey()
    assert_problem(passkey_registration(world, pair, key, username="ann"), 409, "account_exists")
    assert world.store.users[claims_of(pair["access_token"])["sub"]].part(Guest).is_guest
    assert passkey_sign_in(world.client, key).status_code == 401


def test_a_username_with_the_passkey_of_an_account_that_is_no_guest_is_409_and_adds_none() -> None:
    """A username asks for an upgrade: an account that signed up already (a racing upgrade
    won, or it never was a guest) is 409 ``not_a_guest``, and its passkey is not stored."""
    world = World(guest_accounts=True)
    pair = new_guest(world)
    assert upgrade(world, pair).status_code == 200  # the guest signed up meanwhile
    key = Passkey()
    answer = passkey_registration(world, pair, key, username="another")
    assert_problem(answer, 409, "not_a_guest")
    assert passkey_sign_in(world.client, key).status_code == 401
    name = world.store.users[claims_of(pair["access_token"])["sub"]].username
    assert name is not None and name.value == "ann"
