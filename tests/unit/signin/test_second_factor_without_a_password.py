"""An account without a password (made by an e-mail code, a passkey or another provider)
sets up, turns off and renews its second factor with a recent sign-in standing in for the
password, on every door that reaches ``TotpFactors``: the API's three routes and the
security section's three forms (docs/security.md, "MFA"). An account with a password still
gives it. The section says how the account signs in. On fakes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pyotp
import pytest
from flask.testing import FlaskClient

from tests.support.api import PASSWORD, bearer, login, register
from tests.support.app import World, app_time
from tests.support.email_codes import code_in
from tests.support.pages import csrf
from tests.support.step_up import challenged

pytestmark = pytest.mark.unit

REAUTH_MAX_AGE = 600  # the default
ADDRESS = "lea@example.com"


@pytest.fixture
def world() -> World:
    return World()


@contextmanager
def long_ago(world: World) -> Iterator[None]:
    """A sign-in inside is REAUTH_MAX_AGE and a second old afterwards."""
    world.clock.advance(seconds=-(REAUTH_MAX_AGE + 1))
    try:
        yield
    finally:
        world.clock.advance(seconds=REAUTH_MAX_AGE + 1)


def by_code(world: World, client: FlaskClient) -> str:
    """An account made (or signed in) by an e-mail code on the API: its access token."""
    asked = client.post("/auth/email-code", json={"email": ADDRESS})
    assert asked.status_code == 202, asked.get_json()
    world.deliver()
    mail = [m for m in world.mailer.to(ADDRESS) if "/sign-in/email?" in m.text][-1]
    body = {"flow_id": asked.get_json()["flow_id"], "code": code_in(mail.text)}
    answer = client.post("/auth/email-code/verify", json=body)
    assert answer.status_code == 200, answer.get_json()
    access: str = answer.get_json()["access_token"]
    return access


def by_code_in_browser(world: World) -> None:
    """The same on the pages: the browser ``world.client`` signed in by a code."""
    client = world.client
    token = csrf(client, "/sign-in/email-code")
    asked = client.post("/sign-in/email-code", data={"email": ADDRESS, "csrf_token": token})
    assert asked.status_code == 303, asked.get_data(as_text=True)
    path = asked.headers["Location"]
    world.deliver()
    mail = [m for m in world.mailer.to(ADDRESS) if "/sign-in/email?" in m.text][-1]
    form = {"code": code_in(mail.text), "csrf_token": csrf(client, path)}
    answer = client.post(path, data=form)
    assert answer.status_code == 303 and answer.headers["Location"] == "/account"


def code_now(secret: str, client: FlaskClient, offset: int = 0) -> str:
    return pyotp.TOTP(secret).at(app_time(client), counter_offset=offset)


def problem(answer: Any, status: int, code: str) -> None:
    assert answer.status_code == status, answer.get_json()
    assert answer.get_json()["code"] == code


def test_the_api_takes_a_recent_sign_in_for_the_missing_password(world: World) -> None:
    client = world.client
    with long_ago(world):
        old = by_code(world, client)
    challenged(client.post("/auth/mfa/totp", json={}, headers=bearer(old)))
    access = bearer(by_code(world, client))
    # A password given is checked, even where there is none.
    wrong = client.post("/auth/mfa/totp", json={"password": PASSWORD}, headers=access)
    problem(wrong, 403, "invalid_current_password")
    started = client.post("/auth/mfa/totp", json={}, headers=access)
    assert started.status_code == 200, started.get_json()
    secret = started.get_json()["secret"]
    confirmed = client.post(
        "/auth/mfa/totp/confirm", json={"code": code_now(secret, client)}, headers=access
    )
    assert confirmed.status_code == 200, confirmed.get_json()

    # New recovery codes and turning off: a code, and the recent sign-in.
    renewed = client.post(
        "/auth/mfa/recovery-codes", json={"code": code_now(secret, client, 1)}, headers=access
    )
    assert renewed.status_code == 200, renewed.get_json()
    off = client.delete(
        "/auth/mfa/totp", json={"code": renewed.get_json()["recovery_codes"][0]}, headers=access
    )
    assert off.status_code == 204, off.get_json()


def test_old_sign_ins_turn_off_and_renew_nothing_without_a_password(world: World) -> None:
    client = world.client
    with long_ago(world):
        old = bearer(by_code(world, client))
        secret = client.post("/auth/mfa/totp", json={}, headers=old).get_json()["secret"]
        confirmed = client.post(
            "/auth/mfa/totp/confirm", json={"code": code_now(secret, client)}, headers=old
        )
        assert confirmed.status_code == 200, confirmed.get_json()
        codes = confirmed.get_json()["recovery_codes"]
    for method, path in (("delete", "/auth/mfa/totp"), ("post", "/auth/mfa/recovery-codes")):
        answer = getattr(client, method)(path, json={"code": codes[0]}, headers=old)
        challenged(answer)
    assert world.store.factors  # still on, and the recovery code unspent
    (factor,) = world.store.factors.values()
    assert factor.active and len(factor.recovery_hashes) == 10


def test_an_account_with_a_password_still_gives_it(world: World) -> None:
    """Left out, it is no right password (403), not a malformed request: the field is
    optional in the API's schema, and a request the schema allows is never a 422."""
    client = world.client
    register(client)
    access = bearer(login(client))
    for method, path, body in (
        ("post", "/auth/mfa/totp", {}),
        ("delete", "/auth/mfa/totp", {"code": "123456"}),
        ("post", "/auth/mfa/recovery-codes", {"code": "123456"}),
    ):
        answer = getattr(client, method)(path, json=body, headers=access)
        problem(answer, 403, "invalid_current_password")
    started = client.post("/auth/mfa/totp", json={"password": PASSWORD}, headers=access)
    assert started.status_code == 200


