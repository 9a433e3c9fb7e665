"""docs/reference/index.md conventions through the Flask test client, on in-memory fakes."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from flask.testing import FlaskClient

from bootstrap import build_app
from domain.accounts.profile import PROFILE_TEXTS
from interfaces.shared.logs import new_request_id
from tests.support.api import PASSWORD, assert_problem, bearer, login, register
from tests.support.app import fake_adapters
from tests.support.forks import drawn_in_a_child
from tests.support.settings import make_settings

pytestmark = pytest.mark.unit


def test_register_returns_user_and_location(client: FlaskClient) -> None:
    response = client.post(
        "/register",
        json={
            "username": "alice",
            "email": "alice@example.com",
            "password": PASSWORD,
            "name": "Alice",
            "last_name": "Liddell",
        },
    )
    assert response.status_code == 201
    body = response.get_json()
    assert response.headers["Location"] == f"/users/{body['id']}"
    assert set(body) == {
        "id",
        "username",
        "email",
        *PROFILE_TEXTS,
        "role",
        "attributes",
        "email_verified",
        "phone_number",
        "phone_number_verified",
        "locale",
        "created_at",
        "updated_at",
        "guest",
    }
    assert body["role"] == "user" and body["created_at"].endswith("Z")


@pytest.mark.parametrize(
    ("data", "content_type", "code"),
    [
        ("{", "application/json", "malformed_json"),
        ("[1, 2]", "application/json", "json_not_object"),
        ('"text"', "application/json", "json_not_object"),
        ("NaN", "application/json", "malformed_json"),
        ('{"username": "x"}', "text/plain", "unsupported_media_type"),
        (b'{"username": "\xff"}', "application/json", "malformed_json"),
    ],
)
def test_unreadable_bodies_are_400(
    client: FlaskClient, data: str, content_type: str, code: str
) -> None:
    assert_problem(client.post("/register", data=data, content_type=content_type), 400, code)


@pytest.mark.parametrize(
    "body",
    [
        {"username": "alice", "email": "alice@example.com", "password": PASSWORD, "role": "admin"},
        {"username": "alice", "email": "alice@example.com", "password": PASSWORD, "id": "x"},
        {"username": 5, "email": "alice@example.com", "password": PASSWORD},
        {"username": "alice", "email": "not-an-email", "password": PASSWORD},
        {"username": "alice", "email": "alice@example.com"},
        {"username": "al ice", "email": "alice@example.com", "password": PASSWORD},
        {"username": "alice", "email": "alice@example.com", "password": "password"},
    ],
)
def test_invalid_fields_are_422_with_field_errors(client: FlaskClient, body: dict) -> None:  # type: ignore[type-arg]
    problem = assert_problem(client.post("/register", json=body), 422, problem_code(body))
    assert problem["errors"] and all(
        {"field", "message", "code"} <= set(e) for e in problem["errors"]
    )


def problem_code(body: dict) -> str:  # type: ignore[type-arg]
    if body.get("password") == "password":
        return "password_too_common"
    if body.get("username") == "al ice":
        return "invalid_username"
    if body.get("email") == "not-an-email":
        return "invalid_email"  # the address rule's, as on the pages
    return "validation_failed"


def test_unknown_field_is_named(client: FlaskClient) -> None:
    body = {"username": "alice", "email": "a@example.com", "password": PASSWORD, "role": "admin"}
    problem = assert_problem(client.post("/register", json=body), 422, "validation_failed")
    assert {"field": "role", "message": "Unknown field.", "code": "unknown_field"} in problem[
        "errors"
    ]


def test_duplicate_is_409(client: FlaskClient) -> None:
    register(client, "alice")
    body = {"username": "ALICE", "email": "other@example.com", "password": PASSWORD}
    assert_problem(client.post("/register", json=body), 409, "username_taken")
    body = {"username": "bob", "email": "Alice@Example.com", "password": PASSWORD}
    assert_problem(client.post("/register", json=body), 409, "email_taken")


def test_huge_body_is_413(client: FlaskClient) -> None:
    payload = b'{"username": "' + b"a" * (1024 * 1024 + 10) + b'"}'
    assert_problem(
        client.post("/register", data=payload, content_type="application/json"),
        413,
        "payload_too_large",
    )


def test_404_and_405_are_problems(client: FlaskClient) -> None:
    assert_problem(client.get("/no/such/path"), 404, "not_found")
    response = client.delete("/register")
    assert_problem(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]


def test_missing_and_bad_tokens_are_401_with_challenge(client: FlaskClient) -> None:
    for headers in (
        {},
        {"Authorization": "Basic abc"},
        bearer("garbage"),
        {"Authorization": "Bearer"},
    ):
        response = client.get("/user", headers=headers)
        assert_problem(response, 401, response.get_json()["code"])
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_login_json_and_form(client: FlaskClient) -> None:
    register(client, "alice")
    token = login(client, "alice")
    assert client.get("/user", headers=bearer(token)).get_json()["username"] == "alice"
    form = {"grant_type": "password", "username": "alice@example.com", "password": PASSWORD}
    response = client.post("/login", data=form)
    body = response.get_json()
    assert response.status_code == 200
    assert body["token_type"] == "bearer" and body["expires_in"] == 900
    assert set(body) == {
        "access_token",
        "token_type",
        "expires_in",
        "refresh_token",
        "refresh_expires_in",
        "device_token",
    }


def test_form_login_keeps_numeric_passwords_as_strings(client: FlaskClient) -> None:
    client.post(
        "/register", json={"username": "num", "email": "n@example.com", "password": "98127364519"}
    )
    response = client.post("/login", data={"username": "num", "password": "98127364519"})
    assert response.status_code == 200


def test_login_failures_look_the_same(client: FlaskClient) -> None:
    register(client, "alice")
    wrong = client.post("/login", json={"username": "alice", "password": "wrong password"})
    unknown = client.post("/login", json={"username": "ghost", "password": "wrong password"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json() == unknown.get_json()
    assert wrong.get_json()["code"] == "invalid_credentials"


def test_user_routes_flow(client: FlaskClient) -> None:
    register(client, "alice")
    register(client, "bob")
    headers = bearer(login(client, "alice"))
    patched = client.patch("/user", json={"name": "Alice"}, headers=headers)
    assert patched.status_code == 200 and patched.get_json()["name"] == "Alice"
    put = client.put("/user", json={"username": "alicia"}, headers=headers)
    assert put.get_json()["username"] == "alicia" and put.get_json()["name"] is None
    assert_problem(client.put("/user", json={"name": "x"}, headers=headers), 422, "missing")
    assert_problem(
        client.patch("/user", json={"email": "BOB@example.com"}, headers=headers),
        409,
        "email_taken",
    )
    assert_problem(
        client.patch("/user", json={"role": "admin"}, headers=headers), 422, "validation_failed"
    )
    assert_problem(
        client.patch("/user", json={"username": None}, headers=headers), 422, "null_not_allowed"
    )
    assert client.get("/user", headers=headers).get_json()["role"] == "user"


def test_password_change_and_delete(client: FlaskClient) -> None:
    register(client, "alice")
    headers = bearer(login(client, "alice"))
    other = bearer(login(client, "alice"))
    change = {"current_password": PASSWORD, "new_password": "another fine passphrase"}
    assert client.put("/user/password", json=change, headers=headers).status_code == 204
    assert client.get("/user", headers=headers).status_code == 200
    assert client.get("/user", headers=other).status_code == 401
    assert client.delete("/user", headers=headers).status_code == 204
    assert client.get("/user", headers=headers).status_code == 401
    register(client, "alice")


def test_request_id_echoed_or_generated(client: FlaskClient) -> None:
    assert (
        client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"]
        == "abc-123"
    )
    generated = client.get("/healthz", headers={"X-Request-ID": "bad id\x01"})
    assert re.fullmatch("[0-9a-f]{32}", generated.headers["X-Request-ID"])
    assert client.get("/healthz").headers["X-Request-ID"] != generated.headers["X-Request-ID"]


def test_forked_workers_do_not_repeat_each_others_request_ids() -> None:
    # gunicorn forks its workers from one master: the ids come from a generator that each
    # child reseeds, so two workers' next ids differ.
    assert drawn_in_a_child(new_request_id) != new_request_id()


def test_security_headers(client: FlaskClient) -> None:
    headers = client.get("/healthz").headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]


def test_openapi_and_docs(client: FlaskClient) -> None:
    document = client.get("/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    for path in ("/register", "/login", "/user", "/user/password", "/healthz", "/readyz"):
        assert path in document["paths"]
    assert document["paths"]["/user"]["get"]["security"] == [{"bearerAuth": []}]
    assert "409" in document["paths"]["/register"]["post"]["responses"]
    docs = client.get("/docs")
    assert docs.status_code == 200 and b"swagger-ui" in docs.data
    assert client.get("/docs/swagger-ui-bundle.js").status_code == 200


def test_readyz_reports_dependency(fake_app) -> None:  # type: ignore[no-untyped-def]
    assert fake_app.test_client().get("/readyz").status_code == 200
    found = fake_app.extensions["firegate"]
    fake_app.extensions["firegate"] = replace(
        found, platform=replace(found.platform, ready=lambda: False)
    )
    response = fake_app.test_client().get("/readyz")
    assert_problem(response, 503, "service_unavailable")
    assert response.headers["Retry-After"]


HSTS = "max-age=63072000; includeSubDomains"


@pytest.mark.parametrize("profile", ["production", "local"])
def test_hsts_in_the_production_profile_only(profile: str) -> None:
    settings = make_settings(
        app_profile=profile,
        **{f"{name}_emulator_host": None for name in ("firestore", "firebase_auth", "pubsub")},
        storage_emulator_host=None,
        public_url="https://app.example.com",
        smtp_url="smtp://smtp.example.com:587",
    )
    client = build_app(settings, fake_adapters(settings)).test_client()
    for response in (client.get("/healthz"), client.get("/nowhere"), client.get("/docs/")):
        if profile == "production":
            assert response.headers["Strict-Transport-Security"] == HSTS
        else:
            assert "Strict-Transport-Security" not in response.headers


def test_a_browser_on_an_allowed_origin_may_send_the_device_token_header() -> None:
    settings = make_settings(cors_origins=["https://app.example.com"])
    client = build_app(settings, fake_adapters(settings)).test_client()
    preflight = client.options(
        "/login",
        headers={
            "Origin": "https://app.example.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, device-token",
        },
    )
    allowed = preflight.headers["Access-Control-Allow-Headers"].lower()
    assert "device-token" in allowed and "content-type" in allowed


def test_locale_is_set_at_sign_up_from_accept_language_and_by_patch(client: FlaskClient) -> None:
    body = {"username": "alice", "email": "alice@example.com", "password": PASSWORD}
    answer = client.post("/register", json=body, headers={"Accept-Language": "es-MX,es;q=0.9"})
    assert answer.get_json()["locale"] == "es"
    other = {**body, "username": "bob", "email": "bob@example.com"}
    answer = client.post("/register", json=other, headers={"Accept-Language": "fr, de;q=0.5"})
    assert answer.get_json()["locale"] is None
    token = client.post("/login", json={"username": "bob", "password": PASSWORD}).get_json()
    auth = {"Authorization": f"Bearer {token['access_token']}"}
    assert client.patch("/user", json={"locale": "es"}, headers=auth).get_json()["locale"] == "es"
    refused = client.patch("/user", json={"locale": "fr"}, headers=auth)
    assert refused.status_code == 422 and refused.get_json()["errors"][0]["field"] == "locale"
    assert client.patch("/user", json={"locale": None}, headers=auth).get_json()["locale"] is None


def test_an_access_token_with_a_non_canonical_segment_is_a_401(client: FlaskClient) -> None:
    """'=' padding after any of the three segments makes another text of the same token: the
    API refuses it (docs/reference/sessions.md)."""
    register(client, "nina")
    token = login(client, "nina")
    assert client.get("/user", headers=bearer(token)).status_code == 200
    header, payload, signature = token.split(".")
    for sloppy in (
        f"{header}=.{payload}.{signature}",
        f"{header}.{payload}=.{signature}",
        f"{header}.{payload}.{signature}=",
        f"{header}.{payload}.{signature}==",
    ):
        answer = client.get("/user", headers=bearer(sloppy))
        assert (answer.status_code, answer.get_json()["code"]) == (401, "invalid_token"), sloppy


def test_a_204_has_no_content_type(client: FlaskClient) -> None:
    register(client)
    token = login(client)
    answer = client.post("/auth/logout", headers=bearer(token))
    assert answer.status_code == 204 and answer.data == b""
    assert "Content-Type" not in answer.headers
