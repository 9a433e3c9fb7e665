"""The challenge on signals on the Firestore emulator, through the Flask test client with
real argon2 and a local verifier that answers as Turnstile's siteverify does
(docs/security.md, "A challenge on signals"): a person who mistypes is never asked, 20
failed logins from one address bring it, a token lets one request through and its replay is
refused (raced, too), a verifier that is down fails open or closed as configured, and
sign-ups and e-mail codes from one address past their hourly numbers are asked."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from bootstrap import build_adapters
from tests.support.api import PASSWORD, assert_problem, bearer, register
from tests.support.app import app_on
from tests.support.challenge_verifier import Verifier, challenge_verifier, token
from tests.support.hours import in_one_hour
from tests.support.races import RACERS, race, statuses
from tests.support.settings import make_settings

pytestmark = pytest.mark.e2e
ATTACKER, OWNER = "203.0.113.66", "198.51.100.7"


@pytest.fixture
def verifier() -> Iterator[Verifier]:
    with challenge_verifier(hostname="127.0.0.1") as running:  # PUBLIC_URL's host
        yield running


def challenged_app(firestore: Any, verifier: Verifier, **changes: Any) -> Flask:
    settings = make_settings(
        challenge_provider="turnstile",
        challenge_site_key="site-key",
        challenge_secret="test-secret",
        challenge_verify_url=verifier.url + "/turnstile",
        **changes,
    )
    return app_on(settings, build_adapters(settings, firestore=firestore))


@pytest.fixture
def client(firestore: Any, verifier: Verifier) -> FlaskClient:
    return challenged_app(firestore, verifier).test_client()


def login(
    client: FlaskClient, ip: str, username: str = "alice", password: str = PASSWORD, **extra: str
) -> TestResponse:
    body = {"username": username, "password": password, **extra}
    return client.post("/login", json=body, environ_base={"REMOTE_ADDR": ip})


def test_a_person_who_mistypes_is_never_asked(client: FlaskClient, verifier: Verifier) -> None:
    register(client, "alice")
    for _ in range(4):
        assert_problem(login(client, OWNER, password="not it at all"), 401, "invalid_credentials")
    assert login(client, OWNER).status_code == 200
    assert verifier.asked == []


def test_twenty_failed_logins_from_one_address_bring_the_challenge(
    client: FlaskClient, verifier: Verifier
) -> None:
    register(client, "alice")
    for n in range(20):  # names of nobody, each failing once: the address's failures add up
        assert_problem(login(client, ATTACKER, f"nobody{n}"), 401, "invalid_credentials")
    asked = assert_problem(login(client, ATTACKER), 401, "challenge_required")
    assert (asked["provider"], asked["site_key"]) == ("turnstile", "site-key")
    assert login(client, OWNER).status_code == 200  # another address is not asked

    passed = login(client, ATTACKER, challenge_token=token("login"))
    assert passed.status_code == 200
    replayed = login(client, ATTACKER, challenge_token=token("login"))
    assert_problem(replayed, 401, "challenge_required")
    assert_problem(login(client, ATTACKER, challenge_token="forged"), 401, "challenge_required")
    assert [a["remoteip"] for a in verifier.asked] == [ATTACKER, ATTACKER]  # not the replay

    events = client.get(
        "/auth/events?type=signin.challenged", headers=bearer(passed.get_json()["access_token"])
    ).get_json()["items"]
    assert [(e["reason"], e["ip"]) for e in events] == [("address_failures", ATTACKER)] * 3


def test_one_token_raced_by_thirty_logins_lets_one_through(
    firestore: Any, verifier: Verifier
) -> None:
    app = challenged_app(firestore, verifier)
    client = app.test_client()
    register(client, "alice")
    for _ in range(5):  # the account from this address at half its budget
        assert_problem(
            login(client, ATTACKER, password="not it at all"), 401, "invalid_credentials"
        )
    outcomes = race(app, [lambda c: login(c, ATTACKER, challenge_token=token("login", 7))] * RACERS)
    assert statuses(outcomes) == {200: 1, 401: RACERS - 1}
    assert {o.code for o in outcomes if o.status == 401} == {"challenge_required"}


def test_a_verifier_that_is_down_fails_open_by_default_and_closed_when_asked(
    firestore: Any, verifier: Verifier
) -> None:
    client = challenged_app(firestore, verifier).test_client()
    register(client, "alice")
    for _ in range(5):
        login(client, ATTACKER, password="not it at all")
    verifier.down = True
    assert login(client, ATTACKER, challenge_token=token("login", 1)).status_code == 200
    for _ in range(5):
        login(client, ATTACKER, password="not it at all")
    closed = challenged_app(firestore, verifier, challenge_fail="closed").test_client()
    refused = login(closed, ATTACKER, challenge_token=token("login", 2))
    assert_problem(refused, 503, "challenge_unavailable")


def test_sign_ups_from_one_address_past_their_number_are_asked(
    firestore: Any, verifier: Verifier
) -> None:
    client = challenged_app(firestore, verifier, challenge_signups_per_hour=2).test_client()
    in_one_hour(timedelta(minutes=1))  # the requests below are counted in one hour

    def sign_up(name: str, **extra: str) -> TestResponse:
        body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD, **extra}
        return client.post("/register", json=body, environ_base={"REMOTE_ADDR": ATTACKER})

    assert sign_up("anna").status_code == 201
    assert sign_up("bert").status_code == 201
    asked = assert_problem(sign_up("cleo"), 401, "challenge_required")
    assert asked["site_key"] == "site-key"
    assert sign_up("cleo", challenge_token=token("register")).status_code == 201
    assert_problem(sign_up("dora", challenge_token=token("login", 3)), 401, "challenge_required")


def test_e_mail_codes_from_one_address_past_their_number_are_asked(
    firestore: Any, verifier: Verifier
) -> None:
    client = challenged_app(firestore, verifier, challenge_email_codes_per_hour=2).test_client()
    in_one_hour(timedelta(minutes=1))  # the requests below are counted in one hour

    def ask(name: str, ip: str = ATTACKER, **extra: str) -> TestResponse:
        body = {"email": f"{name}@example.com", **extra}
        return client.post("/auth/email-code", json=body, environ_base={"REMOTE_ADDR": ip})

    assert ask("anna").status_code == 202
    assert ask("bert").status_code == 202
    asked = assert_problem(ask("cleo"), 401, "challenge_required")
    assert (asked["provider"], asked["site_key"]) == ("turnstile", "site-key")
    assert ask("erik", OWNER).status_code == 202  # another address keeps its own count
    assert ask("cleo", challenge_token=token("email_code")).status_code == 202
    replayed = ask("dora", challenge_token=token("email_code"))
    assert_problem(replayed, 401, "challenge_required")
    assert [a["remoteip"] for a in verifier.asked] == [ATTACKER]
