"""A sign-in's right password found breached (docs/security.md, "Breached passwords"): it
signs in, and with ``block`` the account asks every session for a new password (whoami and
the account pages say so) until one is set; the check is made at most once a day per
account; ``warn`` only records it; a failed check leaves it due."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from application.accounts.breached import BreachPolicy
from application.ports import Audit
from application.signin.login import ChangePassword
from bootstrap.accounts import AccountsAdapters
from domain.accounts.users import User
from tests.fakes.accounts import FakeBreachedPasswords
from tests.support.api import PASSWORD, bearer, login, register
from tests.support.app import World as AppWorld
from tests.support.pages import PASSWORD as PAGE_PASSWORD
from tests.support.pages import csrf, sign_up
from tests.support.use_cases import World

pytestmark = pytest.mark.unit

NEW = "a passphrase nobody has lost yet"
DAY = timedelta(days=1)


def breached_world(mode: str = "block") -> tuple[World, User]:
    world = World()
    user = world.register()  # set before the breach was known
    world.breaches.seen[PASSWORD] = 12
    world.breach_policy = BreachPolicy(mode="block" if mode == "block" else "warn")
    return world, user


def breached_events(world: World) -> list[tuple[str | None, str | None]]:
    return [(e.user_id, e.reason) for e in world.audit.events if e.event is Audit.PASSWORD_BREACHED]


def stored(world: World, user: User) -> User:
    found = world.users.get(user.id)
    assert found is not None
    return found


def test_a_breached_password_signs_in_and_asks_for_a_new_one() -> None:
    world, user = breached_world()
    assert world.login().access_token
    assert stored(world, user).password_change_required
    assert breached_events(world) == [(user.id, "sign_in")]
    world.change_password(ChangePassword(user.id, "s1", PASSWORD, NEW))
    assert not stored(world, user).password_change_required


def test_the_check_is_made_at_most_once_a_day_per_account() -> None:
    world, _ = breached_world()
    before = world.breaches.checks  # the sign-up's
    world.login()
    world.login()
    assert world.breaches.checks == before + 1
    world.clock.advance(hours=23, minutes=59)
    world.login()
    assert world.breaches.checks == before + 1
    world.clock.advance(minutes=1)
    world.login()
    assert world.breaches.checks == before + 2
    assert len(breached_events(world)) == 2


def test_warn_records_it_and_asks_nothing() -> None:
    world, user = breached_world(mode="warn")
    world.login()
    assert not stored(world, user).password_change_required
    assert breached_events(world) == [(user.id, "sign_in")]


def test_a_failed_check_signs_in_and_stays_due() -> None:
    world, user = breached_world()
    world.breaches.failing = "timeout"
    world.login()
    assert not stored(world, user).password_change_required
    assert stored(world, user).breach.checked_at is None
    world.breaches.failing = None
    world.login()
    assert stored(world, user).password_change_required


def app_world() -> tuple[AppWorld, FakeBreachedPasswords]:
    world = AppWorld(breached_passwords="block")
    breaches = world.adapters.of(AccountsAdapters).breaches
    assert isinstance(breaches, FakeBreachedPasswords)
    return world, breaches


def test_whoami_says_so_until_a_new_password_is_set() -> None:
    world, breaches = app_world()
    client = world.client
    register(client, "alice")
    breaches.seen[PASSWORD] = 1
    token = login(client, "alice")
    me = client.get("/auth/whoami", headers=bearer(token)).get_json()
    assert me["password_change_required"] is True
    change = {"current_password": PASSWORD, "new_password": NEW}
    assert client.put("/user/password", json=change, headers=bearer(token)).status_code == 204
    me = client.get("/auth/whoami", headers=bearer(token)).get_json()
    assert me["password_change_required"] is False


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "Choose a new password first."),
        ("es", "Elige primero una contraseña nueva."),
    ],
)
def test_the_account_pages_ask_for_a_new_password_first(language: str, words: str) -> None:
    world, breaches = app_world()
    client = world.client
    sign_up(world)
    client.post("/sign-out", data={"csrf_token": csrf(client, "/account")})
    breaches.seen[PAGE_PASSWORD] = 1
    # Known since the sign-up's sign-in checked it, a day ago.
    for user_id, user in world.store.users.items():
        world.store.users[user_id] = replace(
            user, breach=replace(user.breach, checked_at=user.created_at - DAY)
        )
    form = {"username": "alice", "password": PAGE_PASSWORD}
    answer = client.post("/sign-in", data={**form, "csrf_token": csrf(client, "/sign-in")})
    assert answer.status_code == 303
    headers = {"Accept-Language": language}
    html = client.get("/account", headers=headers).get_data(as_text=True)
    assert words in html and 'href="/account/security#password-heading"' in html
    assert html.index('id="password-change-required"') < html.index("<h2")
    form = {
        "current_password": PAGE_PASSWORD,
        "new_password": NEW,
        "csrf_token": csrf(client, "/account"),
    }
    assert client.post("/account/password", data=form).status_code in (200, 303)
    assert words not in client.get("/account", headers=headers).get_data(as_text=True)
