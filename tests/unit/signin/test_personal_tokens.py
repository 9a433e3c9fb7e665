"""Personal access tokens (docs/reference/tokens.md): the domain's rules, and the API on the
fakes: made, listed and revoked by a session, scoped, ended with the account's sessions."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from domain.accounts.credentials import Email, Username
from domain.accounts.signups import ALLOWED
from domain.accounts.users import User
from domain.errors import InvalidInput, PermissionDenied
from domain.signin.personal_tokens import (
    PersonalToken,
    Presented,
    allows,
    check_scope,
    hash_secret,
)
from tests.support.api import bearer, login, register

pytestmark = pytest.mark.unit

NOW = datetime(2026, 1, 1, tzinfo=UTC)
YEAR = 31_536_000


def _user(**changes: Any) -> User:
    user = User.register(
        admitted=ALLOWED,
        id="u1",
        username=Username("alice"),
        email=Email("a@example.com"),
        password_hash=None,
        now=NOW,
    )
    return replace(user, **changes)


def _issue(**fields: Any) -> tuple[PersonalToken, str]:
    given: dict[str, Any] = {"name": "ci", "scopes": ["read"], "expires_in": 3600} | fields
    return PersonalToken.issue(id="t" * 22, user=_user(), now=NOW, **given)


# -- the domain ---------------------------------------------------------------------------


def test_a_token_is_fgp_and_names_its_account_and_record_and_is_stored_hashed() -> None:
    token, text = _issue()
    assert text.startswith("fgp_u1." + "t" * 22 + ".")
    presented = Presented.parse(text)
    assert presented is not None
    assert (presented.user_id, presented.token_id) == ("u1", token.id)
    assert len(presented.secret) == 43  # 256 bits, base64url
    assert token.secret_hash == hashlib.sha256(presented.secret.encode()).hexdigest()
    assert presented.secret not in repr(token)
    assert token.opens(presented, _user(), NOW)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "fgp_",
        "ghp_u1." + "t" * 22 + "." + "s" * 43,
        "fgp_u1." + "t" * 21 + "." + "s" * 43,
        "fgp_u1." + "t" * 22 + "." + "s" * 42,
        "fgp_u/1." + "t" * 22 + "." + "s" * 43,
        "fgp_u1." + "t" * 22 + "." + "s" * 43 + "\n",
        "fgp___x__." + "t" * 22 + "." + "s" * 43,  # a reserved Firestore id
    ],
)
def test_anything_else_is_no_token(text: str) -> None:
    assert Presented.parse(text) is None


def test_a_token_opens_only_its_account_with_its_secret_until_it_expires() -> None:
    token, text = _issue(expires_in=60)
    presented = Presented.parse(text)
    assert presented is not None
    wrong = replace(presented, secret="x" * 43)
    assert not token.opens(wrong, _user(), NOW)
    assert not token.opens(presented, _user(id="u2"), NOW)
    assert token.opens(presented, _user(), NOW + timedelta(seconds=59))
    assert not token.opens(presented, _user(), NOW + timedelta(seconds=60))  # expired


def test_whatever_ends_every_session_ends_the_token() -> None:
    token, text = _issue()
    presented = Presented.parse(text)
    assert presented is not None
    user = _user()
    assert not token.opens(presented, user.ending_all_sessions(NOW), NOW)  # logout everywhere
    assert not token.opens(presented, user.reset_through_mail("h", NOW), NOW)  # a reset
    assert not token.opens(presented, replace(user, disabled=True), NOW)
    assert not token.opens(presented, replace(user, deleted_at=NOW), NOW)


def test_read_allows_get_and_head_only_and_write_every_method() -> None:
    assert allows(("read",), "GET") and allows(("read",), "HEAD")
    for method in ("POST", "PUT", "PATCH", "DELETE", "OPTIONS"):
        assert not allows(("read",), method)
        assert allows(("write",), method)
        assert allows(("read", "write"), method)
    with pytest.raises(PermissionDenied) as refused:
        check_scope(("read",), "DELETE")
    assert refused.value.code == "insufficient_scope"


def test_scopes_are_kept_in_order_once() -> None:
    assert _issue(scopes=["write", "read", "write"])[0].scopes == ("read", "write")


def test_a_token_lives_from_a_second_to_a_year() -> None:
    assert _issue(expires_in=1)[0].expires_at == NOW + timedelta(seconds=1)
    assert _issue(expires_in=YEAR)[0].expires_at == NOW + timedelta(days=365)


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"name": "  "}, "name_required"),
        ({"name": "a\x00b"}, "control_character"),
        ({"name": "\u202eevil"}, "control_character"),
        ({"name": "x" * 101}, "string_too_long"),
        ({"scopes": []}, "invalid_scope"),
        ({"scopes": ["admin"]}, "invalid_scope"),
        ({"scopes": "read"}, "invalid_scope"),
        ({"expires_in": 0}, "invalid_expires_in"),
        ({"expires_in": YEAR + 1}, "invalid_expires_in"),
        ({"expires_in": True}, "int_type"),
    ],
)
def test_bad_fields_are_refused(fields: dict[str, Any], code: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        _issue(**fields)
    assert refused.value.code == code


def test_every_bad_field_is_said_at_once() -> None:
    with pytest.raises(InvalidInput) as refused:
        _issue(name="", scopes=[], expires_in=0)
    assert {e.field for e in refused.value.errors} == {"name", "scopes", "expires_in"}


def test_the_stored_hash_is_sha256_of_the_secret() -> None:
    assert hash_secret("abc") == hashlib.sha256(b"abc").hexdigest()


# -- the API on the fakes ------------------------------------------------------------------


def _session(client: FlaskClient, name: str = "alice") -> dict[str, str]:
    register(client, name)
    return bearer(login(client, name))


def _create(client: FlaskClient, auth: dict[str, str], **fields: Any) -> Any:
    body = {"name": "ci", "scopes": ["read"], "expires_in": 3600} | fields
    response = client.post("/auth/tokens", json=body, headers=auth)
    assert response.status_code == 201, response.get_json()
    assert response.headers["Cache-Control"] == "no-store"
    return response.get_json()


def test_create_answers_the_token_once_and_the_list_never(client: FlaskClient) -> None:
    auth = _session(client)
    created = _create(client, auth, name="backup", scopes=["read", "write"], expires_in=YEAR)
    assert set(created) == {"id", "name", "scopes", "expires_at", "org_id", "token"}
    assert created["org_id"] is None  # acts in no org
    assert created["token"].startswith("fgp_")
    assert (created["name"], created["scopes"]) == ("backup", ["read", "write"])
    second = _create(client, auth, name="second")
    listed = client.get("/auth/tokens", headers=auth).get_json()
    assert [t["id"] for t in listed["items"]] == [second["id"], created["id"]]  # newest first
    assert all("token" not in t and "secret_hash" not in t for t in listed["items"])
    assert created["token"] not in str(listed)
    page = client.get("/auth/tokens?limit=1", headers=auth).get_json()
    assert [t["id"] for t in page["items"]] == [second["id"]]
    rest = client.get(f"/auth/tokens?limit=1&cursor={page['next_cursor']}", headers=auth)
    assert [t["id"] for t in rest.get_json()["items"]] == [created["id"]]


def test_bad_input_is_a_422(client: FlaskClient) -> None:
    auth = _session(client)
    for body in (
        {"name": "ci", "scopes": ["read"], "expires_in": YEAR + 1},
        {"name": "ci", "scopes": [], "expires_in": 60},
        {"name": "ci", "scopes": ["sudo"], "expires_in": 60},
        {"name": "", "scopes": ["read"], "expires_in": 60},
        {"name": "ci", "scopes": ["read"], "expires_in": "60"},
        {"name": "ci", "scopes": ["read"]},
    ):
        assert client.post("/auth/tokens", json=body, headers=auth).status_code == 422, body


def test_a_token_is_the_account_within_its_scopes(client: FlaskClient) -> None:
    auth = _session(client)
    reader = bearer(_create(client, auth, scopes=["read"])["token"])
    writer = bearer(_create(client, auth, scopes=["write"])["token"])
    assert client.get("/user", headers=reader).get_json()["username"] == "alice"
    assert client.head("/user", headers=reader).status_code == 200
    refused = client.post("/auth/email/verification", headers=reader)
    assert refused.status_code == 403
    assert refused.get_json()["code"] == "insufficient_scope"
    assert client.post("/auth/email/verification", headers=writer).status_code == 202


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/auth/tokens", {"name": "x", "scopes": ["read"], "expires_in": 60}),
        ("GET", "/auth/tokens", None),
        ("PUT", "/user/password", {"current_password": "x", "new_password": "y" * 12}),
        ("PATCH", "/user", {"email": "new@example.com"}),
        ("PUT", "/user", {"username": "bob"}),
        ("DELETE", "/user", None),
        ("POST", "/auth/logout?all=true", None),
        ("POST", "/auth/mfa/totp", {"password": "x"}),
        ("POST", "/auth/passkeys/registration/options", None),
    ],
)
def test_a_token_cannot_manage_how_one_signs_in(
    client: FlaskClient, method: str, path: str, body: Any
) -> None:
    auth = _session(client)
    token = bearer(_create(client, auth, scopes=["read", "write"])["token"])
    response = client.open(path, method=method, json=body, headers=token)
    assert response.status_code == 403, response.get_json()
    assert response.get_json()["code"] == "session_required"
    assert client.get("/user", headers=token).status_code == 200  # nothing changed


def test_logout_everywhere_ends_every_token(client: FlaskClient) -> None:
    auth = _session(client)
    token = bearer(_create(client, auth)["token"])
    assert client.post("/auth/logout?all=true", headers=auth).status_code == 204
    response = client.get("/user", headers=token)
    assert response.status_code == 401
    assert response.get_json()["code"] == "invalid_token"


def test_revoke_ends_the_token_at_once_and_once(client: FlaskClient) -> None:
    auth = _session(client)
    created = _create(client, auth)
    other = _session(client, "bob")
    assert client.delete(f"/auth/tokens/{created['id']}", headers=other).status_code == 404
    assert client.delete(f"/auth/tokens/{created['id']}", headers=auth).status_code == 204
    assert client.get("/user", headers=bearer(created["token"])).status_code == 401
    again = client.delete(f"/auth/tokens/{created['id']}", headers=auth)
    assert again.status_code == 404
    assert again.get_json()["code"] == "token_not_found"
    assert client.delete("/auth/tokens/..%2F", headers=auth).status_code == 404
    assert client.get("/auth/tokens", headers=auth).get_json()["items"] == []


def test_a_forged_or_unknown_token_is_a_401(client: FlaskClient) -> None:
    auth = _session(client)
    text = _create(client, auth)["token"]
    for forged in (text[:-1] + ("A" if text[-1] != "A" else "B"), "fgp_nonsense", text + "x"):
        response = client.get("/user", headers=bearer(forged))
        assert response.status_code == 401, forged


def test_created_and_revoked_are_security_events(client: FlaskClient) -> None:
    auth = _session(client)
    created = _create(client, auth)
    client.delete(f"/auth/tokens/{created['id']}", headers=auth)
    types = [e["type"] for e in client.get("/auth/events", headers=auth).get_json()["items"]]
    assert types[:2] == ["pat.revoked", "pat.created"]


def test_the_openapi_document_bounds_expires_in_by_a_year_in_seconds(client: FlaskClient) -> None:
    """The schema says what the rule accepts: a client built from it never sends a lifetime
    the API refuses (the bound was once a year in microseconds)."""
    document = client.get("/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    named = [key for key in schemas if key.split(".")[0] == "PersonalTokenCreate"]
    assert named
    for name in named:
        bounds = schemas[name]["properties"]["expires_in"]
        assert (bounds["minimum"], bounds["maximum"]) == (1, 31_536_000)


def test_a_lifetime_written_as_a_whole_float_is_that_many_seconds(client: FlaskClient) -> None:
    """``1.0`` is an integer to JSON Schema: the API takes what its document allows, and
    refuses a fraction."""
    register(client, "wanda")
    headers = bearer(login(client, "wanda"))
    body: dict[str, Any] = {"name": "whole", "scopes": ["read"], "expires_in": 3600.0}
    assert client.post("/auth/tokens", json=body, headers=headers).status_code == 201
    body["expires_in"] = 3600.5
    assert client.post("/auth/tokens", json=body, headers=headers).status_code == 422
