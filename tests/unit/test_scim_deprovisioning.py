"""Deprovisioning over SCIM on the fakes: ``active: false`` or DELETE on an account the org
manages disables it, ending its sessions, personal tokens and grants at the next request; on
one it does not manage, only the membership goes (docs/reference/scim.md,
"Deprovisioning")."""

from __future__ import annotations

import pytest

from application.ports import Audit
from tests.support.api import bearer, login, register
from tests.support.app import NEW, World
from tests.support.scim import (
    USERS,
    Directory,
    active,
    directory,
    provisioned,
    signed_in_by_reset,
    user_body,
    verified,
)

pytestmark = pytest.mark.unit


@pytest.fixture
def world() -> World:
    return World()


def member_ids(world: World, acme: Directory) -> set[str]:
    items = world.client.get("/orgs/acme/members", headers=acme.admin).get_json()["items"]
    return {m["user_id"] for m in items}


def test_a_managed_account_is_disabled_and_every_token_fails_at_once(world: World) -> None:
    acme = directory(world.client)
    verified(world, acme.org_id)
    user_id = provisioned(world, acme, "mia@example.com")
    account = world.adapters.accounts.users.get(user_id)
    assert account is not None
    tokens = signed_in_by_reset(world, "mia@example.com", account.username.value)
    access = bearer(tokens["access_token"])
    pat = world.client.post(
        "/auth/tokens", json={"name": "s", "scopes": ["read"], "expires_in": 600}, headers=access
    ).get_json()["token"]
    assert world.client.get("/user", headers=bearer(pat)).status_code == 200

    active(world, acme, user_id, False)

    assert world.client.get("/user", headers=access).status_code == 401
    assert world.client.get("/user", headers=bearer(pat)).status_code == 401
    refreshed = world.client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code in (400, 401)
    answer = world.client.post("/login", json={"username": "mia@example.com", "password": NEW})
    assert answer.status_code in (401, 403)
    disabled = [e for e in world.audit.events if e.event is Audit.ROLE_CHANGE]
    assert [(e.user_id, e.reason, e.org_id, e.changes) for e in disabled] == [
        (user_id, "scim", acme.org_id, (("disabled", "False", "True"),))
    ]
    assert user_id in member_ids(world, acme)  # suspended, still the org's

    active(world, acme, user_id, True)
    assert world.client.get("/user", headers=access).status_code == 401  # never revived
    again = world.client.post("/login", json={"username": "mia@example.com", "password": NEW})
    assert again.status_code == 200


def test_deleting_a_managed_account_disables_it_and_ends_the_membership(world: World) -> None:
    acme = directory(world.client)
    verified(world, acme.org_id)
    user_id = provisioned(world, acme, "max@example.com")
    assert world.client.delete(f"{USERS}/{user_id}", headers=acme.auth).status_code == 204
    account = world.adapters.accounts.users.get(user_id)
    assert account is not None and account.disabled
    assert user_id not in member_ids(world, acme)


def test_an_account_the_org_does_not_manage_only_leaves_it(world: World) -> None:
    acme = directory(world.client)
    verified(world, acme.org_id)
    register(world.client, "noor", email="noor@example.com")
    own = bearer(login(world.client, "noor"))
    noor = world.adapters.accounts.users.find_by_login("noor@example.com")
    assert noor is not None
    now = world.clock.now()
    world.adapters.accounts.users.update(noor.id, lambda u: u.with_email_verified(now))
    assert provisioned(world, acme, "noor@example.com") == noor.id  # joined, not made

    active(world, acme, noor.id, False)
    assert noor.id not in member_ids(world, acme)
    assert world.client.get("/user", headers=own).status_code == 200  # their own account
    active(world, acme, noor.id, True)
    assert noor.id in member_ids(world, acme)
    assert world.client.delete(f"{USERS}/{noor.id}", headers=acme.auth).status_code == 204
    assert noor.id not in member_ids(world, acme)
    assert world.client.get("/user", headers=own).status_code == 200
    assert not [e for e in world.audit.events if e.event is Audit.ROLE_CHANGE]


def test_a_user_created_inactive_is_made_disabled(world: World) -> None:
    acme = directory(world.client)
    verified(world, acme.org_id)
    made = world.client.post(
        USERS, json=user_body("ida@example.com", active=False), headers=acme.auth
    )
    assert made.status_code == 201
    account = world.adapters.accounts.users.get(made.get_json(force=True)["id"])
    assert account is not None and account.disabled


def test_the_orgs_audit_log_names_the_directory_as_what_made_each_change(world: World) -> None:
    acme = directory(world.client)
    verified(world, acme.org_id)
    user_id = provisioned(world, acme, "eli@example.com")
    active(world, acme, user_id, False)
    assert world.client.delete(f"{USERS}/{user_id}", headers=acme.auth).status_code == 204
    items = world.client.get("/orgs/acme/events", headers=acme.admin).get_json()["items"]
    made = {(e["type"], e["via"], e["reason"]) for e in items if e["user_id"] == user_id}
    assert made == {
        ("user.created", "scim", "scim"),
        ("org.member_added", "scim", "scim"),
        ("user.disabled", "scim", "scim"),
        ("org.member_removed", "scim", "scim"),
    }
    admins = [e for e in items if e["user_id"] != user_id]
    assert admins and all(e["via"] is None for e in admins)  # made by a person
    own = world.client.get("/auth/events", headers=acme.admin).get_json()["items"]
    assert all(e["via"] is None for e in own)
