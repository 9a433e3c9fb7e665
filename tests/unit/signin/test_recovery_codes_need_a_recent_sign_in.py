"""Recovery codes are a lasting way in: every way of making them (an authenticator turned
on, a new set, a passwordless account's first) needs a session signed in within
REAUTH_MAX_AGE (docs/security.md, "A new way in"). An older one is refused — 403
``reauthentication_required`` from the API, sent to sign in again by the pages — and a fresh
one gets codes that work, at /login for an account without a password
(docs/decisions/0476-recovery-codes-without-a-password.md). On fakes;
tests/e2e/test_recovery_codes_emulator.py walks the same paths on Firestore."""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.api import PASSWORD, bearer, login, register
from tests.support.app import World, app_time
from tests.support.email_codes import code_in
from tests.support.pages import csrf
from tests.support.step_up import challenged
from tests.support.totp import enrol, next_code

pytestmark = pytest.mark.unit

REAUTH_MAX_AGE = 600  # the default
# Every route that makes recovery codes, by the use case it calls: the API's and the pages'.
MAKERS = {"confirm", "new_recovery_codes", "first_recovery_codes"}
ROUTES = {
    ("POST", "/auth/mfa/totp/confirm"),
    ("POST", "/auth/mfa/recovery-codes"),
    ("POST", "/account/totp/confirm"),
    ("POST", "/account/totp/recovery-codes"),
    ("POST", "/sign-up/recovery-codes"),
}
AGAIN = re.compile(r"^/sign-in\?again=1&next=%2Faccount%2Fsecurity")
CODES_PAGE = "/sign-up/recovery-codes?next=/account"
ADDRESS = "noa@example.com"


@pytest.fixture
def world() -> World:
    return World()


@contextmanager
def long_ago(world: World) -> Iterator[None]:
    """What is done inside happens REAUTH_MAX_AGE and a second ago: a sign-in there is too
    old to make codes now, its access token (15 minutes) still valid."""
    world.clock.advance(seconds=-(REAUTH_MAX_AGE + 1))
    try:
        yield
    finally:
        world.clock.advance(seconds=REAUTH_MAX_AGE + 1)


def makers_of(app: Flask) -> set[tuple[str, str]]:
    """The routes whose view calls a use case of the authenticator's that makes codes."""
    found = set()
    for rule in app.url_map.iter_rules():
        names = set(inspect.unwrap(app.view_functions[rule.endpoint]).__code__.co_names)
        if "totp" in names and names & MAKERS:
            found |= {(method, rule.rule) for method in rule.methods or () if method == "POST"}
    return found


def test_the_routes_walked_here_are_every_one_that_makes_codes(world: World) -> None:
    assert makers_of(world.app) == ROUTES


def refused(answer: Any) -> None:
    challenged(answer)


def sent_to_sign_in_again(answer: Any) -> None:
    assert answer.status_code == 303 and AGAIN.match(answer.headers["Location"])


def second_step(client: FlaskClient, body: dict[str, str], username: str = "alice") -> str:
    """A sign-in with the password, then ``body`` (a code or a recovery code): its token."""
    first = client.post("/login", json={"username": username, "password": PASSWORD})
    assert first.status_code == 401 and first.get_json()["code"] == "mfa_required"
    done = client.post("/login/mfa", json={"mfa_token": first.get_json()["mfa_token"], **body})
    assert done.status_code == 200, done.get_json()
    token: str = done.get_json()["access_token"]
    return token


def hashes(world: World) -> tuple[str, ...]:
    [factor] = world.store.factors.values()
    return factor.recovery_hashes


# -- a new set, behind the password and a code


def test_a_new_set_over_the_api_needs_a_recent_sign_in(world: World) -> None:
    client = world.client
    register(client)
    with long_ago(world):  # turned on then (the codes' steps are then's), signed in then
        secret, first = enrol(client, login(client))
        old = second_step(client, {"code": next_code(secret, client)})
    before = hashes(world)
    body = {"password": PASSWORD, "code": first[0]}
    refused(client.post("/auth/mfa/recovery-codes", json=body, headers=bearer(old)))
    assert hashes(world) == before  # nothing made, and the code given is not spent

    fresh = second_step(client, {"recovery_code": first[1]})
    made = client.post("/auth/mfa/recovery-codes", json=body, headers=bearer(fresh))
    assert made.status_code == 200, made.get_json()
    codes = made.get_json()["recovery_codes"]
    assert len(codes) == 10 and hashes(world) != before
    assert second_step(client, {"recovery_code": codes[0]})  # one of them signs in


def test_a_new_set_on_the_page_sends_an_old_session_to_sign_in_again(world: World) -> None:
    client = world.client
    register(client)
    with long_ago(world):
        secret, first = enrol(client, login(client))
        page_sign_in(client, {"code": next_code(secret, client)})
    before = hashes(world)
    form = {"password": PASSWORD, "code": first[0], "csrf_token": csrf(client, "/account")}
    sent_to_sign_in_again(client.post("/account/totp/recovery-codes", data=form))
    assert hashes(world) == before

    page_sign_in(client, {"recovery_code": first[1]})
    form["csrf_token"] = csrf(client, "/account")
    made = client.post("/account/totp/recovery-codes", data=form)
    codes = re.findall(r"<li><code>([^<]+)</code></li>", made.get_data(as_text=True))
    assert made.status_code == 200 and len(codes) == 10
    assert second_step(client, {"recovery_code": codes[0]})


