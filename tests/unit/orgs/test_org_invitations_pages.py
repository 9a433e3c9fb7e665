"""/orgs/join on the fakes: signed out, sign up there and come back; the Join button; another
address; Spanish; a bad link (docs/reference/orgs.md, "Invitations")."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest
from flask.testing import FlaskClient

from bootstrap.accounts import AccountsAdapters
from bootstrap.orgs import OrgsAdapters
from domain.orgs.orgs import Membership, Org, Slug
from tests.support.api import assert_problem, bearer, login, register
from tests.support.app import World
from tests.support.pages import PASSWORD, csrf

pytestmark = pytest.mark.unit


def invited(world: World) -> tuple[Org, str]:
    """An org "Acme Corp" whose owner invited ivy@example.com; the link's token."""
    register(world.client, "olga")
    token = login(world.client, "olga")
    owner_id = world.client.get("/user", headers=bearer(token)).get_json()["id"]
    now = datetime.now(UTC)
    org = Org.create(Slug("acme"), "Acme Corp", now)
    world.adapters.of(OrgsAdapters).orgs.add(
        org, Membership(org.id, owner_id, ("owner",), 0, now, now)
    )
    body = {"email": "ivy@example.com", "roles": ["member"]}
    created = world.client.post("/orgs/acme/invitations", json=body, headers=bearer(token))
    assert created.status_code == 201, created.get_json()
    world.deliver()
    return org, world.token("ivy@example.com", "/orgs/join")


def signed_up(world: World, name: str, next_path: str = "/account") -> FlaskClient:
    browser = world.app.test_client()
    form = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    query = "" if next_path == "/account" else "?" + urlencode({"next": next_path})
    data = {**form, "csrf_token": csrf(browser, "/sign-up" + query)}
    answer = browser.post("/sign-up" + query, data=data)
    assert answer.status_code == 303 and answer.headers["Location"] == next_path
    return browser


def test_signed_out_sign_up_there_and_join() -> None:
    world = World()
    org, token = invited(world)
    here = "/orgs/join?" + urlencode({"token": token})
    browser = world.app.test_client()
    html = browser.get(here).get_data(as_text=True)
    assert "Acme Corp" in html and "ivy@example.com" in html
    back = urlencode({"next": here})
    assert f'href="/sign-in?{back}"' in html and f'href="/sign-up?{back}"' in html
    assert 'action="/orgs/join"' not in html  # no button before signing in

    browser = signed_up(world, "ivy", here)  # back to the invitation once signed up
    html = browser.get(here).get_data(as_text=True)
    assert 'action="/orgs/join"' in html
    data = {"token": token, "csrf_token": csrf(browser, here)}
    joined = browser.post("/orgs/join", data=data)
    assert joined.status_code == 200
    assert "You are a member of Acme Corp." in joined.get_data(as_text=True)
    (ivy,) = [
        u
        for u in world.adapters.of(AccountsAdapters).users.list_page(None, 10)
        if u.email and u.email.value == "ivy@example.com"
    ]
    assert ivy.email_verified  # the invitation proved the address
    member = world.adapters.of(OrgsAdapters).orgs.membership(org.id, ivy.id)
    assert member is not None and member.roles == ("member",)
    # The sign-up's "Confirm your e-mail" mail, still queued: nothing left to confirm.
    world.deliver()
    assert [
        m.subject for m in world.mailer.to("ivy@example.com") if "/verify-email" in m.text
    ] == []


def test_another_address_is_told_so() -> None:
    world = World()
    _, token = invited(world)
    here = "/orgs/join?" + urlencode({"token": token})
    browser = signed_up(world, "eve")
    html = browser.get(here).get_data(as_text=True)
    assert "You are signed in with another address than the invited one" in html
    assert 'action="/orgs/join"' not in html
    data = {"token": token, "csrf_token": csrf(browser, here)}
    refused = browser.post("/orgs/join", data=data)
    assert refused.status_code == 403
    assert "another address than the invited one" in refused.get_data(as_text=True)


def test_in_spanish() -> None:
    world = World()
    _, token = invited(world)
    browser = world.app.test_client()
    answer = browser.get(
        "/orgs/join?" + urlencode({"token": token}), headers={"Accept-Language": "es"}
    )
    html = answer.get_data(as_text=True)
    assert "Te invitan a unirte a la organización Acme Corp" in html
    assert "Crear una cuenta" in html


def test_a_bad_link_is_the_error_page() -> None:
    world = World()
    invited(world)
    assert world.app.test_client().get("/orgs/join?token=nope").status_code == 400
    answer = world.client.post("/orgs/invitations/accept", json={"token": "nope"})
    assert answer.status_code == 401  # the API wants a signed-in caller first
    assert_problem(
        world.client.post(
            "/orgs/invitations/accept",
            json={"token": "nope"},
            headers=bearer(login(world.client, "olga")),
        ),
        400,
        "invalid_token",
    )
