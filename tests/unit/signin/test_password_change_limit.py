"""Password changes counted per account (docs/security.md, "Password changes"): each change
or first password that passes its checks counts, a breached one refused too, and past
PASSWORD_CHANGE_LIMIT in PASSWORD_CHANGE_WINDOW it is 429 ``too_many_password_changes``
with no lookup of breached passwords, on every way a signed-in person sets a password: the
API and the pages, a change and a first password. On fakes; the race on Firestore is in
tests/e2e/test_password_change_limit_emulator.py."""

from __future__ import annotations

import inspect
from collections.abc import Callable

import pytest
from werkzeug.test import TestResponse

from application.signin.login import ChangePassword
from bootstrap.accounts import AccountsAdapters
from domain.errors import DomainError, RateLimited
from interfaces.web.browser import SEPARATOR
from tests.fakes.accounts import FakeBreachedPasswords
from tests.support.api import PASSWORD, bearer, register
from tests.support.api import login as api_login
from tests.support.app import World as AppWorld
from tests.support.pages import PASSWORD as PAGE_PASSWORD
from tests.support.pages import csrf, sign_up
from tests.support.use_cases import World

pytestmark = pytest.mark.unit

BREACHED = [f"a breached passphrase number {n}" for n in range(10)]
GOOD = "a passphrase nobody has lost yet"
BUDGET = 10  # PASSWORD_CHANGE_LIMIT's default


def too_many(answer: TestResponse) -> None:
    assert answer.status_code == 429, answer.get_data(as_text=True)
    assert 1 <= int(answer.headers["Retry-After"]) <= 2 * 3600


# -- the use case


def test_the_eleventh_change_in_an_hour_is_refused_before_any_lookup() -> None:
    world = World()
    user = world.register()
    current = PASSWORD
    for n in range(BUDGET):
        new = f"{GOOD} {n}"
        world.change_password(ChangePassword(user.id, "s1", current, new))
        current = new
    checks = world.breaches.checks
    with pytest.raises(RateLimited) as refused:
        world.change_password(ChangePassword(user.id, "s1", current, GOOD))
    assert refused.value.code == "too_many_password_changes" and refused.value.retry_after >= 1
    assert world.breaches.checks == checks  # no lookup past the budget
    stored = world.users.get(user.id)
    assert stored is not None and world.hasher.verify(stored.password_hash or "", current)
    other = world.register("bob")  # another account has its own budget
    world.change_password(ChangePassword(other.id, "s2", PASSWORD, GOOD))


def test_refused_breached_passwords_count_and_other_refusals_do_not() -> None:
    world = World()
    world.breaches.seen.update(dict.fromkeys(BREACHED, 3))
    user = world.register()
    checks = world.breaches.checks  # the sign-up's
    for _ in range(20):  # a wrong current password is the login throttle's to count
        with pytest.raises(DomainError) as wrong:
            world.change_password(ChangePassword(user.id, "s1", "not my password", GOOD))
        assert wrong.value.code in {
            "invalid_current_password",
            "too_many_login_failures",
        }
    world.throttle = type(world.throttle)()  # a fresh throttle: the guesses forgotten
    for _ in range(20):  # nor does what the local rules refuse, with no lookup
        with pytest.raises(DomainError) as short:
            world.change_password(ChangePassword(user.id, "s1", PASSWORD, "short"))
        assert short.value.code != "too_many_password_changes"
    assert world.breaches.checks == checks
    for password in BREACHED:
        with pytest.raises(DomainError) as breached:
            world.change_password(ChangePassword(user.id, "s1", PASSWORD, password))
        assert breached.value.code == "password_breached"
    with pytest.raises(RateLimited):
        world.change_password(ChangePassword(user.id, "s1", PASSWORD, GOOD))
    assert world.breaches.checks == checks + len(BREACHED)


# -- every way in


