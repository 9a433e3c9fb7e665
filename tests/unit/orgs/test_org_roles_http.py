"""An org's roles over HTTP on the fakes: PUT, GET and DELETE /orgs/{org}/roles, and the
grants that would escalate (docs/reference/orgs.md, "Roles and permissions")."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from application.orgs.members.members import AddMember
from application.orgs.services import OrgServices
from tests.support.api import assert_field_error, assert_problem, bearer, login, register, services

pytestmark = pytest.mark.unit
Auth = dict[str, str]


def signed_in(client: FlaskClient, name: str) -> tuple[str, Auth]:
    user_id = register(client, name)["id"]
    return user_id, bearer(login(client, name))


@pytest.fixture
def acme(fake_app: Flask, client: FlaskClient) -> dict[str, tuple[str, Auth]]:
    """acme: alice owns it, adam is an admin, bob a member."""
    people = {name: signed_in(client, name) for name in ("alice", "adam", "bob")}
    created = client.post(
        "/orgs", json={"slug": "acme", "name": "Acme"}, headers=people["alice"][1]
    )
    assert created.status_code == 201
    for name, role in (("adam", "admin"), ("bob", "member")):
        services(fake_app).of(OrgServices).members.add_member(AddMember("acme", name, (role,)))
    return people


def test_owners_define_roles_and_members_read_them(
    client: FlaskClient, acme: dict[str, tuple[str, Auth]]
) -> None:
    alice, adam, bob = (acme[n][1] for n in ("alice", "adam", "bob"))
    body = {"description": "Invoices", "permissions": ["invoices:write", "invoices:read"]}
    created = client.put("/orgs/acme/roles/billing", json=body, headers=alice)
    assert created.status_code == 201
    assert created.headers["Location"] == "/orgs/acme/roles/billing"
    assert created.get_json() == {
        "name": "billing",
        "description": "Invoices",
        "permissions": ["invoices:read", "invoices:write"],
        "builtin": False,
        "members": 0,
        "template": False,
    }
    again = client.put(
        "/orgs/acme/roles/member", json={"permissions": ["docs:read"]}, headers=alice
    )
    assert again.status_code == 200
    assert again.get_json()["members"] == 1 and again.get_json()["builtin"]
    listed = client.get("/orgs/acme/roles", headers=bob).get_json()["items"]
    assert [(r["name"], r["permissions"], r["members"]) for r in listed] == [
        ("owner", [], None),
        ("admin", [], None),
        ("member", ["docs:read"], None),
        ("billing", ["invoices:read", "invoices:write"], None),
    ]
    counted = client.get("/orgs/acme/roles", headers=adam).get_json()["items"]
    assert [r["members"] for r in counted] == [1, 1, 1, 0]
    members = client.get("/orgs/acme/members", headers=adam).get_json()["items"]
    assert {m["username"]: m["permissions"] for m in members}["bob"] == ["docs:read"]
    assert_problem(
        client.put("/orgs/acme/roles/x", json={"permissions": []}, headers=adam),
        403,
        "org_permission_denied",
    )


def test_a_role_out_of_its_rules_is_422(
    client: FlaskClient, acme: dict[str, tuple[str, Auth]]
) -> None:
    alice = acme["alice"][1]
    for role, permissions, field, code in (
        ("Billing", [], "role", "invalid_role_name"),
        ("billing", ["Pay"], "permissions", "invalid_permission"),
        ("billing", ["pay", "pay"], "permissions", "invalid_permissions"),
    ):
        response = client.put(
            f"/orgs/acme/roles/{role}", json={"permissions": permissions}, headers=alice
        )
        assert_field_error(response, field, code)
    too_many = {"permissions": [f"p{i}" for i in range(101)]}
    response = client.put("/orgs/acme/roles/billing", json=too_many, headers=alice)
    assert response.status_code == 422


def test_a_role_held_or_builtin_is_not_deleted(
    client: FlaskClient, acme: dict[str, tuple[str, Auth]]
) -> None:
    alice, bob_id = acme["alice"][1], acme["bob"][0]
    client.put("/orgs/acme/roles/billing", json={"permissions": ["pay"]}, headers=alice)
    patched = client.patch(
        f"/orgs/acme/members/{bob_id}", json={"roles": ["billing"]}, headers=alice
    )
    assert patched.get_json()["permissions"] == ["pay"]
    assert_problem(client.delete("/orgs/acme/roles/billing", headers=alice), 409, "role_in_use")
    assert_problem(client.delete("/orgs/acme/roles/admin", headers=alice), 409, "builtin_role")
    assert_problem(client.delete("/orgs/acme/roles/nope", headers=alice), 404, "role_not_found")
    client.patch(f"/orgs/acme/members/{bob_id}", json={"roles": ["member"]}, headers=alice)
    assert client.delete("/orgs/acme/roles/billing", headers=alice).status_code == 204
    names = [r["name"] for r in client.get("/orgs/acme/roles", headers=alice).get_json()["items"]]
    assert names == ["owner", "admin", "member"]


def test_nobody_gives_a_role_with_a_permission_they_lack(
    client: FlaskClient, acme: dict[str, tuple[str, Auth]]
) -> None:
    alice, adam, bob_id = acme["alice"][1], acme["adam"][1], acme["bob"][0]
    client.put("/orgs/acme/roles/billing", json={"permissions": ["pay"]}, headers=alice)
    assert_problem(
        client.patch(f"/orgs/acme/members/{bob_id}", json={"roles": ["billing"]}, headers=adam),
        403,
        "permission_escalation",
    )
    invite = {"email": "carol@example.com", "roles": ["billing"]}
    assert_problem(
        client.post("/orgs/acme/invitations", json=invite, headers=adam),
        403,
        "permission_escalation",
    )
    client.put("/orgs/acme/roles/admin", json={"permissions": ["pay"]}, headers=alice)
    granted = client.patch(
        f"/orgs/acme/members/{bob_id}", json={"roles": ["billing"]}, headers=adam
    )
    assert granted.status_code == 200 and granted.get_json()["permissions"] == ["pay"]
    assert client.post("/orgs/acme/invitations", json=invite, headers=adam).status_code == 201
