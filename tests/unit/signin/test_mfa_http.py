"""The second factor over HTTP on the fakes (codes computed with pyotp at the app's time)."""

from __future__ import annotations

from typing import Any

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.api import PASSWORD, bearer, login, register
from tests.support.app import World, app_time
from tests.support.totp import enrol, next_code, register_with_totp

pytestmark = pytest.mark.unit


def first_step(client: FlaskClient, password: str = PASSWORD) -> Any:
    return client.post("/login", json={"username": "alice", "password": password})


def test_two_step_login_over_http(client: FlaskClient) -> None:
    register(client)
    token = login(client)
    secret, codes = enrol(client, token)
    assert len(codes) == 10
    assert client.get("/auth/whoami", headers=bearer(token)).status_code == 200  # kept
    answer = first_step(client)
    assert answer.status_code == 401 and answer.mimetype == "application/problem+json"
    problem = answer.get_json()
    assert problem["code"] == "mfa_required" and problem["methods"] == ["totp", "recovery_code"]
    assert "device_token" not in problem and "firegate_device" not in str(answer.headers)
    finished = client.post(
        "/login/mfa", json={"mfa_token": problem["mfa_token"], "code": next_code(secret, client)}
    )
    assert finished.status_code == 200, finished.get_json()
    pair = finished.get_json()
    assert pair["device_token"] and "Path=/login" in finished.headers["Set-Cookie"]
    who = client.get("/auth/whoami", headers=bearer(pair["access_token"])).get_json()
    assert who["amr"] == ["pwd", "otp"]
    refreshed = client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    again = client.get("/auth/whoami", headers=bearer(refreshed.get_json()["access_token"]))
    assert again.get_json()["amr"] == ["pwd", "otp"]  # the session keeps it


def test_the_tests_codes_are_the_apps_even_when_the_wall_clock_is_a_step_ahead() -> None:
    """The test support computes codes at the app's fake time: a wall clock one step or more
    ahead (it moves on while the fake one stands still) must not spend the step that
    ``next_code`` gives next (this made SSO's second-step test fail about once in thirty)."""
    world = World()
    world.clock.advance(seconds=-90)  # the app's time three steps behind the wall clock's
    secret, _ = register_with_totp(world.client, "tia")
    answer = world.client.post("/login", json={"username": "tia", "password": PASSWORD})
    assert answer.status_code == 401
    finished = world.client.post(
        "/login/mfa",
        json={"mfa_token": answer.get_json()["mfa_token"], "code": next_code(secret, world.client)},
    )
    assert finished.status_code == 200, finished.get_json()


def test_a_wrong_password_answers_alike_with_and_without_mfa(client: FlaskClient) -> None:
    register(client)
    register(client, "bob")
    enrol(client, login(client))
    with_mfa = first_step(client, "wrong password!")
    without = client.post("/login", json={"username": "bob", "password": "wrong password!"})
    assert with_mfa.status_code == without.status_code == 401
    assert with_mfa.get_json() == without.get_json()
    assert with_mfa.get_json()["code"] == "invalid_credentials"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"mfa_token": "t"},
        {"mfa_token": "t", "code": "123456", "recovery_code": "aaaa-bbbb-cccc"},
        {"mfa_token": "t", "code": "12345"},
        {"mfa_token": "t", "code": 123456},
        {"mfa_token": "t", "code": None},
        {"mfa_token": "", "code": "123456"},
        {"mfa_token": "t", "code": "123456", "extra": 1},
        {"mfa_token": "t", "recovery_code": "short"},
    ],
)
def test_bad_second_steps_are_422(client: FlaskClient, body: dict[str, object]) -> None:
    response = client.post("/login/mfa", json=body)
    assert response.status_code == 422, response.get_json()
    assert response.mimetype == "application/problem+json"