def page_sign_in(client: FlaskClient, second: dict[str, str]) -> None:
    """The browser signs in on the pages: the password, then ``second`` at /sign-in/mfa."""
    token = csrf(client, "/sign-in?again=1")  # signed in already, the page asks again
    form = {"username": "alice", "password": PASSWORD, "csrf_token": token}
    assert client.post("/sign-in", data=form).headers["Location"].startswith("/sign-in/mfa")
    step = {**second, "csrf_token": csrf(client, "/sign-in/mfa")}
    assert client.post("/sign-in/mfa", data=step).status_code == 303


# -- an authenticator turned on: its first code makes the codes


def test_turning_on_over_the_api_needs_a_recent_sign_in_at_its_confirmation(
    world: World,
) -> None:
    client = world.client
    register(client)
    with long_ago(world):
        old = login(client)
        started = client.post("/auth/mfa/totp", json={"password": PASSWORD}, headers=bearer(old))
        assert started.status_code == 200  # signed in lately then
    secret = started.get_json()["secret"]
    code = {"code": pyotp.TOTP(secret).at(app_time(client))}
    refused(client.post("/auth/mfa/totp/confirm", json=code, headers=bearer(old)))
    [factor] = world.store.factors.values()
    assert not factor.active and factor.recovery_hashes == ()

    confirmed = client.post("/auth/mfa/totp/confirm", json=code, headers=bearer(login(client)))
    assert confirmed.status_code == 200, confirmed.get_json()
    codes = confirmed.get_json()["recovery_codes"]
    assert second_step(client, {"recovery_code": codes[0]})


def test_turning_on_on_the_page_sends_an_old_session_to_sign_in_again(world: World) -> None:
    client = world.client
    register(client)
    with long_ago(world):
        form = {"username": "alice", "password": PASSWORD, "csrf_token": csrf(client, "/sign-in")}
        assert client.post("/sign-in", data=form).status_code == 303
        start = {"password": PASSWORD, "csrf_token": csrf(client, "/account")}
        started = client.post("/account/totp", data=start).get_data(as_text=True)
    found = re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', started)
    assert found is not None
    code = {"code": pyotp.TOTP(found.group(1)).at(app_time(client))}
    confirm = {**code, "csrf_token": csrf(client, "/account")}
    sent_to_sign_in_again(client.post("/account/totp/confirm", data=confirm))
    [factor] = world.store.factors.values()
    assert not factor.active

    form["csrf_token"] = csrf(client, "/sign-in?again=1")
    assert client.post("/sign-in", data=form).status_code == 303  # no second step yet
    confirm["csrf_token"] = csrf(client, "/account")
    confirmed = client.post("/account/totp/confirm", data=confirm)
    codes = re.findall(r"<li><code>([^<]+)</code></li>", confirmed.get_data(as_text=True))
    assert confirmed.status_code == 200 and len(codes) == 10
    assert second_step(client, {"recovery_code": codes[0]})


# -- a passwordless account's first codes, at the end of passkey-first sign-up


def signed_in_by_code(world: World, client: FlaskClient) -> None:
    """``client`` signs in by an e-mailed code (the account made by it, if new)."""
    start = {"email": ADDRESS, "csrf_token": csrf(client, "/sign-in/email-code")}
    verify = client.post("/sign-in/email-code", data=start).headers["Location"]
    world.deliver()
    code = code_in([m for m in world.mailer.to(ADDRESS) if "/sign-in/email?" in m.text][-1].text)
    answer = client.post(verify, data={"code": code, "csrf_token": csrf(client, verify)})
    assert answer.headers["Location"] == "/account"


def test_the_first_codes_need_a_recent_sign_in_and_then_sign_in_at_login(world: World) -> None:
    client = world.client
    with long_ago(world):
        signed_in_by_code(world, client)
    [user] = world.store.users.values()
    asked = client.post(CODES_PAGE, data={"csrf_token": csrf(client, CODES_PAGE)})
    sent_to_sign_in_again(asked)
    assert world.store.factors == {}  # none made, so the set is still to be shown

    signed_in_by_code(world, client)
    shown = client.post(CODES_PAGE, data={"csrf_token": csrf(client, CODES_PAGE)})
    codes = re.findall(r"<li><code>([a-z2-7-]+)</code></li>", shown.get_data(as_text=True))
    assert len(codes) == 10 and world.store.factors[user.id].codes_only
    signed = client.post("/login", json={"username": ADDRESS, "password": codes[0]})
    assert signed.status_code == 200, signed.get_json()
    assert signed.get_json()["access_token"]
