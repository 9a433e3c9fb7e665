"""Breached passwords on the emulators, against a local range API (docs/security.md,
"Breached passwords"): refused at sign-up, change, first password and reset; a slow or a dead
range API lets the password through, counted in firegate_breached_password_checks_total."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from bootstrap import build_adapters, build_app
from tests.support import mailbox
from tests.support.api import PASSWORD, assert_field_error, bearer, login, register
from tests.support.firebase_auth import firebase_auth, tokens_for
from tests.support.metrics import TOKEN, scrape
from tests.support.range_api import RangeApi, dead_url, range_api
from tests.support.settings import make_settings

pytestmark = pytest.mark.e2e

BREACHED = "hunter2 hunter2 hunter2"
SAFE = "a passphrase nobody has lost yet"


@pytest.fixture
def api() -> Iterator[RangeApi]:
    with range_api({BREACHED: 3}) as server:
        yield server


def app_on(firestore: Any, url: str) -> Flask:
    settings = make_settings(
        breached_passwords="block", breached_passwords_url=url, metrics_token=TOKEN
    )
    return build_app(settings, build_adapters(settings, firestore=firestore))


def test_a_breached_password_is_refused_everywhere_one_is_set(
    firestore: Any, api: RangeApi, emulators: Any
) -> None:
    client = app_on(firestore, api.url).test_client()
    body = {"username": "bob", "email": "bob@example.com", "password": BREACHED}
    assert_field_error(client.post("/register", json=body), "password", "password_breached")

    register(client, "alice")
    access = login(client, "alice")
    change = {"current_password": PASSWORD, "new_password": BREACHED}
    answer = client.put("/user/password", json=change, headers=bearer(access))
    assert_field_error(answer, "password", "password_breached")

    with firebase_auth(emulators, "firegate-breached-passwords") as firebase:
        firebase.create("pia@example.com", display_name="Pia")
        pair = tokens_for(client, firebase.sign_in("pia@example.com"))
    first = {"new_password": BREACHED}
    answer = client.put("/user/password", json=first, headers=bearer(pair["access_token"]))
    assert_field_error(answer, "password", "password_breached")

    client.post("/auth/password/forgot", json={"email": "alice@example.com"})
    mails = mailbox.wait_for("alice@example.com", 2)  # the verification mail, then the reset
    [reset_mail] = [m for m in mails if "/reset-password?token=" in m["text"]]
    reset = {"token": mailbox.token_in(reset_mail), "new_password": BREACHED}
    assert_field_error(
        client.post("/auth/password/reset", json=reset), "password", "password_breached"
    )
    # Each of them takes a password nobody has lost.
    assert (
        client.post("/auth/password/reset", json={**reset, "new_password": SAFE}).status_code == 204
    )
    assert client.post("/register", json={**body, "password": SAFE}).status_code == 201
    assert all(path.startswith("/range/") and len(path) == 12 for path in api.paths)


def checks(client: FlaskClient) -> dict[str, float]:
    return {
        name: value
        for name, value in scrape(client).items()
        if name.startswith("firegate_breached_password_checks_total")
    }


def test_a_slow_range_api_lets_the_password_through_counted(firestore: Any, api: RangeApi) -> None:
    api.delay = 3.0
    client = app_on(firestore, api.url).test_client()
    body = {"username": "bob", "email": "bob@example.com", "password": BREACHED}
    assert client.post("/register", json=body).status_code == 201
    assert checks(client) == {'firegate_breached_password_checks_total{outcome="timeout"}': 1.0}


def test_a_dead_range_api_lets_the_password_through_counted(firestore: Any) -> None:
    client = app_on(firestore, dead_url()).test_client()
    body = {"username": "bob", "email": "bob@example.com", "password": BREACHED}
    assert client.post("/register", json=body).status_code == 201
    assert checks(client) == {'firegate_breached_password_checks_total{outcome="error"}': 1.0}


def test_a_breached_password_at_sign_in_asks_for_a_new_one_once_a_day(
    firestore: Any, api: RangeApi
) -> None:
    client = app_on(firestore, api.url).test_client()
    register(client, "alice")  # the password was not known breached then
    api.seen[PASSWORD] = 5
    # A process that has not kept the range: the check at sign-in asks for it.
    client = app_on(firestore, api.url).test_client()
    access = login(client, "alice")
    me = client.get("/auth/whoami", headers=bearer(access)).get_json()
    assert me["password_change_required"] is True
    [user] = firestore.collection("users").where("username", "==", "alice").get()
    assert user.get("password_breached") is True and user.get("breach_checked_at") is not None
    events = client.get("/auth/events", headers=bearer(access)).get_json()["items"]
    assert [e["reason"] for e in events if e["type"] == "password.breached"] == ["sign_in"]
    asked = len(api.paths)
    # Again the same day, from another process: no range request, still asked.
    client = app_on(firestore, api.url).test_client()
    again = login(client, "alice")
    assert len(api.paths) == asked
    assert client.get("/auth/whoami", headers=bearer(again)).get_json()["password_change_required"]
    change = {"current_password": PASSWORD, "new_password": SAFE}
    assert client.put("/user/password", json=change, headers=bearer(again)).status_code == 204
    me = client.get("/auth/whoami", headers=bearer(again)).get_json()
    assert me["password_change_required"] is False