def test_an_unknown_mfa_token_is_401(client: FlaskClient) -> None:
    response = client.post("/login/mfa", json={"mfa_token": "a" * 43, "code": "123456"})
    assert response.status_code == 401 and response.get_json()["code"] == "invalid_mfa_token"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/auth/mfa/totp", {"password": ""}),
        ("post", "/auth/mfa/totp/confirm", {"code": "abcdef"}),
        ("delete", "/auth/mfa/totp", {"password": PASSWORD}),
        ("delete", "/auth/mfa/totp", {"password": PASSWORD, "code": "1"}),
    ],
)
def test_bad_enrolment_bodies_are_422(
    client: FlaskClient, method: str, path: str, body: dict[str, object]
) -> None:
    register(client)
    response = getattr(client, method)(path, json=body, headers=bearer(login(client)))
    assert response.status_code == 422, response.get_json()
    assert response.mimetype == "application/problem+json"


def test_turning_off_and_new_codes_over_http(client: FlaskClient) -> None:
    register(client)
    token = login(client)
    secret, codes = enrol(client, token)
    headers = bearer(token)
    fresh = client.post(
        "/auth/mfa/recovery-codes",
        json={"password": PASSWORD, "code": next_code(secret, client)},
        headers=headers,
    )
    assert fresh.status_code == 200 and set(fresh.get_json()["recovery_codes"]).isdisjoint(codes)
    refused = client.delete(
        "/auth/mfa/totp", json={"password": PASSWORD, "code": codes[0]}, headers=headers
    )
    assert refused.status_code == 403 and refused.get_json()["code"] == "invalid_mfa_code"
    off = client.delete(
        "/auth/mfa/totp",
        json={"password": PASSWORD, "code": fresh.get_json()["recovery_codes"][0]},
        headers=headers,
    )
    assert off.status_code == 204
    assert first_step(client).status_code == 200
    again = client.delete(
        "/auth/mfa/totp", json={"password": PASSWORD, "code": "123456"}, headers=headers
    )
    assert again.status_code == 409 and again.get_json()["code"] == "mfa_not_enabled"


def test_cli_reset_mfa(fake_app: Flask, client: FlaskClient) -> None:
    register(client)
    enrol(client, login(client))
    assert first_step(client).get_json()["code"] == "mfa_required"
    result = fake_app.test_cli_runner().invoke(args=["users", "reset-mfa", "alice"])
    assert result.exit_code == 0 and "two-step login is off" in result.output
    assert first_step(client).status_code == 200
    missing = fake_app.test_cli_runner().invoke(args=["users", "reset-mfa", "nobody"])
    assert missing.exit_code != 0


def test_the_routes_are_documented(client: FlaskClient) -> None:
    paths = client.get("/openapi.json").get_json()["paths"]
    assert {"200", "401", "422", "429"} <= set(paths["/login/mfa"]["post"]["responses"])
    for path, method in [
        ("/auth/mfa/totp", "post"),
        ("/auth/mfa/totp", "delete"),
        ("/auth/mfa/totp/confirm", "post"),
        ("/auth/mfa/recovery-codes", "post"),
    ]:
        assert {"401", "403", "409", "422"} <= set(paths[path][method]["responses"])


def wrong_code(secret: str, client: FlaskClient) -> str:
    """Six digits that no step within the skew accepts."""
    now = app_time(client)
    near = {pyotp.TOTP(secret).at(now, counter_offset=n) for n in (-1, 0, 1, 2)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in near)


@pytest.mark.parametrize(
    ("method", "path"), [("delete", "/auth/mfa/totp"), ("post", "/auth/mfa/recovery-codes")]
)
def test_wrong_codes_after_the_right_password_count_in_the_login_throttle(
    client: FlaskClient, method: str, path: str
) -> None:
    register(client)
    token = login(client)
    secret, _ = enrol(client, token)
    send = getattr(client, method)
    for _ in range(10):  # the per-account-and-address budget
        body = {"password": PASSWORD, "code": wrong_code(secret, client)}
        refused = send(path, json=body, headers=bearer(token))
        assert refused.status_code == 403 and refused.get_json()["code"] == "invalid_mfa_code"
    blocked = send(
        path, json={"password": PASSWORD, "code": next_code(secret, client)}, headers=bearer(token)
    )
    assert blocked.status_code == 429
    assert blocked.get_json()["code"] == "too_many_login_failures"
