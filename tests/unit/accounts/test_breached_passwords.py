"""Breached passwords on the fakes (docs/security.md, "Breached passwords"): refused where a
password is set with ``block``, let through and recorded with ``warn``, unchecked with
``off``; the count threshold; a failed check lets the password through, counted; the pages
say why in English and Spanish. The range API itself: tests/integration/."""

from __future__ import annotations

import pytest

from application.accounts.breached import BreachPolicy
from application.accounts.signups import Register
from application.ports import Audit
from application.signin.login import ChangePassword
from bootstrap.accounts import AccountsAdapters
from domain.errors import InvalidInput
from infrastructure.metrics.prometheus import PrometheusMetrics
from tests.fakes.accounts import FakeBreachedPasswords
from tests.support.api import PASSWORD, assert_field_error, bearer, login, register
from tests.support.app import World as AppWorld
from tests.support.metrics import samples
from tests.support.pages import PASSWORD as PAGE_PASSWORD
from tests.support.pages import csrf, sign_up
from tests.support.use_cases import World

pytestmark = pytest.mark.unit

BREACHED = "hunter2 hunter2 hunter2"
SAFE = "a passphrase nobody has lost yet"


def world_with(mode: str = "block", min_count: int = 1, seen: int = 5) -> World:
    world = World()
    world.breaches.seen[BREACHED] = seen
    world.breach_policy = BreachPolicy(
        mode="block" if mode == "block" else "warn", min_count=min_count
    )
    if mode == "off":
        world.breach_policy = BreachPolicy(mode="off")
    return world


def change(world: World, new: str, current: str = PASSWORD) -> None:
    user = world.register()
    world.change_password(ChangePassword(user.id, "s1", current, new))


def test_a_breached_password_is_refused_at_sign_up_and_change() -> None:
    world = world_with()
    with pytest.raises(InvalidInput) as refused:
        world.account_cases().register(Register("bob", "bob@example.com", BREACHED, client_ip=""))
    assert refused.value.code == "password_breached"
    assert refused.value.errors[0].field == "password"
    assert world.users.find_by_login("bob") is None
    with pytest.raises(InvalidInput) as again:
        change(world, BREACHED)
    assert again.value.code == "password_breached"
    change_ok = world_with()
    change(change_ok, SAFE)


def test_the_count_threshold() -> None:
    below = world_with(min_count=10, seen=9)
    below.account_cases().register(Register("bob", "bob@example.com", BREACHED, client_ip=""))
    at = world_with(min_count=10, seen=10)
    with pytest.raises(InvalidInput):
        at.account_cases().register(Register("bob", "bob@example.com", BREACHED, client_ip=""))


def test_warn_lets_it_through_and_records_the_event() -> None:
    world = world_with(mode="warn")
    user = world.account_cases().register(
        Register("bob", "bob@example.com", BREACHED, client_ip="")
    )
    world.change_password(ChangePassword(user.id, "s1", BREACHED, "yet another " + BREACHED))
    breached = [e for e in world.audit.events if e.event is Audit.PASSWORD_BREACHED]
    assert [(e.user_id, e.reason) for e in breached] == [(None, "warn")]


def test_off_checks_nothing() -> None:
    world = world_with(mode="off")
    world.account_cases().register(Register("bob", "bob@example.com", BREACHED, client_ip=""))
    assert world.breaches.checks == 0


@pytest.mark.parametrize("outcome", ["timeout", "error"])
def test_a_failed_check_lets_the_password_through_and_is_counted(outcome: str) -> None:
    world = world_with()
    metrics = PrometheusMetrics()
    world.metrics = metrics
    world.breaches.failing = "timeout" if outcome == "timeout" else "error"
    world.account_cases().register(Register("bob", "bob@example.com", BREACHED, client_ip=""))
    world.breaches.failing = None
    with pytest.raises(InvalidInput):
        world.account_cases().register(
            Register("carol", "carol@example.com", BREACHED, client_ip="")
        )
    seen = samples(metrics.exposition().decode())
    assert seen[f'firegate_breached_password_checks_total{{outcome="{outcome}"}}'] == 1
    assert seen['firegate_breached_password_checks_total{outcome="breached"}'] == 1


def breached_app() -> AppWorld:
    world = AppWorld(breached_passwords="block")
    breaches = world.adapters.of(AccountsAdapters).breaches
    assert isinstance(breaches, FakeBreachedPasswords)
    breaches.seen[BREACHED] = 3
    return world


def test_the_api_refuses_it_everywhere_a_password_is_set() -> None:
    world = breached_app()
    client = world.client
    body = {"username": "bob", "email": "bob@example.com", "password": BREACHED}
    assert_field_error(client.post("/register", json=body), "password", "password_breached")
    register(client, "alice")
    token = login(client, "alice")
    put = {"current_password": PASSWORD, "new_password": BREACHED}
    answer = client.put("/user/password", json=put, headers=bearer(token))
    assert_field_error(answer, "password", "password_breached")
    client.post("/auth/password/forgot", json={"email": "alice@example.com"})
    world.deliver()
    token_of_mail = world.token("alice@example.com", "/reset-password")
    assert world.reset(token_of_mail, BREACHED) == 422
    assert world.reset(token_of_mail, SAFE) == 204


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "This password has appeared in a data breach; choose another."),
        ("es", "Esta contraseña ha aparecido en una filtración de datos; elige otra."),
    ],
)
def test_the_pages_say_why(language: str, words: str) -> None:
    world = breached_app()
    client = world.client
    headers = {"Accept-Language": language}
    form = {"username": "bob", "email": "bob@example.com", "password": BREACHED}
    answer = client.post("/sign-up", data={**form, "csrf_token": csrf(client)}, headers=headers)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422 and 'id="password-error"' in html and words in html
    sign_up(world)
    form = {
        "current_password": PAGE_PASSWORD,
        "new_password": BREACHED,
        "csrf_token": csrf(client, "/account"),
    }
    answer = client.post("/account/password", data=form, headers=headers)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422 and words in html
