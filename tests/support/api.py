"""The JSON API through a Flask test client: an account, its token, the problems it answers."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from application.accounts.admin import SetRole
from application.accounts.services import AccountServices
from application.services import Services

PASSWORD = "correct horse battery staple"


def register(client: FlaskClient, username: str = "alice", **extra: Any) -> dict[str, Any]:
    body = {"username": username, "email": f"{username}@example.com", "password": PASSWORD}
    body.update(extra)
    response = client.post("/register", json=body)
    assert response.status_code == 201, response.get_json()
    result: dict[str, Any] = response.get_json()
    return result


def login(client: FlaskClient, username: str = "alice", password: str = PASSWORD) -> str:
    response = client.post("/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.get_json()
    token: str = response.get_json()["access_token"]
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_problem(response: TestResponse, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body: dict[str, Any] = response.get_json(force=True)
    assert body["status"] == status and body["code"] == code
    assert {"type", "title", "detail"} <= set(body)
    return body


def assert_field_error(response: Any, field: str, code: str) -> None:
    """A 422 whose only field error is (field, code); the problem's own code is either
    ``validation_failed`` (schema) or the same code (a domain rule)."""
    problem = assert_problem(response, 422, response.get_json()["code"])
    assert problem["code"] in ("validation_failed", code)
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [(field, code)]


def services(app: Flask) -> Services:
    found: Services = app.extensions["firegate"]
    return found


def admin_token(app: Flask, client: FlaskClient, name: str = "root") -> dict[str, str]:
    register(client, name)
    services(app).of(AccountServices).admin.set_role(SetRole(name, "admin"))
    return bearer(login(client, name))


def user_token(app: Flask, client: FlaskClient, name: str, role: str = "user") -> dict[str, str]:
    register(client, name)
    if role != "user":
        result = app.test_cli_runner().invoke(args=["users", "set-role", name, role])
        assert result.exit_code == 0, result.output
    return bearer(login(client, name))
