"""The Apps section of an org's page on the fakes (docs/pages.md, "Organizations"): its
admins register an app (the secret shown on that answer only), change its redirect URIs and
members-only switch, and remove it once confirmed; members are not offered it."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from application.orgs.members.members import AddMember
from application.orgs.services import OrgServices
from bootstrap.clients import ClientsAdapters
from bootstrap.orgs import OrgsAdapters
from domain.clients.oauth import OAuthClient
from tests.support.admin_pages import browser, org_owner, post
from tests.support.app import World

pytestmark = pytest.mark.unit

ACME = "/account/orgs/acme"
APPS = f"{ACME}/apps"


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
def olga(world: World) -> FlaskClient:
    return org_owner(world)


def stored(world: World) -> list[OAuthClient]:
    org = world.adapters.of(OrgsAdapters).orgs.find("acme")
    assert org is not None
    return world.adapters.of(ClientsAdapters).oauth_clients.list_for_org(org.id, 10)


def test_an_admin_registers_an_app_whose_secret_is_shown_once(
    world: World, olga: FlaskClient
) -> None:
    page = olga.get(APPS).get_data(as_text=True)
    assert "No apps yet." in page and f'href="{APPS}" aria-current="page"' in page
    assert 'id="app-members_only" name="members_only" value="true" checked' in page
    status, _, body = post(
        olga,
        APPS,
        APPS,
        name="Acme billing",
        redirect_uris="https://billing.acme.example/cb\n",
        confidential="true",
        members_only="true",
    )
    assert status == 201, body
    assert "Copy its client secret now: it is not shown again." in body
    secret = body.split('id="new-client-secret" type="text" readonly value="')[1].split('"')[0]
    (app,) = stored(world)
    assert app.secret_matches(secret) and app.members_only and app.confidential
    assert app.redirect_uris == ("https://billing.acme.example/cb",)
    again = olga.get(APPS).get_data(as_text=True)
    assert secret not in again and "Acme billing" in again and app.client_id in again
    status, _, _ = post(olga, APPS, APPS, name="Open", redirect_uris="https://o.example/cb")
    assert status == 201  # the switch left off: open to anyone, a public app
    opened = next(a for a in stored(world) if a.name == "Open")
    assert not opened.members_only and not opened.confidential


def test_a_refused_registration_shows_the_form_again(olga: FlaskClient) -> None:
    status, _, body = post(olga, APPS, APPS, name="Bad", redirect_uris="ftp://x.example/cb")
    assert status == 422
    assert 'id="app-redirect_uris-error" role="alert"' in body
    assert "ftp://x.example/cb" in body  # what was typed, kept
    assert 'id="app-members_only" name="members_only" value="true">' in body  # left off


def test_an_admin_edits_the_redirect_uris_and_the_switch(world: World, olga: FlaskClient) -> None:
    post(olga, APPS, APPS, name="App", redirect_uris="https://a.example/cb", members_only="true")
    (app,) = stored(world)
    uris = "https://a.example/cb\nhttps://b.example/cb"
    status, location, _ = post(olga, f"{APPS}/{app.client_id}", APPS, redirect_uris=uris)
    assert (status, location) == (303, f"{APPS}?done=app-saved")
    (edited,) = stored(world)
    assert edited.redirect_uris == ("https://a.example/cb", "https://b.example/cb")
    assert not edited.members_only  # unchecked
    assert "The app is saved." in olga.get(location).get_data(as_text=True)
    status, _, body = post(olga, f"{APPS}/{app.client_id}", APPS, redirect_uris="ftp://x")
    assert status == 422 and 'role="alert"' in body
    assert stored(world)[0].redirect_uris == edited.redirect_uris


def test_an_app_is_removed_once_confirmed(world: World, olga: FlaskClient) -> None:
    post(olga, APPS, APPS, name="App", redirect_uris="https://a.example/cb")
    (app,) = stored(world)
    asked = olga.get(f"{APPS}/{app.client_id}/remove")
    assert asked.status_code == 200
    assert "Remove App?" in asked.get_data(as_text=True) and stored(world) == [app]
    status, location, _ = post(olga, f"{APPS}/{app.client_id}/remove", APPS)
    assert (status, location) == (303, f"{APPS}?done=app-removed")
    assert stored(world) == []
    assert "The app is removed" in olga.get(location).get_data(as_text=True)
    assert olga.get(f"{APPS}/{app.client_id}/remove").status_code == 404


def test_a_member_is_not_offered_the_section(world: World, olga: FlaskClient) -> None:
    post(olga, APPS, APPS, name="App", redirect_uris="https://a.example/cb")
    (app,) = stored(world)
    bob = browser(world, "bob")
    world.services.of(OrgServices).members.add_member(AddMember("acme", "bob", ("member",)))
    assert f'href="{APPS}"' not in bob.get(ACME).get_data(as_text=True)
    assert bob.get(APPS).status_code == 403
    status, _, _ = post(bob, APPS, ACME, name="x", redirect_uris="https://x.example/cb")
    assert status == 403
    status, _, _ = post(bob, f"{APPS}/{app.client_id}/remove", ACME)
    assert status == 403 and stored(world) == [app]


def test_the_section_speaks_spanish(olga: FlaskClient) -> None:
    page = olga.get(APPS, headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Aplicaciones" in page and "Todavía no hay aplicaciones." in page
    assert "Solo los miembros de esta organización pueden iniciar sesión en ella" in page
