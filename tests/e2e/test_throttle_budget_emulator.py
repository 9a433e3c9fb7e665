"""A burst of guesses gets its budget and no more: each guess is counted before it is checked
(docs/security.md, "Lockout"), on the Firestore emulator with real argon2 and 30-40 racers.

Counted in the audit log: every guess the service actually checked leaves one failure event
with the reason of the check (``wrong_password``, ``wrong_code``); a guess refused before its
check leaves ``too_many_login_failures``."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import pyotp
import pytest
from flask import Flask

from application.ports import Audit
from bootstrap import build_adapters
from domain.signin.throttling import PER_ACCOUNT_IP
from tests.fakes.events import RecordingAuditLog
from tests.support.api import PASSWORD
from tests.support.app import app_on, swap
from tests.support.races import RACERS, Call, race
from tests.support.settings import make_settings
from tests.support.totp import mfa_token, register_with_totp

pytestmark = pytest.mark.e2e
BUDGET = PER_ACCOUNT_IP.max_failures  # failures of one account from one address


@pytest.fixture
def audit() -> RecordingAuditLog:
    return RecordingAuditLog()


@pytest.fixture
def app(firestore: Any, audit: RecordingAuditLog) -> Flask:
    settings = make_settings()
    return app_on(settings, swap(build_adapters(settings, firestore=firestore), audit=audit))


def reasons(audit: RecordingAuditLog, event: Audit) -> Counter[str | None]:
    return Counter(e.reason for e in audit.events if e.event is event and e.outcome == "failure")


def test_thirty_parallel_wrong_passwords_check_at_most_the_budget(
    app: Flask, audit: RecordingAuditLog
) -> None:
    client = app.test_client()
    body = {"username": "alice", "email": "alice@example.com", "password": PASSWORD}
    assert client.post("/register", json=body).status_code == 201
    outcomes = race(
        app,
        [
            lambda c: c.post("/login", json={"username": "alice", "password": "wrong password!"})
            for _ in range(RACERS)
        ],
    )
    statuses = Counter(o.status for o in outcomes)
    checked = reasons(audit, Audit.LOGIN)["wrong_password"]
    assert checked <= BUDGET, (checked, statuses)
    assert statuses[401] == checked and statuses[429] == RACERS - checked, statuses
    assert {o.code for o in outcomes if o.status == 429} == {"too_many_login_failures"}
    # The owner from another address is not held up by any of it.
    owner = client.post(
        "/login",
        json={"username": "alice", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "198.51.100.7"},
    )
    assert owner.status_code == 200, owner.get_json()


def test_forty_parallel_wrong_codes_over_eight_tokens_check_at_most_the_budget(
    app: Flask, audit: RecordingAuditLog
) -> None:
    client = app.test_client()
    secret, _ = register_with_totp(client, "alice")
    now = time.time()
    valid = {pyotp.TOTP(secret).at(now, counter_offset=step) for step in (-1, 0, 1, 2)}
    wrong = next(code for code in (f"{n}" * 6 for n in range(10)) if code not in valid)
    tokens = [mfa_token(client, "alice") for _ in range(8)]

    def guess(token: str) -> Call:
        return lambda c: c.post("/login/mfa", json={"mfa_token": token, "code": wrong})

    outcomes = race(app, [guess(token) for token in tokens for _ in range(5)])
    statuses = Counter(o.status for o in outcomes)
    checked = reasons(audit, Audit.MFA_CODE)["wrong_code"]
    assert checked <= BUDGET, (checked, statuses)
    assert all(o.status in (401, 429) for o in outcomes), statuses
    assert statuses[429] >= len(outcomes) - BUDGET, statuses
