"""The replaced systems' routes on the native use cases (docs/migrating.md), on fakes."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import MapAdapter

from bootstrap.units import units_on
from domain.accounts.credentials import Email, Username
from infrastructure.settings import Settings
from interfaces.http.converters import CONVERTERS
from tests.support.api import PASSWORD, admin_token, bearer, login, register
from tests.support.app import World
from tests.support.settings import make_settings
from tests.support.totp import enrol, next_code

pytestmark = pytest.mark.unit


@pytest.fixture
def app_settings(request: pytest.FixtureRequest) -> Settings:
    return make_settings(**getattr(request, "param", {}))


def test_other_casings_are_taken_on_the_compatibility_routes_only(client: FlaskClient) -> None:
    signup = {"Email": "a@example.com", "Username": "alice", "Password": PASSWORD, "Name": "Al"}
    assert client.post("/api/v1/auth/signup", json=signup).status_code == 201
    answer = client.post(
        "/api/v1/auth/login", json={"Email": "A@example.com", "Password": PASSWORD}
    )
    assert answer.status_code == 200, answer.get_json()
    native = client.post("/login", json={"Username": "alice", "Password": PASSWORD})
    assert native.status_code == 422
    both = client.post(
        "/api/v1/auth/login",
        json={"email": "a@example.com", "Email": "a@example.com", "password": PASSWORD},
    )
    assert (both.status_code, both.get_json()["code"]) == (400, "repeated_field")


def test_login_api_refresh_takes_the_refresh_token_as_bearer_or_in_the_body(
    client: FlaskClient,
) -> None:
    register(client, "alice")
    first = client.post(
        "/api/v1/auth/login", json={"email": "alice@example.com", "password": PASSWORD}
    )
    pair = first.get_json()
    by_bearer = client.post("/api/v1/token/refresh", headers=bearer(pair["refresh_token"]))
    assert by_bearer.status_code == 200, by_bearer.get_json()
    rotated = by_bearer.get_json()
    assert rotated["refresh_token"] != pair["refresh_token"]  # rotation, as natively
    in_body = client.post("/api/v1/token/refresh", json={"refresh_token": rotated["refresh_token"]})
    assert in_body.status_code == 200
    access = client.post("/api/v1/token/refresh", headers=bearer(pair["access_token"]))
    assert access.status_code == 401  # an access token is not a refresh token
    nothing = client.post("/api/v1/token/refresh")
    assert (nothing.status_code, nothing.get_json()["code"]) == (401, "missing_token")
    assert nothing.headers["WWW-Authenticate"].startswith("Bearer")


def test_login_api_refresh_without_a_token_asks_for_a_refresh_token(
    client: FlaskClient,
) -> None:
    for answer in (
        client.post("/api/v1/token/refresh"),
        client.post("/api/v1/token/refresh", json={}),
        client.post("/api/v1/token/refresh", headers={"Authorization": "Basic eDp5"}),
    ):
        assert (answer.status_code, answer.get_json()["code"]) == (401, "missing_token")
        assert "refresh token is required" in answer.get_json()["detail"]
        assert "access token" not in answer.get_json()["detail"]


def test_login_api_refresh_documents_the_refresh_token_as_bearer(client: FlaskClient) -> None:
    document: dict[str, Any] = client.get("/openapi.json").get_json()
    operation = document["paths"]["/api/v1/token/refresh"]["post"]
    # Swagger UI's "Authorize" sends it as the bearer; the body is the other way (no scheme).
    assert operation["security"] == [{"bearerAuth": []}, {}]
    scheme = document["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert "/api/v1/token/refresh, a refresh token" in scheme["description"]
    assert operation["requestBody"]["required"] is False
    assert "401" in operation["responses"]


def test_login_api_whoami_answers_both_verbs(client: FlaskClient) -> None:
    register(client, "alice")
    token = bearer(login(client))
    native = client.get("/auth/whoami", headers=token).get_json()
    for method in (client.get, client.post):
        answer = method("/api/v1/auth/whoami", headers=token)
        assert answer.status_code == 200 and answer.get_json() == native


def test_the_compatibility_logins_ask_for_the_second_factor(client: FlaskClient) -> None:
    register(client, "alice")
    secret, recovery = enrol(client, login(client))
    document: dict[str, Any] = client.get("/openapi.json").get_json()
    proofs = [{"code": next_code(secret, client)}, {"recovery_code": recovery[0]}]
    body = {"email": "alice@example.com", "password": PASSWORD}
    for path, proof in zip(["/api/v1/auth/login"] * 2, proofs, strict=True):
        first = client.post(path, json=body)
        problem = first.get_json()
        assert (first.status_code, problem["code"]) == (401, "mfa_required"), path
        assert problem["methods"] == ["totp", "recovery_code"]
        finished = client.post("/login/mfa", json={"mfa_token": problem["mfa_token"], **proof})
        assert finished.status_code == 200, finished.get_json()
        who = client.get("/auth/whoami", headers=bearer(finished.get_json()["access_token"]))
        assert who.get_json()["amr"] == ["pwd", "otp"]
        content = document["paths"][path]["post"]["responses"]["401"]["content"]
        assert content["application/problem+json"]["schema"]["$ref"].endswith("/LoginProblem")


@pytest.mark.parametrize("app_settings", [{"rate_limit_login": "2/minute"}], indirect=True)
def test_a_compatibility_route_counts_against_the_native_routes_limit(client: FlaskClient) -> None:
    register(client, "alice")
    body = {"username": "alice", "password": PASSWORD}
    assert client.post("/login", json=body).status_code == 200
    by_address = {"email": "alice@example.com", "password": PASSWORD}
    assert client.post("/api/v1/auth/login", json=by_address).status_code == 200
    refused = client.post("/api/v1/auth/login", json=by_address)
    assert (refused.status_code, refused.get_json()["code"]) == (429, "rate_limited")
    assert client.post("/login", json=body).status_code == 429


@pytest.mark.parametrize("app_settings", [{"rate_limit_register": "2/minute"}], indirect=True)
def test_the_compatibility_sign_ups_count_against_the_native_registers_limit(
    client: FlaskClient,
) -> None:
    register(client, "alice")
    signup = {"email": "bob@example.com", "username": "bob", "password": PASSWORD}
    assert client.post("/api/v1/auth/signup", json=signup).status_code == 201
    signup = {"email": "carol@example.com", "username": "carol", "password": PASSWORD}
    refused = client.post("/api/v1/auth/signup", json=signup)
    assert (refused.status_code, refused.get_json()["code"]) == (429, "rate_limited")
    native = {"username": "erin", "email": "erin@example.com", "password": PASSWORD}
    assert client.post("/register", json=native).status_code == 429


@pytest.mark.parametrize("app_settings", [{"rate_limit_refresh": "2/minute"}], indirect=True)
def test_the_compatibility_refresh_counts_against_the_native_refreshs_limit(
    client: FlaskClient,
) -> None:
    register(client, "alice")
    pair = client.post("/login", json={"username": "alice", "password": PASSWORD}).get_json()
    first = client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert first.status_code == 200
    second = client.post("/api/v1/token/refresh", headers=bearer(first.get_json()["refresh_token"]))
    assert second.status_code == 200
    refused = client.post(
        "/api/v1/token/refresh", json={"refresh_token": second.get_json()["refresh_token"]}
    )
    assert (refused.status_code, refused.get_json()["code"]) == (429, "rate_limited")
    native = client.post(
        "/auth/refresh", json={"refresh_token": second.get_json()["refresh_token"]}
    )
    assert native.status_code == 429


def test_dogs_api_user_creation_is_the_admin_invitation(
    fake_app: Flask, client: FlaskClient
) -> None:
    admin = admin_token(fake_app, client)
    register(client, "alice")
    user = bearer(login(client))
    body = {"name": "Bob", "last_name": "Smith", "email": "bob.smith+dogs@example.com"}
    refused = client.post("/api/users", json=body, headers=user)
    native = client.post("/users/invitations", json={**body, "username": "bob"}, headers=user)
    assert refused.status_code == native.status_code == 403
    assert refused.get_json()["code"] == native.get_json()["code"] == "admin_required"
    created = client.post("/api/users", json=body, headers=admin)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["username"] == "bob.smithdogs"
    assert created.get_json()["email"] == body["email"]
    again = client.post("/api/users", json=body, headers=admin)
    assert again.status_code == 409


def test_a_username_from_an_address_keeps_only_what_a_username_may_hold() -> None:
    assert Username.from_address(Email("Ann.O'Neil+x@example.com")) == "Ann.ONeilx"
    assert Username.from_address(Email(f"{'a' * 40}@example.com")) == "a" * 32


def test_dogs_api_user_changes_are_the_owners_or_the_admins(
    fake_app: Flask, client: FlaskClient
) -> None:
    admin = admin_token(fake_app, client)
    alice, bob = register(client, "alice"), register(client, "bob")
    token = bearer(login(client, "alice"))
    own = client.patch(f"/api/users/{alice['id']}", json={"name": "Alice"}, headers=token)
    assert own.status_code == 200 and own.get_json()["name"] == "Alice"
    other = client.patch(f"/api/users/{bob['id']}", json={"name": "Bob"}, headers=token)
    assert (other.status_code, other.get_json()["code"]) == (403, "not_owner")
    by_admin = client.patch(f"/api/users/{bob['id']}", json={"name": "Bob"}, headers=admin)
    assert by_admin.status_code == 403  # a profile is its owner's, as natively
    promote = client.put(f"/api/users/{alice['id']}", json={"role": "uploader"}, headers=token)
    assert (promote.status_code, promote.get_json()["code"]) == (403, "admin_required")
    role = client.patch(f"/api/users/{bob['id']}", json={"role": "uploader"}, headers=admin)
    assert role.status_code == 200 and role.get_json()["role"] == "uploader"
    # The document's admin change may carry attributes beside role and disabled (none set
    # here, and none defined by a profile schema: an empty object writes nothing).
    both: dict[str, Any] = {"role": "user", "disabled": None, "attributes": {}}
    with_attributes = client.patch(f"/api/users/{bob['id']}", json=both, headers=admin)
    assert with_attributes.status_code == 200, with_attributes.get_json()
    assert with_attributes.get_json()["role"] == "user"
    gone = client.delete(f"/api/users/{bob['id']}", headers=token)
    assert (gone.status_code, gone.get_json()["code"]) == (403, "admin_required")
    assert client.delete(f"/api/users/{alice['id']}", headers=token).status_code == 204
    assert client.get("/user", headers=token).status_code == 401


def test_compatibility_routes_are_tagged_and_name_their_native_route(client: FlaskClient) -> None:
    document: dict[str, Any] = client.get("/openapi.json").get_json()
    tagged = [
        (method.upper(), path, operation["summary"])
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if "compatibility" in operation["tags"]
    ]
    # The core's, and each unit's (its own tests check them: tests/unit/files/test_files_compat.py).
    units, served = units_compat_routes()
    core = [(m, p) for m, p in COMPAT_ROUTES if not units.test(p, m.upper())]
    assert len(tagged) == len(core) + len(served)
    assert all("native:" in summary or ": as " in summary for _, _, summary in tagged)
    assert all(
        "compatibility" not in op["tags"]
        for op in document["paths"]["/users"].values()
        if op["operationId"] == "get__users"
    )


def unit_compat_routes() -> list[tuple[str, str, str]]:
    """Each route of the units' compatibility blueprints (bootstrap/units.py), whichever units
    the service has: its method, a path it answers, its path as the document names it."""
    app = Flask("units")
    app.url_map.converters.update(CONVERTERS)
    for unit in units_on(make_settings()):
        for blueprint in unit.compat_api():
            app.register_blueprint(blueprint)
    return [
        (
            method.lower(),
            re.sub(r"<[^>]+>", "x", rule.rule),
            re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule),
        )
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
    ]


def units_compat_routes() -> tuple[MapAdapter, set[tuple[str, str]]]:
    """The units' compatibility routes (bootstrap/units.py): what matches them, and each
    (method, rule)."""
    app = Flask("units")
    app.url_map.converters.update(CONVERTERS)
    for unit in units_on(make_settings()):
        for blueprint in unit.compat_api():
            app.register_blueprint(blueprint)
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]
    served = {
        (method, rule.rule)
        for rule in rules
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }
    return app.url_map.bind("localhost"), served


COMPAT_ROUTES = [
    ("get", "/api/users"),
    ("post", "/api/users"),
    ("get", "/api/users/abc"),
    ("put", "/api/users/abc"),
    ("patch", "/api/users/abc"),
    ("delete", "/api/users/abc"),
    ("post", "/api/v1/auth/signup"),
    ("post", "/api/v1/auth/login"),
    ("get", "/api/v1/auth/whoami"),
    ("post", "/api/v1/auth/whoami"),
    ("post", "/api/v1/token/refresh"),
    ("get", "/api/v1/users/"),
    ("get", "/api/v1/users/abc"),
    ("get", "/api/v1/user/abc"),
]


@pytest.mark.parametrize("app_settings", [{"compat_routes": False}], indirect=True)
def test_compat_routes_false_turns_every_compatibility_route_off(client: FlaskClient) -> None:
    for method, path in [*COMPAT_ROUTES, *((m, p) for m, p, _ in unit_compat_routes())]:
        answer = getattr(client, method)(path, json={})
        assert answer.status_code == 404, (method, path)
        assert answer.content_type == "application/problem+json"
    # POST /users shares its path with the native GET /users, and is absent all the same.
    answer = client.post("/users", json={"username": "alice", "password": "a long passphrase"})
    assert answer.status_code == 404 and answer.get_json()["code"] == "not_found"
    assert client.get("/users").status_code == 401  # the native route stays


def test_each_app_documents_its_own_routes_whichever_asked_first() -> None:
    # spectree keeps the first document it generates: every app of a process once answered
    # with the first app's, compatibility routes or not.
    def documented_paths(*, compat_routes: bool) -> set[str]:
        answer = World(compat_routes=compat_routes).client.get("/openapi.json")
        return set(answer.get_json()["paths"])

    off = documented_paths(compat_routes=False)
    on = documented_paths(compat_routes=True)
    assert documented_paths(compat_routes=False) == off
    compat = {"/api/v1/auth/login", "/api/v1/token/refresh", "/api/users/{user_id}", "/api/users"}
    assert compat <= on
    assert not compat & off
    assert off < on  # the native routes in both
