"""Failed-login throttle on the Firestore emulator behind one trusted proxy (the Cloud Run
set-up, TRUSTED_PROXY_HOPS=1), through the Flask test client with real argon2."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from application.ports import Audit
from bootstrap import build_adapters
from domain.signin.throttling import LoginThrottlePolicy
from infrastructure.firestore.signin.login_failures import FirestoreLoginThrottle
from tests.fakes.events import RecordingAuditLog
from tests.support.api import PASSWORD, register
from tests.support.app import app_on, swap
from tests.support.settings import make_settings

pytestmark = pytest.mark.e2e
PROXY, ATTACKER, OWNER = "169.254.1.1", "203.0.113.66", "198.51.100.7"


@pytest.fixture
def audit() -> RecordingAuditLog:
    return RecordingAuditLog()


@pytest.fixture
def proxied_client(firestore: Any, audit: RecordingAuditLog) -> FlaskClient:
    settings = make_settings(trusted_proxy_hops=1)
    app = app_on(settings, swap(build_adapters(settings, firestore=firestore), audit=audit))
    return app.test_client()


def login(client: FlaskClient, forwarded_for: str, password: str) -> Any:
    return client.post(
        "/login",
        json={"username": "alice", "password": password},
        headers={"X-Forwarded-For": forwarded_for},
        environ_base={"REMOTE_ADDR": PROXY},
    )


def test_attacker_waits_while_the_owner_logs_in_from_elsewhere(
    proxied_client: FlaskClient, firestore: Any, audit: RecordingAuditLog
) -> None:
    user = register(proxied_client, "alice")
    for _ in range(10):
        assert login(proxied_client, ATTACKER, "wrong password!").status_code == 401
    for forwarded_for in (ATTACKER, f"{OWNER}, {ATTACKER}"):  # a forged first hop is ignored
        blocked = login(proxied_client, forwarded_for, PASSWORD)
        assert blocked.status_code == 429
        assert blocked.get_json()["code"] == "too_many_login_failures"
        assert 1 <= int(blocked.headers["Retry-After"]) <= 60
    assert login(proxied_client, OWNER, PASSWORD).status_code == 200

    throttle = FirestoreLoginThrottle(firestore)
    keys = dict(LoginThrottlePolicy().rules_for("alice", ATTACKER))
    assert throttle.load(list(keys))[f"account_ip:alice|{ATTACKER}"].blocked_until is not None
    logins = [e for e in audit.events if e.event is Audit.LOGIN]
    assert [(e.outcome, e.reason, e.ip) for e in logins] == (
        [("failure", "wrong_password", ATTACKER)] * 10
        + [("failure", "too_many_login_failures", ATTACKER)] * 2
        + [("success", None, OWNER)]
    )
    assert logins[-1].user_id == user["id"] and logins[-1].session_id


def test_success_clears_only_this_account_from_this_address(
    proxied_client: FlaskClient, firestore: Any
) -> None:
    register(proxied_client, "alice")
    for _ in range(3):
        assert login(proxied_client, OWNER, "wrong password!").status_code == 401
    assert login(proxied_client, OWNER, PASSWORD).status_code == 200
    throttle = FirestoreLoginThrottle(firestore)
    left = throttle.load([key for key, _ in LoginThrottlePolicy().rules_for("alice", OWNER)])
    assert {key: record.failures for key, record in left.items()} == {
        "account:alice": 3,
        f"ip:{OWNER}": 3,
    }


def change_password(client: FlaskClient, token: str, current: str, forwarded_for: str) -> Any:
    return client.put(
        "/user/password",
        json={"current_password": current, "new_password": "a brand new passphrase"},
        headers={"Authorization": f"Bearer {token}", "X-Forwarded-For": forwarded_for},
        environ_base={"REMOTE_ADDR": PROXY},
    )


def test_password_change_guesses_are_throttled(proxied_client: FlaskClient) -> None:
    """A stolen access token does not buy unlimited guesses at the current password: they
    count as failed logins of the account, and once blocked even the right one waits."""
    register(proxied_client, "alice")
    answer = login(proxied_client, ATTACKER, PASSWORD)
    assert answer.status_code == 200
    token = answer.get_json()["access_token"]
    statuses = [
        change_password(proxied_client, token, f"guess number {n}", ATTACKER).status_code
        for n in range(40)
    ]
    limit = LoginThrottlePolicy().per_account_ip.max_failures
    assert statuses[:limit] == [403] * limit
    assert set(statuses[limit:]) == {429}
    blocked = change_password(proxied_client, token, PASSWORD, ATTACKER)
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) >= 1
    assert blocked.get_json()["code"] == "too_many_login_failures"
    # The account's owner, elsewhere, is not locked out by the guesses.
    assert login(proxied_client, OWNER, PASSWORD).status_code == 200


def test_a_device_that_signed_in_before_logs_in_while_an_attacker_holds_the_account_block(
    firestore: Any,
) -> None:
    """About 100 wrong guesses from 10+ addresses block the account for every new client;
    the owner's browser (its httpOnly cookie) and an API client (the Device-Token header)
    that signed in before still get in, and the attacker gains nothing from a device token
    of another account."""
    settings = make_settings(trusted_proxy_hops=1)
    app = app_on(settings, build_adapters(settings, firestore=firestore))
    browser, api, attacker = app.test_client(), app.test_client(), app.test_client(False)
    register(browser, "alice")
    register(attacker, "mallory")
    assert login(browser, OWNER, PASSWORD).status_code == 200  # keeps the cookie
    device = login(api, OWNER, PASSWORD).get_json()["device_token"]
    mallorys = attacker.post(
        "/login",
        json={"username": "mallory", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": PROXY},
    ).get_json()["device_token"]

    policy = LoginThrottlePolicy()
    per_address = policy.per_account_ip.max_failures - 1
    statuses = [
        login(attacker, f"203.0.113.{n // per_address}", "a wrong guess").status_code
        for n in range(policy.per_account.max_failures)
    ]
    assert statuses == [401] * len(statuses)
    assert login(attacker, "203.0.113.200", PASSWORD).status_code == 429
    assert (
        attacker.post(
            "/login",
            json={"username": "alice", "password": PASSWORD},
            headers={"X-Forwarded-For": "203.0.113.201", "Device-Token": mallorys},
            environ_base={"REMOTE_ADDR": PROXY},
        ).status_code
        == 429
    )

    answer = login(browser, "192.0.2.10", PASSWORD)  # the cookie, from a new address
    assert answer.status_code == 200, answer.get_json()
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/login" in cookie
    by_header = api.post(
        "/login",
        json={"username": "alice", "password": PASSWORD},
        headers={"X-Forwarded-For": "192.0.2.11", "Device-Token": device},
        environ_base={"REMOTE_ADDR": PROXY},
    )
    assert by_header.status_code == 200
    token = by_header.get_json()["access_token"]
    me = api.get("/user", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.get_json()["username"] == "alice"
