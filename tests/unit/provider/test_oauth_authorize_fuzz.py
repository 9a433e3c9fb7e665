"""Odd values of every parameter of the authorization endpoint, GET and POST, signed in and
out: never a 5xx (docs/reference/oauth.md, "GET /oauth/authorize"). Authlib quotes some
parameters in its errors' descriptions, which may hold only printable ASCII but '"' and '\\';
any other character made it raise a ValueError, a 500."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from werkzeug.test import TestResponse

from tests.support.oauth import REDIRECT, SCOPE, OAuthWorld, csrf_of

pytestmark = pytest.mark.unit

PARAMETERS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "prompt",
    "max_age",
    "login_hint",
    "resource",
    "request",
    "request_uri",
    "response_mode",
    "ui_locales",
    "id_token_hint",
    "acr_values",
    "display",
    "claims",
)
ODD_VALUES = (
    '"',
    "\\",
    "é",
    "\x00",
    "\x7f",
    "\U0001f600",  # an emoji
    "\u202e",  # right-to-left override
    "\n",
    "",
    " ",
    "%",
    "&=?#",
    "code\\",
    'code"',
    "x" * 3000,
    "[" * 1999 + "]" * 1999,  # JSON nested deeper than Python's decoder goes (``claims``)
)
MODES = ("get signed out", "get signed in", "post signed in", "posted request")


def baseline(client_id: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT,
        "scope": SCOPE,
        "state": "st4te",
        "code_challenge": create_s256_code_challenge("v" * 50),
        "code_challenge_method": "S256",
    }


def send(world: OAuthWorld, mode: str, query: dict[str, str], csrf: str) -> TestResponse:
    if mode == "get signed out":
        return world.app.test_client().get("/oauth/authorize?" + urlencode(query))
    if mode == "get signed in":
        return world.client.get("/oauth/authorize?" + urlencode(query))
    form = {"decision": "allow", "csrf_token": csrf}
    if mode == "post signed in":  # the consent form's answer
        return world.client.post("/oauth/authorize/consent?" + urlencode(query), data=form)
    posted = world.client.post("/oauth/authorize", data=query)  # Core §3.1.2.1: 303 to a GET
    if posted.status_code != 303:
        return posted
    return world.client.get(posted.headers["Location"])


SENT: list[int] = []  # requests sent by this module, and their 5xx: reported at the end


@pytest.mark.parametrize("name", PARAMETERS)
def test_an_odd_value_of_any_parameter_is_never_a_server_error(name: str) -> None:
    world = OAuthWorld()
    app: dict[str, Any] = world.register()
    csrf = csrf_of(world.client.get("/account").get_data(as_text=True))
    failures = []
    for value in ODD_VALUES:
        for mode in MODES:
            answer = send(world, mode, {**baseline(app["client_id"]), name: value}, csrf)
            SENT.append(answer.status_code)
            if answer.status_code >= 500:
                failures.append((mode, value[:20], answer.status_code))
            elif answer.status_code == 400:  # told on the error page, never a redirect
                assert answer.mimetype == "text/html" and "Location" not in answer.headers
    assert failures == []


@pytest.mark.parametrize("value", ['"', "\\", "é", "\x00", "\x7f", "\U0001f600"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_response_type_an_error_cannot_quote_gets_the_error_page(value: str, method: str) -> None:
    world = OAuthWorld()
    app = world.register()
    query = urlencode({**baseline(app["client_id"]), "response_type": value})
    if method == "get":
        answer = world.client.get("/oauth/authorize?" + query)
    else:
        csrf = csrf_of(world.client.get("/account").get_data(as_text=True))
        answer = world.client.post(
            "/oauth/authorize/consent?" + query, data={"decision": "allow", "csrf_token": csrf}
        )
    assert answer.status_code == 400 and answer.mimetype == "text/html"
    assert "unsupported_response_type" in answer.get_data(as_text=True)
    bare = world.app.test_client().get("/oauth/authorize?response_type=%22&client_id=x")
    assert bare.status_code == 400 and bare.mimetype == "text/html"


def test_the_table_was_sent_whole() -> None:
    """Runs after the table (file order): the count of requests and of 5xx answers."""
    expected = len(PARAMETERS) * len(ODD_VALUES) * len(MODES)
    if len(SENT) == expected:  # the whole module ran (not a -k selection)
        print(f"\nauthorize fuzz: {len(SENT)} requests, {sum(s >= 500 for s in SENT)} 5xx")
        assert not any(s >= 500 for s in SENT)
