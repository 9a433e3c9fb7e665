"""TOTP through the JSON API: enrolment and the codes the server accepts."""

from __future__ import annotations

import pyotp
from flask.testing import FlaskClient

from tests.support.api import PASSWORD, bearer, register
from tests.support.app import app_time


def next_code(secret: str, client: FlaskClient) -> str:
    """A code the server accepts after the current step's was used: the next step's."""
    return pyotp.TOTP(secret).at(app_time(client), counter_offset=1)


def enrol(client: FlaskClient, token: str) -> tuple[str, list[str]]:
    started = client.post("/auth/mfa/totp", json={"password": PASSWORD}, headers=bearer(token))
    assert started.status_code == 200, started.get_json()
    body = started.get_json()
    assert set(body) == {"secret", "otpauth_uri", "qr_svg"}
    assert body["otpauth_uri"].startswith("otpauth://totp/firegate:alice?")
    assert body["qr_svg"].startswith("<svg") and "</svg>" in body["qr_svg"]
    secret: str = body["secret"]
    code = pyotp.TOTP(secret).at(app_time(client))
    confirmed = client.post("/auth/mfa/totp/confirm", json={"code": code}, headers=bearer(token))
    assert confirmed.status_code == 200, confirmed.get_json()
    codes: list[str] = confirmed.get_json()["recovery_codes"]
    return secret, codes


def register_with_totp(
    client: FlaskClient, username: str, email: str | None = None
) -> tuple[str, list[str]]:
    register(client, username, **({"email": email} if email else {}))
    logged_in = client.post("/login", json={"username": username, "password": PASSWORD})
    headers = bearer(logged_in.get_json()["access_token"])
    started = client.post("/auth/mfa/totp", json={"password": PASSWORD}, headers=headers)
    assert started.status_code == 200, started.get_json()
    secret: str = started.get_json()["secret"]
    confirmed = client.post(
        # at the app's time, never the wall clock's: the app's fake clock stands still, and
        # a code of the wall clock's next step would spend the step next_code gives
        "/auth/mfa/totp/confirm",
        json={"code": pyotp.TOTP(secret).at(app_time(client))},
        headers=headers,
    )
    assert confirmed.status_code == 200, confirmed.get_json()
    codes: list[str] = confirmed.get_json()["recovery_codes"]
    return secret, codes


def mfa_token(client: FlaskClient, username: str) -> str:
    answer = client.post("/login", json={"username": username, "password": PASSWORD})
    assert answer.status_code == 401, answer.get_json()
    problem = answer.get_json()
    assert problem["code"] == "mfa_required" and problem["methods"] == ["totp", "recovery_code"]
    token: str = problem["mfa_token"]
    return token
