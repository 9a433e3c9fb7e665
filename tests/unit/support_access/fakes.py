"""The support access unit's fakes: it has no adapters of its own (its sessions are
sign-in's, its orgs the orgs', each on their own fakes); and a session of it on the app on the
fakes (docs/support-access.md), started by an admin, for the API (its bearer) and for the
pages (a browser holding it)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from application.services import Services
from application.signin.authentication import Route
from application.signin.services import SigninServices
from application.support_access.guard import OwnSessionOnly
from domain.accounts.outlasting import Outlasting
from infrastructure.settings import Settings
from interfaces.web.browser import EXTENSION
from tests.support.api import bearer, services


def adapters(_settings: Settings) -> None:
    return None


def refused(app: Flask | Services) -> Mapping[Route, Outlasting]:
    """What the guard of support access refuses, by route, in ``app`` (or in the services
    bound without an app): the running units' ``OUTLASTING_ROUTES``, as sign-in made the
    guard of them."""
    bound = app if isinstance(app, Services) else services(app)
    guards = bound.of(SigninServices).authentication.guards
    (guard,) = (each for each in guards if isinstance(each, OwnSessionOnly))
    return guard.refused


REASON = "Ticket 4711: the export page shows nothing"
CSRF_META = re.compile(r'name="csrf-token" content="([^"]+)"')


@dataclass(frozen=True)
class Acting:
    """A session of support access: its tokens, and a browser that holds it."""

    access_token: str
    refresh_token: str
    browser: FlaskClient
    csrf: str  # the browser's forms' token

    @property
    def auth(self) -> dict[str, str]:
        return bearer(self.access_token)


def started(client: FlaskClient, path: str, auth: dict[str, str], minutes: int = 15) -> Any:
    """The answer to starting support access at ``path`` (an admin's or an org's route)."""
    return client.post(path, json={"reason": REASON, "minutes": minutes}, headers=auth)


def acting(app: Flask, client: FlaskClient, path: str, auth: dict[str, str]) -> Acting:
    """A session of support access started at ``path`` by ``auth``, and a browser in it."""
    answer = started(client, path, auth)
    assert answer.status_code == 201, answer.get_json()
    pair = answer.get_json()
    browser = app.test_client()
    name = app.extensions[EXTENSION].cookie("session")
    browser.set_cookie(name, f"{pair['access_token']}~{pair['refresh_token']}")
    token = CSRF_META.search(browser.get("/account").get_data(as_text=True))
    assert token is not None
    return Acting(pair["access_token"], pair["refresh_token"], browser, token[1])


def page_post(who: Acting, path: str, **form: str) -> Any:
    """A page's form posted by the browser of ``who``, asking for the answer as the pages'
    script does (a problem in JSON)."""
    return who.browser.post(
        path,
        data={**form, "csrf_token": who.csrf},
        headers={"Accept": "application/json", "X-CSRF-Token": who.csrf},
    )
