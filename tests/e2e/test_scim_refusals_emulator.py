"""A refused SCIM write writes nothing, on the Firestore emulator: every refusal of a POST,
PUT, PATCH or DELETE of a user or a group (a 4xx) leaves the accounts, the memberships and the
directory's records as they were, read from the store; and a push into a group that gives no
role of its own never takes a role an admin gave, so a directory has nothing to retry and
no copies pile up (docs/reference/scim.md, "Groups"; docs/reference/orgs.md, "Roles")."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from domain.orgs.domains import OrgDomain
from infrastructure.firestore.orgs.domains import FirestoreOrgDomains
from tests.support.scim import (
    GROUP,
    GROUPS,
    USERS,
    Directory,
    directory,
    group,
    patch_body,
    roles,
    set_roles,
    user_body,
)

pytestmark = pytest.mark.e2e
# What a SCIM write may change: the accounts and their claims, the orgs and their members,
# the directory's records and their claims.
STORED = ("users", "usernames", "emails", "orgs", "scim_users", "scim_user_names", "scim_groups")
UNKNOWN = "0000000000000000000000"  # the id of no user


def stored(firestore: Any) -> dict[str, dict[str, Any]]:
    """Every document of ``STORED`` (and of their subcollections), by path."""
    found: dict[str, dict[str, Any]] = {}
    pending = [firestore.collection(name) for name in STORED]
    while pending:
        for snap in pending.pop().stream():
            found[snap.reference.path] = snap.to_dict() or {}
            pending.extend(snap.reference.collections())
    return found


def verify(firestore: Any, org_id: str, name: str) -> None:
    domains, now = FirestoreOrgDomains(firestore), datetime.now(UTC)
    domain = OrgDomain.create(org_id, name, "alice", now)
    domains.add(domain)
    domains.verify(domain.verified_now(now))


def group_body(name: str, *members: str) -> dict[str, object]:
    return {"schemas": [GROUP], "displayName": name, "members": [{"value": m} for m in members]}


def test_every_refused_scim_write_leaves_the_store_as_it_was(
    real_client: FlaskClient, firestore: Any
) -> None:
    client = real_client
    acme = directory(client)
    verify(firestore, acme.org_id, "example.com")
    made = client.post(USERS, json=user_body("bob@example.com"), headers=acme.auth)
    assert made.status_code == 201, made.get_data(as_text=True)
    bob = made.get_json(force=True)["id"]
    team = group(client, acme, "Engineering", bob)
    user_url, group_url = f"{USERS}/{bob}", f"{GROUPS}/{team['id']}"
    stale = {**acme.auth, "If-Match": 'W/"7"'}
    elsewhere = [{"value": "bob@elsewhere.org", "primary": True}]
    refusals: dict[str, Callable[[], TestResponse]] = {
        "POST a group of an unknown member": lambda: client.post(
            GROUPS, json=group_body("Sales", UNKNOWN), headers=acme.auth
        ),
        "PUT a group of an unknown member": lambda: client.put(
            group_url, json=group_body("Engineering", bob, UNKNOWN), headers=acme.auth
        ),
        "PATCH an unknown member into a group": lambda: client.patch(
            group_url,
            json=patch_body({"op": "add", "path": "members", "value": [{"value": UNKNOWN}]}),
            headers=acme.auth,
        ),
        "PUT a group read at another version": lambda: client.put(
            group_url, json=group_body("Renamed", bob), headers=stale
        ),
        "DELETE a group read at another version": lambda: client.delete(group_url, headers=stale),
        "POST a user at an address an account holds": lambda: client.post(
            USERS, json=user_body("alice@example.com"), headers=acme.auth
        ),
        "PUT a managed user off the verified domains": lambda: client.put(
            user_url,
            json=user_body("bob@example.com", emails=elsewhere, displayName="Bob"),
            headers=acme.auth,
        ),
        "PATCH a managed user off the verified domains": lambda: client.patch(
            user_url,
            json=patch_body({"op": "replace", "path": "emails", "value": elsewhere}),
            headers=acme.auth,
        ),
        "PUT a user read at another version": lambda: client.put(
            user_url, json=user_body("bob@example.com", active=False), headers=stale
        ),
        "DELETE a user read at another version": lambda: client.delete(user_url, headers=stale),
    }
    for name, refused_write in refusals.items():
        before = stored(firestore)
        answer = refused_write()
        assert 400 <= answer.status_code < 500, (name, answer.get_data(as_text=True))
        assert stored(firestore) == before, name


def test_a_push_into_an_unrelated_group_is_stored_once_and_keeps_an_admin(
    real_client: FlaskClient, firestore: Any
) -> None:
    client = real_client
    acme: Directory = directory(client)
    verify(firestore, acme.org_id, "example.com")
    made = client.post(USERS, json=user_body("bob@example.com"), headers=acme.auth)
    bob = made.get_json(force=True)["id"]
    set_roles(client, acme, bob, "admin")
    group(client, acme, "admin")  # the directory's admins: bob is not one

    pushed = client.post(GROUPS, json=group_body("Staff", bob), headers=acme.auth)

    assert pushed.status_code == 201, pushed.get_data(as_text=True)
    staff = quote('displayName eq "Staff"')
    listed = client.get(f"{GROUPS}?filter={staff}", headers=acme.auth).get_json(force=True)
    assert listed["totalResults"] == 1
    assert roles(client, acme)[bob] == ["admin"]
    member = stored(firestore)[f"orgs/{acme.org_id}/members/{bob}"]
    assert (member["roles"], member["granted"], member["scim_roles"]) == (["admin"], ["admin"], [])
