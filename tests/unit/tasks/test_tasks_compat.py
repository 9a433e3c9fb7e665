"""The replaced FastAPI tasks API's routes (docs/migrating.md), which the tasks unit serves
with COMPAT_ROUTES: its sign-up and login on the native use cases, and its 401s."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.fakes.kernel import FakeJobQueue
from tests.support.api import PASSWORD, bearer, login, register

pytestmark = pytest.mark.unit


def test_tasks_api_sign_up_makes_an_account_without_an_address(
    client: FlaskClient, job_queue: FakeJobQueue
) -> None:
    created = client.post("/users", json={"username": "alice", "password": PASSWORD})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert set(body) == {"id", "username"} and body["username"] == "alice"
    assert created.headers["Location"] == f"/users/{body['id']}"
    assert job_queue.jobs == []  # no address: no verification mail
    me = client.get("/user", headers=bearer(login(client, "alice"))).get_json()
    assert me["email"] is None and me["email_verified"] is False
    verification = client.post("/auth/email/verification", headers=bearer(login(client)))
    assert (verification.status_code, verification.get_json()["code"]) == (409, "no_email")


def test_tasks_api_sign_up_keeps_the_native_rules(client: FlaskClient) -> None:
    register(client, "alice")
    taken = client.post("/users", json={"username": "ALICE", "password": PASSWORD})
    assert (taken.status_code, taken.get_json()["code"]) == (409, "username_taken")
    common = client.post("/users", json={"username": "bob", "password": "password123"})
    native = client.post(
        "/register", json={"username": "bob", "email": "b@example.com", "password": "password123"}
    )
    assert common.status_code == native.status_code == 422
    assert common.get_json()["errors"] == native.get_json()["errors"]
    role = client.post("/users", json={"username": "carol", "password": PASSWORD, "role": "admin"})
    assert role.status_code == 422  # no mass assignment


def test_tasks_api_login_takes_json_and_the_oauth2_form(client: FlaskClient) -> None:
    client.post("/users", json={"username": "alice", "password": PASSWORD})
    as_json = client.post("/auth/login", json={"username": "alice", "password": PASSWORD})
    form = {"grant_type": "password", "username": "alice", "password": PASSWORD}
    as_form = client.post("/auth/login", data=form)
    for answer in (as_json, as_form):
        assert answer.status_code == 200, answer.get_json()
        assert answer.get_json()["token_type"] == "bearer"
        assert {"access_token", "refresh_token", "expires_in"} <= set(answer.get_json())
    wrong = client.post("/auth/login", json={"username": "alice", "password": "x" * 12})
    native = client.post("/login", json={"username": "alice", "password": "x" * 12})
    assert wrong.status_code == native.status_code == 401
    assert wrong.get_json() == native.get_json()


def test_unauthenticated_task_creation_is_401_with_a_detail_string(client: FlaskClient) -> None:
    answer = client.post("/tasks", json={"title": "x"})
    assert answer.status_code == 401
    assert isinstance(answer.get_json()["detail"], str) and answer.get_json()["detail"]
