"""The admins' pages on the app on the fakes: signed-in browsers, an admin's among them."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from application.accounts.admin import SetRole
from application.accounts.services import AccountServices
from domain.accounts.users import User
from tests.support.api import PASSWORD, register
from tests.support.app import World
from tests.support.pages import csrf


def browser(world: World, name: str) -> FlaskClient:
    """A browser signed in as ``name`` (registered through the API first)."""
    client = world.app.test_client()
    register(client, name)
    form = {"username": name, "password": PASSWORD, "csrf_token": csrf(client, "/sign-in")}
    assert client.post("/sign-in", data=form).status_code == 303
    return client


def user(world: World, name: str) -> User:
    return world.store.users[world.store.usernames[name]]


@pytest.fixture
def root(world: World) -> FlaskClient:
    """An admin's browser (the first admin is made on the command line)."""
    client = browser(world, "root")
    world.services.of(AccountServices).admin.set_role(SetRole("root", "admin"))
    return client


def post(client: FlaskClient, path: str, page: str, **form: str) -> tuple[int, str, str]:
    """A form of ``page`` posted with its CSRF token: status, Location and body."""
    answer = client.post(path, data={**form, "csrf_token": csrf(client, page)})
    return answer.status_code, answer.headers.get("Location", ""), answer.get_data(as_text=True)


def org_owner(world: World, name: str = "olga", slug: str = "acme") -> FlaskClient:
    """``name``'s browser, owner of a new org ``slug`` made on /account/orgs (named after
    it: "Acme")."""
    client = browser(world, name)
    status, _, _ = post(client, "/account/orgs", "/account/orgs", slug=slug, name=slug.title())
    assert status == 303
    return client