def test_the_security_section_says_how_the_account_signs_in_and_asks_no_password(
    world: World,
) -> None:
    client = world.client
    by_code_in_browser(world)
    page = client.get("/account/security").get_data(as_text=True)
    assert "You sign in with:" in page and f"a code e-mailed to {ADDRESS}" in page
    assert "another provider or a passkey" not in page
    totp_form = page[page.index('action="/account/totp"') :]
    totp_form = totp_form[: totp_form.index("</form>")]
    assert 'name="password"' not in totp_form

    # Set up with no password, turn on, then renew and turn off with a code alone.
    form = {"csrf_token": csrf(client, "/account/security")}
    started = client.post("/account/totp", data=form)
    assert started.status_code == 200, started.get_data(as_text=True)
    shown = re.search(r'id="totp-secret">([A-Z2-7]+)<', started.get_data(as_text=True))
    assert shown is not None
    secret = shown.group(1)
    confirm = {"code": code_now(secret, client), "csrf_token": form["csrf_token"]}
    turned_on = client.post("/account/totp/confirm", data=confirm)
    assert turned_on.status_code == 200 and 'id="recovery-codes"' in turned_on.get_data(
        as_text=True
    )
    page = client.get("/account/security").get_data(as_text=True)
    assert "as a second step" in page and 'name="password"' not in page
    renew = {"code": code_now(secret, client, 1), "csrf_token": csrf(client, "/account/security")}
    renewed = client.post("/account/totp/recovery-codes", data=renew)
    assert renewed.status_code == 200
    recovery = re.findall(r"<li><code>([^<]+)</code></li>", renewed.get_data(as_text=True))
    assert len(recovery) == 10
    off = {"code": recovery[0], "csrf_token": csrf(client, "/account/security")}
    answer = client.post("/account/totp/disable", data=off)
    assert answer.status_code == 303 and answer.headers["Location"].endswith("done=totp-off")


def test_an_old_sign_in_is_sent_to_sign_in_again_and_back(world: World) -> None:
    with long_ago(world):
        by_code_in_browser(world)
    form = {"csrf_token": csrf(world.client, "/account/security")}
    answer = world.client.post("/account/totp", data=form)
    assert answer.status_code == 303
    assert answer.headers["Location"].startswith("/sign-in?again=1&next=%2Faccount%2Fsecurity")
    assert not world.store.factors


def test_the_spanish_section_names_the_ways_in(world: World) -> None:
    by_code_in_browser(world)
    page = world.client.get("/account/security", headers={"Accept-Language": "es"})
    text = page.get_data(as_text=True)
    assert "Esta cuenta no tiene contraseña. Entras con:" in text
    assert f"un código enviado por correo a {ADDRESS}" in text
