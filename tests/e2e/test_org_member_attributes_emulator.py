"""An org's owners and admins read and write its members' profile attributes, on the Firestore
emulator: those whose ``x-read`` and ``x-write`` have ``org_admin``, through
``/orgs/{org}/members/{user_id}/attributes``; 422 names each refused field and writes nothing;
a plain member, an admin of another org and a personal token may not
(docs/reference/orgs.md, "Members' attributes"); and only on an account the org manages,
never the writer's own (403 ``account_not_managed``,
docs/decisions/0510-org-written-attributes.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from application.orgs.members.members import AddMember
from application.orgs.services import OrgServices
from domain.orgs.domains import OrgDomain
from infrastructure.firestore.orgs.domains import FirestoreOrgDomains
from tests.support.api import (
    admin_token,
    assert_field_error,
    assert_problem,
    bearer,
    login,
    register,
    services,
)

pytestmark = pytest.mark.e2e

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "department": {
            "type": "string",
            "maxLength": 40,
            "x-read": ["user", "admin", "org_admin"],
            "x-write": ["admin", "org_admin"],
        },
        "floor": {
            "type": "integer",
            "minimum": 0,
            "x-read": ["org_admin"],
            "x-write": ["org_admin"],
        },
        "salary": {"type": "integer", "x-read": ["admin"], "x-write": ["admin"]},
    },
}


def signed_in(client: FlaskClient, name: str) -> dict[str, str]:
    register(client, name)
    return bearer(login(client, name))


def test_the_orgs_admins_read_and_write_their_members_attributes(
    real_app: Flask, real_client: FlaskClient, firestore: Any
) -> None:
    client = real_client
    root = admin_token(real_app, client)
    assert client.put("/admin/profile-schema", json=SCHEMA, headers=root).status_code == 200
    olga, bob, ann, carl, dora = (
        signed_in(client, name) for name in ("olga", "bob", "ann", "carl", "dora")
    )
    for slug, owner in (("acme", olga), ("other", dora)):
        made = client.post("/orgs", json={"slug": slug, "name": slug.title()}, headers=owner)
        assert made.status_code == 201, made.get_json()
        if slug == "acme":  # acme verified example.com: its members proven on it are its
            domains, now = FirestoreOrgDomains(firestore), datetime.now(UTC)
            domain = OrgDomain.create(made.get_json()["id"], "example.com", "olga", now)
            domains.add(domain)
            domains.verify(domain.verified_now(now))
    members = services(real_app).of(OrgServices).members
    for name, role in (("bob", "member"), ("ann", "admin"), ("carl", "member")):
        members.add_member(AddMember("acme", name, (role,)))
    bob_id, ann_id, carl_id = (
        client.get("/user", headers=who).get_json()["id"] for who in (bob, ann, carl)
    )
    for proven in (bob_id, ann_id):  # carl never proved his address
        firestore.collection("users").document(proven).update({"email_verified": True})
    url = f"/orgs/acme/members/{bob_id}/attributes"
    salary = client.patch(f"/users/{bob_id}", json={"attributes": {"salary": 90}}, headers=root)
    assert salary.status_code == 200, salary.get_json()

    # An admin of the org writes what org_admin may, and reads it back (not the salary).
    written = client.patch(
        url, json={"attributes": {"department": "Sales", "floor": 3}}, headers=ann
    )
    assert written.status_code == 200, written.get_json()
    assert written.get_json() == {"attributes": {"department": "Sales", "floor": 3}}
    assert client.get(url, headers=olga).get_json() == written.get_json()
    assert client.get("/user", headers=bob).get_json()["attributes"] == {"department": "Sales"}
    stored = firestore.collection("users").document(bob_id).get().to_dict()["attributes"]
    assert stored == {"department": "Sales", "floor": 3, "salary": 90}

    # 422 names each refused field; nothing is written.
    for attributes, field, code in (
        ({"salary": 1}, "attributes.salary", "attribute_not_writable"),
        ({"floor": -1}, "attributes.floor", "invalid_attribute_value"),
        ({"nickname": "b"}, "attributes.nickname", "unknown_attribute"),
    ):
        answer = client.patch(url, json={"attributes": attributes}, headers=ann)
        assert_field_error(answer, field, code)
    after = firestore.collection("users").document(bob_id).get().to_dict()["attributes"]
    assert after == stored

    # A null removes one.
    removed = client.patch(url, json={"attributes": {"floor": None}}, headers=olga)
    assert removed.get_json() == {"attributes": {"department": "Sales"}}

    # Not on an account acme does not manage (carl's address is unproven), nor on the
    # writer's own.
    for user_id in (carl_id, ann_id):
        mine = f"/orgs/acme/members/{user_id}/attributes"
        refused = client.patch(mine, json={"attributes": {"department": "X"}}, headers=ann)
        assert_problem(refused, 403, "account_not_managed")
        held = firestore.collection("users").document(user_id).get().to_dict()
        assert not held.get("attributes")

    # A plain member may not; an admin of another org finds no such org or member.
    assert_problem(client.get(url, headers=carl), 403, "org_permission_denied")
    refused = client.patch(url, json={"attributes": {"department": "X"}}, headers=carl)
    assert_problem(refused, 403, "org_permission_denied")
    assert_problem(client.get(url, headers=dora), 404, "org_not_found")
    elsewhere = f"/orgs/other/members/{bob_id}/attributes"
    assert_problem(client.get(elsewhere, headers=dora), 404, "member_not_found")
    denied = client.patch(elsewhere, json={"attributes": {"department": "X"}}, headers=dora)
    assert_problem(denied, 404, "member_not_found")

    # A personal token reads, but never writes (org changes are a session's).
    token = client.post(
        "/auth/tokens",
        json={"name": "ci", "scopes": ["read", "write"], "expires_in": 3600},
        headers=ann,
    )
    assert token.status_code == 201, token.get_json()
    pat = bearer(token.get_json()["token"])
    assert client.get(url, headers=pat).status_code == 200
    by_token = client.patch(url, json={"attributes": {"department": "X"}}, headers=pat)
    assert_problem(by_token, 403, "session_required")
    final = firestore.collection("users").document(bob_id).get().to_dict()["attributes"]
    assert final == {"department": "Sales", "salary": 90}