def app_world() -> AppWorld:
    world = AppWorld(breached_passwords="block")
    breaches = world.adapters.of(AccountsAdapters).breaches
    assert isinstance(breaches, FakeBreachedPasswords)
    breaches.seen.update(dict.fromkeys(BREACHED, 3))
    return world


def federated_access(world: AppWorld) -> tuple[str, str]:
    """An account made by a Firebase sign-in (no password): its access and refresh tokens."""
    token = world.verifier.issue("fb-1", email="fed@example.com", display_name="Fed")
    answer = world.client.post("/auth/firebase", json={"id_token": token})
    assert answer.status_code == 200, answer.get_json()
    pair = answer.get_json()
    return pair["access_token"], pair["refresh_token"]


Attempt = Callable[[str], TestResponse]  # a new password -> the answer


def api_change(world: AppWorld) -> Attempt:
    register(world.client, "alice")
    access = api_login(world.client)
    return lambda new: world.client.put(
        "/user/password",
        json={"current_password": PASSWORD, "new_password": new},
        headers=bearer(access),
    )


def api_first_password(world: AppWorld) -> Attempt:
    access, _ = federated_access(world)
    return lambda new: world.client.put(
        "/user/password", json={"new_password": new}, headers=bearer(access)
    )


def page_change(world: AppWorld) -> Attempt:
    sign_up(world)
    client = world.client
    form = {"current_password": PAGE_PASSWORD}
    return lambda new: client.post(
        "/account/password",
        data={**form, "new_password": new, "csrf_token": csrf(client, "/account/security")},
    )


def page_first_password(world: AppWorld) -> Attempt:
    access, refresh = federated_access(world)
    browser = world.app.test_client()
    browser.set_cookie("firegate_session", access + SEPARATOR + refresh)
    return lambda new: browser.post(
        "/account/password",
        data={"new_password": new, "csrf_token": csrf(browser, "/account/security")},
    )


WAYS = {
    "api_change": api_change,
    "api_first_password": api_first_password,
    "page_change": page_change,
    "page_first_password": page_first_password,
}


@pytest.mark.parametrize("way", sorted(WAYS))
def test_every_way_to_set_a_password_meets_the_budget(way: str) -> None:
    world = app_world()
    attempt = WAYS[way](world)
    breaches = world.adapters.of(AccountsAdapters).breaches
    assert isinstance(breaches, FakeBreachedPasswords)
    checks = breaches.checks  # the sign-up's and the sign-in's
    for password in BREACHED:
        assert attempt(password).status_code == 422
    assert breaches.checks == checks + BUDGET
    refused = attempt(GOOD)
    too_many(refused)
    assert breaches.checks == checks + BUDGET
    if way.startswith("api"):
        assert refused.get_json()["code"] == "too_many_password_changes"
    else:
        html = refused.get_data(as_text=True)
        assert 'role="alert"' in html and "Too many password changes; try again later." in html


def test_the_pages_say_it_in_spanish() -> None:
    world = app_world()
    attempt = page_change(world)
    for password in BREACHED:
        attempt(password)
    form = {"current_password": PAGE_PASSWORD, "new_password": GOOD}
    answer = world.client.post(
        "/account/password",
        data={**form, "csrf_token": csrf(world.client, "/account/security")},
        headers={"Accept-Language": "es"},
    )
    too_many(answer)
    assert "Demasiados cambios de contraseña; inténtalo más tarde." in answer.get_data(as_text=True)


def test_these_are_all_the_routes_that_set_a_signed_in_persons_password() -> None:
    """The ways above, enumerated from the app: every route whose view calls the password
    change is one of them (a new one must join WAYS)."""
    app = AppWorld().app
    views = {
        endpoint
        for endpoint, view in app.view_functions.items()
        if ".change_password(" in inspect.getsource(view)
    }
    routes = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint in views
        for method in rule.methods or ()
        if method not in {"HEAD", "OPTIONS"}
    }
    assert routes == {("PUT", "/user/password"), ("POST", "/account/password")}
