"""The second step of a sign-in on the pages: the mfa_token stays in an HttpOnly cookie."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.fakes.kernel import InMemoryStore
from tests.support.api import PASSWORD, login, register
from tests.support.pages import csrf
from tests.support.totp import enrol, next_code

pytestmark = pytest.mark.unit


def first_step(client: FlaskClient) -> str:
    form = {"username": "alice", "password": PASSWORD, "csrf_token": csrf(client, "/sign-in")}
    answer = client.post("/sign-in", query_string={"next": "/account"}, data=form)
    assert (
        answer.status_code == 303 and answer.headers["Location"] == "/sign-in/mfa?next=%2Faccount"
    )
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith("firegate_mfa=") and "HttpOnly" in cookie
    page = client.get("/sign-in/mfa").get_data(as_text=True)
    mfa_token = cookie.split(";")[0].partition("=")[2]
    assert mfa_token not in page  # never in the page
    return page


def test_sign_in_with_a_code_and_with_a_recovery_code(
    client: FlaskClient, store: InMemoryStore
) -> None:
    register(client)
    secret, codes = enrol(client, login(client))
    first_step(client)
    wrong = {"code": "000000", "csrf_token": csrf(client, "/sign-in/mfa")}
    answer = client.post("/sign-in/mfa", data=wrong)
    assert answer.status_code in (401, 422) and 'role="alert"' in answer.get_data(as_text=True)
    right = {"code": next_code(secret, client), "csrf_token": csrf(client, "/sign-in/mfa")}
    answer = client.post("/sign-in/mfa", query_string={"next": "/account"}, data=right)
    assert answer.status_code == 303 and answer.headers["Location"] == "/account"
    assert "alice" in client.get("/account").get_data(as_text=True)
    client.post("/sign-out", data={"csrf_token": csrf(client, "/account")})
    first_step(client)
    form = {"recovery_code": codes[0], "csrf_token": csrf(client, "/sign-in/mfa")}
    assert client.post("/sign-in/mfa", data=form).status_code == 303
    # The browser's sessions are firegate sessions with their amr.
    amrs = sorted(tuple(s.amr) for s in store.sessions.values() if s.revoked_at is None)
    assert ("pwd", "otp") in amrs


def test_without_a_first_step_the_second_leads_back(client: FlaskClient) -> None:
    answer = client.get("/sign-in/mfa")
    assert answer.status_code == 303 and answer.headers["Location"] == "/sign-in"


def test_the_second_step_speaks_the_accounts_language(client: FlaskClient) -> None:
    """No account is signed in yet on the second step, but the first one knew which: an
    account in Spanish gets it in Spanish from an English browser, as the account page next."""
    register(client)
    token = login(client)
    secret, _ = enrol(client, token)
    changed = client.patch(
        "/user", json={"locale": "es"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert changed.status_code == 200, changed.get_json()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = first_step(client)
    assert '<html lang="es">' in page
    wrong = {"code": "000000", "csrf_token": csrf(client, "/sign-in/mfa")}
    refused = client.post("/sign-in/mfa", data=wrong).get_data(as_text=True)
    assert '<html lang="es">' in refused
    right = {"code": next_code(secret, client), "csrf_token": csrf(client, "/sign-in/mfa")}
    assert client.post("/sign-in/mfa", data=right).status_code == 303
    assert '<html lang="es">' in client.get("/account").get_data(as_text=True)
    client.post("/sign-out", data={"csrf_token": csrf(client, "/account")})
    assert '<html lang="en">' in client.get("/sign-in").get_data(as_text=True)
