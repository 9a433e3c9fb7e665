"""Regressions from fuzzing (tests/e2e/test_fuzz_openapi.py): places where /openapi.json
and the routes disagreed. Each test names what schemathesis reported."""

from __future__ import annotations

import re
from typing import Any

import jsonschema_rs
import pytest
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st

from application.pagination import encode_cursor
from bootstrap.units import every_unit
from infrastructure.settings import Settings
from tests.support.api import bearer, login, register, user_token

pytestmark = pytest.mark.unit


@pytest.fixture
def document(client: FlaskClient) -> dict[str, Any]:
    result: dict[str, Any] = client.get("/openapi.json").get_json()
    return result


def component(document: dict[str, Any], name: str) -> dict[str, Any]:
    schema: dict[str, Any] = document["components"]["schemas"][name]
    return schema


def offers_null(field: dict[str, Any]) -> bool:
    return field.get("type") == "null" or any(
        c.get("type") == "null" for c in field.get("anyOf", [])
    )


@pytest.mark.parametrize(
    ("model", "fields"),
    [
        # A form field is sent or not; "null" would arrive as the text "null" (a 422).
        ("LoginForm", ["grant_type", "scope", "client_id", "client_secret"]),
        # JSON fields whose null is a 422 null_not_allowed.
        ("ReplaceUserRequest", ["username", "email"]),
        ("PatchUserRequest", ["username", "email"]),
        # an app's challenge on a request for a code: left out, or a challenge
        ("EmailCodeRequest", ["code_challenge", "code_challenge_method", "challenge_token"]),
        # (the native apps unit's RedeemLinkRequest: tests/unit/native_apps/)
    ],
)
def test_fields_that_refuse_null_do_not_offer_it(
    document: dict[str, Any], model: str, fields: list[str]
) -> None:
    properties = component(document, model)["properties"]
    for name in fields:
        assert not offers_null(properties[name]), (model, name)
        assert "default" not in properties[name] or properties[name]["default"] is not None


def test_fields_that_clear_with_null_still_offer_it(document: dict[str, Any]) -> None:
    assert offers_null(component(document, "PatchUserRequest")["properties"]["name"])


def test_put_bodies_say_which_field_is_needed(document: dict[str, Any]) -> None:
    # PUT /user without username and email: 422 (the dogs unit's PUT /dogs/{name}: its tests).
    assert component(document, "ReplaceUserRequest")["anyOf"] == [
        {"required": ["username"]},
        {"required": ["email"]},
    ]
    assert "anyOf" not in component(document, "PatchUserRequest")  # {} is a no-op PATCH


def test_a_body_is_required_unless_its_route_says(document: dict[str, Any]) -> None:
    # A body a route may leave out (the dogs unit's POST /dogs/{name}) says so: its tests.
    assert document["paths"]["/register"]["post"]["requestBody"]["required"] is True


def test_a_repeated_query_parameter_is_a_documented_400(
    document: dict[str, Any], client: FlaskClient
) -> None:
    # ?cursor=&cursor=%0D used the first value and answered 200.
    register(client)
    token = bearer(login(client))
    repeated = ("/users?cursor=&cursor=x", "/users?limit=1&limit=2", "/auth/events?limit=1&limit=1")
    for path in repeated:
        response = client.get(path, headers=token)
        assert response.status_code == 400, path
        assert response.get_json()["code"] == "repeated_field"
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if any(p["in"] == "query" for p in operation.get("parameters", [])):
                assert {"400", "422"} <= set(operation["responses"]), (method, path)


def test_every_shape_of_get_users_id_fits_its_documented_200(
    fake_app: Any, client: FlaskClient, document: dict[str, Any]
) -> None:
    operation = document["paths"]["/users/{user_id}"]["get"]
    schema = {
        **operation["responses"]["200"]["content"]["application/json"]["schema"],
        "components": document["components"],
    }
    validator = jsonschema_rs.Draft202012Validator(schema)
    admin = user_token(fake_app, client, "root", "admin")
    user = user_token(fake_app, client, "plain")
    own_id = client.get("/user", headers=user).get_json()["id"]
    root_id = client.get("/user", headers=admin).get_json()["id"]
    for headers, user_id in ((user, own_id), (user, root_id), (admin, own_id)):
        response = client.get(f"/users/{user_id}", headers=headers)
        assert response.status_code == 200
        validator.validate(response.get_json())


