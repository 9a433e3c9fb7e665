"""SCIM groups over HTTP on the fakes: created with members, read, filtered, their members
patched (with value filters), deleted; a group named after an org role gives its members that
role, and takes it back (docs/reference/scim.md, "Groups")."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from flask.testing import FlaskClient

from application.ports import Audit
from tests.fakes.events import RecordingAuditLog
from tests.support.scim import (
    GROUP,
    GROUPS,
    Directory,
    directory,
    group,
    patch_body,
    roles,
    user_body,
)

pytestmark = pytest.mark.unit


def user(client: FlaskClient, acme: Directory, name: str) -> str:
    made = client.post("/scim/v2/Users", json=user_body(f"{name}@example.org"), headers=acme.auth)
    assert made.status_code == 201, made.get_data(as_text=True)
    user_id: str = made.get_json(force=True)["id"]
    return user_id


def test_groups_are_created_read_filtered_patched_and_deleted(client: FlaskClient) -> None:
    acme = directory(client)
    ann, bob = user(client, acme, "ann"), user(client, acme, "bob")
    made = group(client, acme, "Engineering", ann)
    assert [m["value"] for m in made["members"]] == [ann]
    assert made["meta"]["version"] == 'W/"1"'
    url = f"{GROUPS}/{made['id']}"
    assert client.get(url, headers=acme.auth).get_json(force=True)["displayName"] == "Engineering"
    group(client, acme, "Sales")
    for expression, expected in {
        'displayName eq "engineering"': ["Engineering"],
        'displayName sw "sal"': ["Sales"],
        f'members[value eq "{ann}"]': ["Engineering"],
    }.items():
        listed = client.get(f"{GROUPS}?filter={quote(expression)}", headers=acme.auth)
        assert listed.status_code == 200, listed.get_data(as_text=True)
        names = [g["displayName"] for g in listed.get_json(force=True).get("Resources", [])]
        assert names == expected, expression

    added = client.patch(
        url,
        json=patch_body({"op": "add", "path": "members", "value": [{"value": bob}]}),
        headers=acme.auth,
    )
    assert added.status_code == 200, added.get_data(as_text=True)
    assert {m["value"] for m in added.get_json(force=True)["members"]} == {ann, bob}
    removed = client.patch(
        url,
        json=patch_body({"op": "remove", "path": f'members[value eq "{ann}"]'}),
        headers=acme.auth,
    )
    assert [m["value"] for m in removed.get_json(force=True)["members"]] == [bob]
    renamed = client.patch(
        url,
        json=patch_body({"op": "replace", "path": "displayName", "value": "Eng"}),
        headers=acme.auth,
    )
    assert renamed.get_json(force=True)["displayName"] == "Eng"
    assert client.delete(url, headers=acme.auth).status_code == 204
    assert client.get(url, headers=acme.auth).status_code == 404


def test_groups_are_found_by_substrings_of_their_external_id(client: FlaskClient) -> None:
    """A group holds no substring keys of its ``externalId``: ``co``, ``sw`` and ``ew`` on it
    go through the org's groups rather than look up keys no group holds."""
    acme = directory(client)
    body = {"schemas": [GROUP], "displayName": "Ops", "externalId": "grp-ops-42"}
    assert client.post(GROUPS, json=body, headers=acme.auth).status_code == 201
    group(client, acme, "Sales")
    for expression in ('externalId co "ops"', 'externalId sw "grp"', 'externalId ew "42"'):
        listed = client.get(f"{GROUPS}?filter={quote(expression)}", headers=acme.auth)
        assert listed.status_code == 200, listed.get_data(as_text=True)
        names = [g["displayName"] for g in listed.get_json(force=True).get("Resources", [])]
        assert names == ["Ops"], expression


def test_a_group_named_after_a_role_gives_it(
    client: FlaskClient, audit_log: RecordingAuditLog
) -> None:
    acme = directory(client)
    assert (
        client.patch(
            "/orgs/acme", json={"custom_roles": ["billing"]}, headers=acme.admin
        ).status_code
        == 200
    )
    ann, bob = user(client, acme, "ann"), user(client, acme, "bob")
    admins = group(client, acme, "Admin", ann)
    billing = group(client, acme, "BILLING", ann, bob)
    assert roles(client, acme)[ann] == ["member", "admin", "billing"]
    assert roles(client, acme)[bob] == ["member", "billing"]
    out = patch_body({"op": "remove", "path": f'members[value eq "{ann}"]'})
    assert client.patch(f"{GROUPS}/{admins['id']}", json=out, headers=acme.auth).status_code == 200
    assert roles(client, acme)[ann] == ["member", "billing"]
    assert client.delete(f"{GROUPS}/{billing['id']}", headers=acme.auth).status_code == 204
    assert roles(client, acme)[ann] == ["member"] and roles(client, acme)[bob] == ["member"]
    changed = [e for e in audit_log.events if e.event is Audit.ORG_MEMBER_ROLES_CHANGED]
    assert changed and all(e.reason == e.via == "scim" for e in changed)
    # An owner stays one, and no group makes one.
    owners = group(client, acme, "owner", ann)
    assert roles(client, acme)[ann] == ["member"]
    assert owners["displayName"] == "owner"


def test_members_are_the_orgs_users(client: FlaskClient) -> None:
    acme = directory(client)
    other = directory(client, "other", "olga")
    theirs = user(client, other, "zed")
    body = {"schemas": [GROUP], "displayName": "G", "members": [{"value": theirs}]}
    refused = client.post(GROUPS, json=body, headers=acme.auth)
    assert refused.status_code == 400
    assert refused.get_json(force=True)["scimType"] == "invalidValue"
    made = group(client, other, "Theirs", theirs)
    assert client.get(f"{GROUPS}/{made['id']}", headers=acme.auth).status_code == 404
