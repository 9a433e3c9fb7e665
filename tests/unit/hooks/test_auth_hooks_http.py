"""``/admin/auth-hooks``: add hooks to a kind's (with order and scope, at most 10), list with
the latest calls, remove; admins only; bad fields a 422 naming each
(docs/reference/auth-hooks.md)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.api import admin_token, assert_problem, bearer, login, register

pytestmark = pytest.mark.unit
URL = "http://127.0.0.1:9/hook"  # the local profile takes http and loopback


@pytest.fixture
def admin(fake_app: Flask, client: FlaskClient) -> dict[str, str]:
    return admin_token(fake_app, client)


def set_hook(client: FlaskClient, admin: dict[str, str], **body: Any) -> dict[str, Any]:
    fields = {"kind": "before_sign_up", "url": URL} | body
    response = client.post("/admin/auth-hooks", json=fields, headers=admin)
    assert response.status_code == 201, response.get_json()
    assert response.headers["Cache-Control"] == "no-store"
    result: dict[str, Any] = response.get_json()
    return result


def test_an_admin_sets_lists_and_removes_a_hook(client: FlaskClient, admin: dict[str, str]) -> None:
    created = set_hook(client, admin)
    assert created["secret"].startswith("whsec_")
    assert created["timeout_ms"] == 2000 and created["on_failure"] == "allow"
    assert (created["order"], created["clients"], created["orgs"]) == (0, [], [])
    listed = client.get("/admin/auth-hooks", headers=admin).get_json()["items"]
    assert listed == [{k: v for k, v in created.items() if k != "secret"} | {"calls": []}]
    assert client.delete(f"/admin/auth-hooks/{created['id']}", headers=admin).status_code == 204
    assert client.get("/admin/auth-hooks", headers=admin).get_json()["items"] == []
    again = client.delete(f"/admin/auth-hooks/{created['id']}", headers=admin)
    assert_problem(again, 404, "auth_hook_not_found")


def test_hooks_of_a_kind_are_added_and_listed_in_their_order(
    client: FlaskClient, admin: dict[str, str]
) -> None:
    first = set_hook(client, admin, order=5)
    token = set_hook(client, admin, kind="before_token", timeout_ms=300, on_failure="deny")
    second = set_hook(
        client, admin, url="http://127.0.0.1:9/other", order=-1, clients=["app"], orgs=["o1"]
    )
    assert second["secret"] != first["secret"]
    assert (second["order"], second["clients"], second["orgs"]) == (-1, ["app"], ["o1"])
    listed = client.get("/admin/auth-hooks", headers=admin).get_json()["items"]
    assert [h["id"] for h in listed] == [second["id"], first["id"], token["id"]]
    assert listed[2]["timeout_ms"] == 300 and listed[2]["on_failure"] == "deny"


def test_a_kind_holds_at_most_ten_hooks_then_409(
    client: FlaskClient, admin: dict[str, str]
) -> None:
    made = [set_hook(client, admin, order=n) for n in range(10)]
    refused = client.post(
        "/admin/auth-hooks", json={"kind": "before_sign_up", "url": URL}, headers=admin
    )
    assert_problem(refused, 409, "too_many_hooks")
    set_hook(client, admin, kind="before_token")  # another kind has room
    assert client.delete(f"/admin/auth-hooks/{made[0]['id']}", headers=admin).status_code == 204
    set_hook(client, admin)  # room again


def test_non_admins_are_refused(client: FlaskClient, admin: dict[str, str]) -> None:
    created = set_hook(client, admin)
    register(client, "bob")
    bob = bearer(login(client, "bob"))
    body = {"kind": "before_token", "url": URL}
    assert_problem(client.post("/admin/auth-hooks", json=body, headers=bob), 403, "admin_required")
    assert_problem(client.get("/admin/auth-hooks", headers=bob), 403, "admin_required")
    gone = client.delete(f"/admin/auth-hooks/{created['id']}", headers=bob)
    assert_problem(gone, 403, "admin_required")
    assert client.get("/admin/auth-hooks").status_code == 401


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"kind": "after_lunch"}, "kind", "unknown_hook_kind"),
        ({"url": "ftp://example.com/"}, "url", "invalid_webhook_url"),
        ({"url": "https://exa mple.com/"}, "url", "invalid_webhook_url"),
        ({"timeout_ms": 0}, "timeout_ms", "invalid_hook_timeout"),
        ({"timeout_ms": 5001}, "timeout_ms", "invalid_hook_timeout"),
        ({"on_failure": "maybe"}, "on_failure", "invalid_hook_on_failure"),
        ({"order": 1_000_001}, "order", "invalid_hook_order"),
        ({"clients": [""]}, "clients", "invalid_hook_scope"),
        ({"orgs": ["o"] * 51}, "orgs", "invalid_hook_scope"),
    ],
)
def test_bad_fields_are_422_with_the_field(
    client: FlaskClient, admin: dict[str, str], body: dict[str, Any], field: str, code: str
) -> None:
    fields = {"kind": "before_sign_up", "url": URL} | body
    response = client.post("/admin/auth-hooks", json=fields, headers=admin)
    problem = assert_problem(response, 422, code)
    assert (field, code) in [(e["field"], e["code"]) for e in problem["errors"]]


@pytest.mark.parametrize(
    "body",
    [
        {"url": URL},
        {"kind": "before_token"},
        {"kind": "before_token", "url": URL, "timeout_ms": "fast"},
        {"kind": "before_token", "url": URL, "timeout_ms": True},
        {"kind": "before_token", "url": URL, "extra": 1},
        {"kind": 3, "url": URL},
        {"kind": "before_token", "url": URL, "order": "first"},
        {"kind": "before_token", "url": URL, "clients": "app"},
        {"kind": "before_token", "url": URL, "orgs": [1]},
    ],
)
def test_missing_or_ill_typed_fields_are_422(
    client: FlaskClient, admin: dict[str, str], body: dict[str, Any]
) -> None:
    response = client.post("/admin/auth-hooks", json=body, headers=admin)
    assert response.status_code == 422, response.get_json()
    assert response.content_type == "application/problem+json"


def test_a_whole_number_written_with_a_fraction_is_a_timeout(
    client: FlaskClient, admin: dict[str, str]
) -> None:
    """JSON has one number type: 686.0 is the whole number the document asks for; 686.5 is
    not."""
    assert set_hook(client, admin, timeout_ms=686.0)["timeout_ms"] == 686
    fractional = {"kind": "before_token", "url": URL, "timeout_ms": 686.5}
    problem = assert_problem(
        client.post("/admin/auth-hooks", json=fractional, headers=admin), 422, "validation_failed"
    )
    assert [e["field"] for e in problem["errors"]] == ["timeout_ms"]
