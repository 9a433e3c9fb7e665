"""Passkey-first sign-up's recovery codes on fakes (docs/decisions/0476): made once for an
account without a password, shown once, no second step after a code's sign-in, and each one
signs in once in the password's place."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from tests.support.api import PASSWORD, register
from tests.support.app import World
from tests.support.email_codes import code_in
from tests.support.pages import csrf

pytestmark = pytest.mark.unit
CODES = "/sign-up/recovery-codes?next=/account"
ADDRESS = "noa@example.com"


@pytest.fixture
def world() -> World:
    return World()


def signed_in_by_code(world: World, client: FlaskClient) -> None:
    """``client`` signs in by an e-mailed code (the account made by it, if new)."""
    start = {"email": ADDRESS, "csrf_token": csrf(client, "/sign-in/email-code")}
    verify = client.post("/sign-in/email-code", data=start).headers["Location"]
    world.deliver()
    code = code_in([m for m in world.mailer.to(ADDRESS) if "/sign-in/email?" in m.text][-1].text)
    answer = client.post(verify, data={"code": code, "csrf_token": csrf(client, verify)})
    assert answer.headers["Location"] == "/account"  # no second step asked


def shown_codes(client: FlaskClient) -> list[str]:
    html = client.post(CODES, data={"csrf_token": csrf(client, CODES)}).get_data(as_text=True)
    return re.findall(r"<li><code>([a-z2-7-]+)</code></li>", html)


def test_the_codes_are_shown_once_and_each_signs_in_once(world: World) -> None:
    signed_in_by_code(world, world.client)
    [user] = world.store.users.values()
    assert user.password_hash is None
    for _ in range(2):  # opening the page (a link, a prefetch, a reload) makes nothing
        opened = world.client.get(CODES).get_data(as_text=True)
        assert "<code>" not in opened and "Show my recovery codes" in opened
    assert user.id not in world.store.factors
    codes = shown_codes(world.client)
    assert len(codes) == 10 and len(set(codes)) == 10
    again = world.client.post(CODES, data={"csrf_token": csrf(world.client, CODES)})
    assert "<code>" not in again.get_data(as_text=True)
    assert "were shown already" in again.get_data(as_text=True)
    factor = world.store.factors[user.id]
    assert factor.codes_only and len(factor.recovery_hashes) == 10

    # No second step after an e-mailed code, and the security page says two-step is off.
    other = world.app.test_client()
    world.clock.advance(seconds=31)  # one code per address each 30 s
    signed_in_by_code(world, other)

    first = world.client.post("/login", json={"username": ADDRESS, "password": codes[0]})
    assert first.status_code == 200, first.get_json()
    assert first.get_json()["access_token"]
    reused = world.client.post("/login", json={"username": "noa", "password": codes[0]})
    assert reused.status_code == 401 and reused.get_json()["code"] == "invalid_credentials"
    assert len(world.store.factors[user.id].recovery_hashes) == 9
    upper = world.client.post("/login", json={"username": "noa", "password": codes[1].upper()})
    assert upper.status_code == 200


def test_an_account_with_a_password_gets_no_codes(world: World) -> None:
    register(world.client, "noa")
    token = csrf(world.client, "/sign-in")
    form = {"username": "noa", "password": PASSWORD, "csrf_token": token}
    assert world.client.post("/sign-in", data=form).status_code == 303
    assert shown_codes(world.client) == []
    assert world.store.factors == {}


def test_signed_out_the_page_asks_to_sign_in(world: World) -> None:
    answer = world.client.get(CODES)
    assert answer.status_code == 303 and answer.headers["Location"].startswith("/sign-in?")


def test_a_forged_post_without_the_csrf_token_makes_no_codes(world: World) -> None:
    signed_in_by_code(world, world.client)
    [user] = world.store.users.values()
    assert world.client.post(CODES, data={}).status_code == 403
    assert user.id not in world.store.factors
