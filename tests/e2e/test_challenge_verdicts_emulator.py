"""Only a verifier's verdict passes the challenge, on the Firestore emulator through the API
and the pages, against the tests' local verifier (docs/security.md, "A challenge on
signals"): on every guarded way in (a login, a sign-up, an e-mail code; each by the API and
by its page), a 429 or an HTML page from the verifier, or reCAPTCHA's low score, asks for the
challenge again even with CHALLENGE_FAIL=open, and an outage (5xx) lets an address through
CHALLENGE_FAIL_OPEN_PER_HOUR times, then answers 503 ``challenge_unavailable``."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from bootstrap import build_adapters
from tests.support.api import PASSWORD, assert_problem, register
from tests.support.app import app_on
from tests.support.challenge_verifier import (
    BAD_GATEWAY,
    HTML_PAGE,
    TOO_MANY,
    Verifier,
    challenge_verifier,
    token,
)
from tests.support.hours import in_one_hour
from tests.support.metrics import TOKEN, scrape
from tests.support.pages import csrf
from tests.support.settings import make_settings

pytestmark = pytest.mark.e2e
ATTACKER = "203.0.113.66"
AT = {"REMOTE_ADDR": ATTACKER}
OUTAGE_PASSES = 2
names = itertools.count()


@pytest.fixture
def verifier() -> Iterator[Verifier]:
    with challenge_verifier(hostname="127.0.0.1") as running:  # PUBLIC_URL's host
        yield running


def app_client(firestore: Any, verifier: Verifier, provider: str = "turnstile") -> FlaskClient:
    path = "/turnstile" if provider == "turnstile" else "/v1/projects/demo/assessments"
    settings = make_settings(
        challenge_provider=provider,
        challenge_site_key="site-key",
        challenge_secret="test-secret",
        challenge_verify_url=verifier.url + path,
        challenge_signups_per_hour=1,
        challenge_email_codes_per_hour=1,
        challenge_fail_open_per_hour=OUTAGE_PASSES,
        metrics_token=TOKEN,
    )
    in_one_hour(timedelta(minutes=1))  # a test's signals are counted in one hour
    return app_on(settings, build_adapters(settings, firestore=firestore)).test_client()


# Each way in: (fire its signal for ATTACKER, send it once more with a challenge token). A
# page's answer is a page; the API's a problem.
Send = Callable[[FlaskClient, str], TestResponse]


def fresh() -> str:
    return f"person{next(names)}"


def with_token(challenge: str) -> dict[str, str]:
    """The ``challenge_token`` member, where there is one (the API refuses an empty one)."""
    return {"challenge_token": challenge} if challenge else {}


def register_api(client: FlaskClient, challenge: str) -> TestResponse:
    name = fresh()
    body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    return client.post("/register", json=body | with_token(challenge), environ_base=AT)


def sign_up_page(client: FlaskClient, challenge: str) -> TestResponse:
    name = fresh()
    form = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    form |= {"challenge_token": challenge, "csrf_token": csrf(client, "/sign-up")}
    return client.post("/sign-up", data=form, environ_base=AT)


def email_code_api(client: FlaskClient, challenge: str) -> TestResponse:
    body = {"email": f"{fresh()}@example.com"} | with_token(challenge)
    return client.post("/auth/email-code", json=body, environ_base=AT)


def email_code_page(client: FlaskClient, challenge: str) -> TestResponse:
    form = {"email": f"{fresh()}@example.com", "challenge_token": challenge}
    form["csrf_token"] = csrf(client, "/sign-in/email-code")
    return client.post("/sign-in/email-code", data=form, environ_base=AT)


def login_api(client: FlaskClient, challenge: str, password: str = PASSWORD) -> TestResponse:
    body = {"username": "alice", "password": password} | with_token(challenge)
    return client.post("/login", json=body, environ_base=AT)


def sign_in_page(client: FlaskClient, challenge: str, password: str = PASSWORD) -> TestResponse:
    form = {"username": "alice", "password": password, "challenge_token": challenge}
    form["csrf_token"] = csrf(client, "/sign-in")
    return client.post("/sign-in", data=form, environ_base=AT)


def signups_fire(client: FlaskClient) -> None:
    assert register_api(client, "").status_code == 201  # the first of the hour is not asked


def email_codes_fire(client: FlaskClient) -> None:
    assert email_code_api(client, "").status_code == 202


def logins_fire(client: FlaskClient) -> None:
    register(client, "alice")
    for _ in range(5):  # the account from this address at half its budget
        wrong = {"username": "alice", "password": "not it at all"}
        assert client.post("/login", json=wrong, environ_base=AT).status_code == 401


# The action each way's token is for.
ACTIONS = {"register": "register", "sign_up": "register", "email_code": "email_code"}
WAYS: dict[str, tuple[Callable[[FlaskClient], None], Send]] = {
    "register_api": (signups_fire, register_api),
    "sign_up_page": (signups_fire, sign_up_page),
    "email_code_api": (email_codes_fire, email_code_api),
    "email_code_page": (email_codes_fire, email_code_page),
    "login_api": (logins_fire, login_api),
    "sign_in_page": (logins_fire, sign_in_page),
}


def asked_again(answer: TestResponse, way: str) -> None:
    if way.endswith("_page"):
        html = answer.get_data(as_text=True)
        assert answer.status_code == 401, html
        assert 'name="challenge_token"' in html  # the widget, to pass it again
    else:
        assert_problem(answer, 401, "challenge_required")


def passed(answer: TestResponse, way: str) -> None:
    expected = {"register_api": 201, "email_code_api": 202, "login_api": 200}.get(way, 303)
    assert answer.status_code == expected, answer.get_data(as_text=True)


def verifications(client: FlaskClient) -> dict[str, float]:
    found = scrape(client)
    prefix = 'firegate_challenge_verifications_total{outcome="'
    return {k[len(prefix) : -2]: v for k, v in found.items() if k.startswith(prefix)}


@pytest.mark.parametrize("way", sorted(WAYS))
@pytest.mark.parametrize("answer", ["429", "html", "low_score"])
def test_an_answer_that_is_no_passing_verdict_asks_again(
    firestore: Any, verifier: Verifier, way: str, answer: str
) -> None:
    provider = "recaptcha_enterprise" if answer == "low_score" else "turnstile"
    client = app_client(firestore, verifier, provider)
    fire, send = WAYS[way]
    fire(client)
    if answer == "low_score":
        verifier.score = 0.0
    else:
        verifier.instead = TOO_MANY if answer == "429" else HTML_PAGE
    for n in range(3):  # never let through, however often (CHALLENGE_FAIL is open)
        asked_again(send(client, token(send_action(way), n)), way)
    outcome = "low_score" if answer == "low_score" else "not_a_verdict"
    assert verifications(client) == {outcome: 3}
    verifier.instead, verifier.score = None, 0.9
    passed(send(client, token(send_action(way), 9)), way)  # a verdict that passes


def send_action(way: str) -> str:
    return ACTIONS.get(way.removesuffix("_api").removesuffix("_page"), "login")


@pytest.mark.parametrize("way", sorted(WAYS))
def test_an_outage_lets_an_address_through_a_few_times_then_refuses(
    firestore: Any, verifier: Verifier, way: str
) -> None:
    client = app_client(firestore, verifier)
    fire, send = WAYS[way]
    fire(client)
    verifier.instead = BAD_GATEWAY
    for n in range(OUTAGE_PASSES):
        if way in {"login_api", "sign_in_page"}:
            # A right password would clear the failures, and with them the signal: a wrong
            # one shows the gate let the login through to its password.
            log_in = login_api if way == "login_api" else sign_in_page
            wrong = log_in(client, token("any", n), "not it at all")
            assert wrong.status_code == 401, wrong.get_data(as_text=True)
            assert "challenge_required" not in wrong.get_data(as_text=True)
            assert 'name="challenge_token"' not in wrong.get_data(as_text=True)
        else:
            passed(send(client, token("any", n)), way)
    refused = send(client, token("any", OUTAGE_PASSES))
    assert refused.status_code == 503 and int(refused.headers["Retry-After"]) >= 1
    if not way.endswith("_page"):
        assert_problem(refused, 503, "challenge_unavailable")
    assert verifications(client) == {"failed_open": OUTAGE_PASSES, "fail_open_spent": 1}
