"""Password changes counted per account on the Firestore emulator, in the request limits'
Firestore counter, with real argon2 and a local range API of breached passwords
(docs/security.md, "Password changes"): 30 changes raced from 30 sessions and addresses of
one account get 10 through to the breach check and 20 are 429, and the range API is asked at
most 10 times; the page's form then meets the same budget."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from bootstrap import build_adapters
from tests.support.api import PASSWORD, bearer, register
from tests.support.app import app_on
from tests.support.pages import csrf
from tests.support.races import RACERS, race
from tests.support.range_api import RangeApi, range_api
from tests.support.settings import make_settings

pytestmark = pytest.mark.e2e

BREACHED = [f"a breached passphrase number {n}" for n in range(RACERS)]
BUDGET = 10  # PASSWORD_CHANGE_LIMIT's default


@pytest.fixture
def api() -> Iterator[RangeApi]:
    with range_api(dict.fromkeys(BREACHED, 3)) as server:
        yield server


def address(n: int) -> str:
    return f"198.51.100.{n + 1}"


def test_thirty_raced_changes_of_one_account_pass_ten(firestore: Any, api: RangeApi) -> None:
    settings = make_settings(breached_passwords="block", breached_passwords_url=api.url)
    assert settings.service.rate_limit_storage_uri.get_secret_value() == "firestore://"
    app = app_on(settings, build_adapters(settings, firestore=firestore))
    client = app.test_client()
    register(client, "alice")
    # A session and an address each: the login throttle's keys of one session or one
    # address never hold a racer back, only the account's budget of changes does.
    tokens = []
    for n in range(RACERS):
        body = {"username": "alice", "password": PASSWORD}
        answer = client.post("/login", json=body, environ_base={"REMOTE_ADDR": address(n)})
        assert answer.status_code == 200, answer.get_json()
        tokens.append(answer.get_json()["access_token"])
    asked = len(api.paths)

    def change(n: int) -> Any:
        def call(racer: FlaskClient) -> TestResponse:
            return racer.put(
                "/user/password",
                json={"current_password": PASSWORD, "new_password": BREACHED[n]},
                headers=bearer(tokens[n]),
                environ_base={"REMOTE_ADDR": address(n)},
            )

        return call

    outcomes = race(app, [change(n) for n in range(RACERS)])
    codes = sorted((o.status, o.code) for o in outcomes)
    assert codes == [(422, "password_breached")] * BUDGET + [(429, "too_many_password_changes")] * (
        RACERS - BUDGET
    )
    assert len(api.paths) - asked <= BUDGET  # the lookups the changes caused

    # The page's form, from a browser signed in to the same account, meets the same budget.
    browser = app.test_client()
    form = {"username": "alice", "password": PASSWORD, "csrf_token": csrf(browser, "/sign-in")}
    assert browser.post("/sign-in", data=form).status_code == 303
    page = {
        "current_password": PASSWORD,
        "new_password": "a passphrase nobody has lost yet",
        "csrf_token": csrf(browser, "/account/security"),
    }
    answer = browser.post("/account/password", data=page)
    assert answer.status_code == 429 and int(answer.headers["Retry-After"]) >= 1
    assert "Too many password changes; try again later." in answer.get_data(as_text=True)
