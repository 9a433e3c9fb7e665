"""The local profile with no secrets configured, under ``make run``'s launcher
(scripts/run_local.py) and under gunicorn alone (docker-compose.yml): the development secrets
made for the run are shared by every worker (docs/configuration.md)."""

from __future__ import annotations

import sys
from typing import Any

import pyotp
import pytest
import requests

from tests.conftest import PASSWORD
from tests.e2e.conftest import ROOT, serving

pytestmark = pytest.mark.e2e
SECRETS = ("JWT_SECRET", "JWT_PRIVATE_KEY", "MFA_ENCRYPTION_KEY", "JOB_PUSH_TOKEN")


def post(url: str, path: str, body: dict[str, Any], token: str = "") -> requests.Response:
    # A new connection per request: gunicorn hands each to whichever worker accepts it.
    headers = {"Authorization": f"Bearer {token}", "Connection": "close"} if token else {}
    return requests.post(url + path, json=body, headers=headers, timeout=60)


@pytest.mark.parametrize(
    "launcher",
    [
        pytest.param([sys.executable, str(ROOT / "scripts" / "run_local.py")], id="make-run"),
        pytest.param([], id="gunicorn"),  # serving()'s gunicorn command line, on $PORT
    ],
)
def test_ten_totp_enrolments_with_two_workers(launcher: list[str], firestore: Any) -> None:
    log = "run-local-e2e.log" if launcher else "local-profile-gunicorn-e2e.log"
    with serving(log, command=launcher, unset=SECRETS, WEB_CONCURRENCY="2") as url:
        statuses = []
        for n in range(10):
            username = f"user{n}"
            body = {"username": username, "email": f"{username}@example.com"}
            assert post(url, "/register", {**body, "password": PASSWORD}).status_code == 201
            login = post(url, "/login", {"username": username, "password": PASSWORD})
            assert login.status_code == 200, login.text
            token = login.json()["access_token"]
            started = post(url, "/auth/mfa/totp", {"password": PASSWORD}, token)
            assert started.status_code == 200, started.text
            code = pyotp.TOTP(started.json()["secret"]).now()
            confirmed = post(url, "/auth/mfa/totp/confirm", {"code": code}, token)
            statuses.append(confirmed.status_code)
    assert statuses == [200] * 10
