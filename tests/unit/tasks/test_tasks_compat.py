"""The replaced FastAPI tasks API's routes (docs/migrating.md), which the tasks unit serves
with COMPAT_ROUTES: its sign-up and login on the native use cases, and its 401s."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from application.ports import Audit
from infrastructure.settings import Settings
from tests.fakes.kernel import FakeJobQueue
from tests.support.api import PASSWORD, assert_problem, bearer, login, register
from tests.support.app import World
from tests.support.settings import make_settings
from tests.support.totp import enrol, next_code

pytestmark = pytest.mark.unit


@pytest.fixture
def app_settings(request: pytest.FixtureRequest) -> Settings:
    return make_settings(**getattr(request, "param", {}))


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


def test_the_tasks_apis_sign_up_documents_a_refused_sign_up(client: FlaskClient) -> None:
    """Who may sign up and a ``before_sign_up`` hook answer 403 wherever an account is made."""
    document = client.get("/openapi.json").get_json()
    assert "403" in document["paths"]["/users"]["post"]["responses"]


def test_the_tasks_apis_sign_up_without_an_address_asks_the_sign_up_rule() -> None:
    world = World(signup_domains_allow=["example.com"])
    answer = world.client.post("/users", json={"username": "bob", "password": PASSWORD})
    assert assert_problem(answer, 403, "signup_not_allowed")["reason"] == "domain_not_allowed"
    refused = [(e.via, e.reason) for e in world.audit.events if e.event is Audit.SIGNUP_REFUSED]
    assert refused == [("register", "domain_not_allowed")]


def test_the_tasks_apis_sign_up_is_challenged_like_register() -> None:
    """``POST /users`` knows its client: past the sign-ups' number it asks the challenge."""
    w = World(
        challenge_provider="turnstile",
        challenge_site_key="k",
        challenge_secret="s",
        challenge_signups_per_hour=1,
    )
    first = w.client.post("/users", json={"username": "ann", "password": PASSWORD})
    assert first.status_code == 201, first.get_json()
    second = w.client.post("/users", json={"username": "bob", "password": PASSWORD})
    assert_problem(second, 401, "challenge_required")


def test_the_tasks_apis_login_asks_for_the_second_factor(client: FlaskClient) -> None:
    register(client, "alice")
    secret, _ = enrol(client, login(client))
    first = client.post("/auth/login", json={"username": "alice", "password": PASSWORD})
    problem = first.get_json()
    assert (first.status_code, problem["code"]) == (401, "mfa_required")
    proof = {"mfa_token": problem["mfa_token"], "code": next_code(secret, client)}
    finished = client.post("/login/mfa", json=proof)
    assert finished.status_code == 200, finished.get_json()
    document = client.get("/openapi.json").get_json()
    content = document["paths"]["/auth/login"]["post"]["responses"]["401"]["content"]
    assert content["application/problem+json"]["schema"]["$ref"].endswith("/LoginProblem")


@pytest.mark.parametrize(
    "app_settings",
    [{"rate_limit_login": "2/minute", "rate_limit_register": "2/minute"}],
    indirect=True,
)
def test_the_tasks_apis_sign_up_and_login_count_against_the_native_limits(
    client: FlaskClient,
) -> None:
    register(client, "alice")
    body = {"username": "alice", "password": PASSWORD}
    assert client.post("/login", json=body).status_code == 200
    assert client.post("/auth/login", json=body).status_code == 200
    assert client.post("/login", json=body).status_code == 429
    assert client.post("/users", json={"username": "bob", "password": PASSWORD}).status_code == 201
    again = client.post("/users", json={"username": "dave", "password": PASSWORD})
    assert again.status_code == 429
    native = {"username": "erin", "email": "erin@example.com", "password": PASSWORD}
    assert client.post("/register", json=native).status_code == 429