@given(st.text(min_size=1, max_size=256))
def test_every_cursor_we_make_fits_the_documented_pattern(position: str) -> None:
    assert re.fullmatch("[A-Za-z0-9_-]*", encode_cursor(position))


def test_disabling_an_account_is_documented_to_end_its_sessions(
    document: dict[str, Any],
) -> None:
    [path] = [p for p in document["paths"] if p.startswith("/users/{") and p.count("/") == 2]
    operation = document["paths"][path]["patch"]
    text = operation.get("summary", "") + " " + operation.get("description", "")
    assert "ends every session" in text, text


@pytest.mark.parametrize("name", ["registration", "authentication"])
def test_a_passkey_id_that_names_another_resource_gets_a_documented_status(
    client: FlaskClient, document: dict[str, Any], name: str
) -> None:
    """``registration`` and ``authentication`` are resources of their own (POST only): a
    DELETE of them as passkey ids is a 405, which the operation documents."""
    register(client, "alice")
    token = login(client, "alice")
    answer = client.delete(f"/auth/passkeys/{name}", headers=bearer(token))
    documented = document["paths"]["/auth/passkeys/{passkey_id}"]["delete"]["responses"]
    assert str(answer.status_code) in documented, answer.status_code


@pytest.mark.parametrize(
    ("body", "valid"),
    [
        ({"connection": "k3v9q2m8x1p0a7d4s6f5"}, True),
        ({"kind": "saml", "name": "Okta"}, True),
        ({"connection": "", "kind": "oidc"}, False),  # both: the 422 connection_or_kind
        ({"name": "Okta"}, False),  # neither
    ],
)
def test_a_setup_link_is_documented_to_name_a_connection_or_a_kind(
    document: dict[str, Any], body: dict[str, Any], valid: bool
) -> None:
    schema = {**component(document, "SetupLinkCreate"), "components": document["components"]}
    assert jsonschema_rs.is_valid(schema, body) == valid


@pytest.mark.parametrize(
    ("ids", "valid"),
    [
        (["k3v9q2m8x1p0a7d4s6f5"], True),
        ([], True),
        (["Ûꦌ¿Ù"], False),  # what the fuzzer sent: no id firegate makes (422)
        (["__name__"], False),  # Firestore's reserved form
        (["same", "same"], False),
    ],
)
def test_break_glass_owners_are_documented_as_distinct_user_ids(
    document: dict[str, Any], ids: list[str], valid: bool
) -> None:
    field = component(document, "OrgPatch")["properties"]["sso_break_glass"]
    assert jsonschema_rs.is_valid({**field, "components": document["components"]}, ids) == valid


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/register", "post"),
        ("/api/v1/auth/signup", "post"),
        ("/auth/email-code/verify", "post"),
        ("/auth/firebase", "post"),
    ],
)
def test_every_way_to_make_an_account_documents_a_refused_sign_up(
    document: dict[str, Any], path: str, method: str
) -> None:
    """Who may sign up (SIGNUP_MODE, the domain lists) and a ``before_sign_up`` hook answer
    403 ``signup_not_allowed`` / ``signup_denied`` wherever an account is made; the fuzz test
    met it after it had itself set a hook through POST /admin/auth-hooks."""
    assert "403" in document["paths"][path][method]["responses"]


@pytest.mark.parametrize(
    "path",
    ["/login", "/login/mfa", "/auth/refresh", "/api/v1/token/refresh", "/auth/org"],
)
def test_every_route_that_issues_a_session_token_documents_a_refusing_hook(
    document: dict[str, Any], path: str
) -> None:
    """A ``before_token`` hook whose call fails under ``on_failure: deny`` refuses the token:
    403 ``hook_failed`` (docs/hooks.md)."""
    assert "403" in document["paths"][path]["post"]["responses"]


def test_every_route_a_unit_limits_documents_its_429(
    document: dict[str, Any], app_settings: Settings
) -> None:
    # schemathesis: "Undocumented status code: 429" on a route with a limit of its own.
    limited = [
        (method, route)
        for unit in every_unit(app_settings)
        for method, route in unit.limits(app_settings)
    ]
    assert limited
    undocumented = []
    for method, route in limited:
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", route)
        operation = document["paths"].get(path, {}).get(method.lower())
        if operation is not None and "429" not in operation["responses"]:
            undocumented.append((method, path))  # (a page's route is in no API document)
    assert not undocumented
