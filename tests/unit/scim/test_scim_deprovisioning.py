"""Deprovisioning over SCIM on the fakes: ``active: false`` or DELETE on an account the org
manages disables it, ending its sessions, personal tokens and grants at the next request; on
one it does not manage, only the membership goes (docs/reference/scim.md,
"Deprovisioning")."""

from __future__ import annotations

import pytest

from application.orgs.members.members import AddMember
from application.orgs.services import OrgServices
from application.ports import Audit
from bootstrap.accounts import AccountsAdapters
from tests.support.api import bearer, login, register
from tests.support.app import NEW, World
from tests.support.scim import (
    USERS,
    Directory,
    active,
    directory,
    patch_body,
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
    account = world.adapters.of(AccountsAdapters).users.get(user_id)
    assert account is not None
    tokens = signed_in_by_reset(world, "mia@example.com", account.shown_name)
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
    account = world.adapters.of(AccountsAdapters).users.get(user_id)
    assert account is not None and account.disabled
    assert user_id not in member_ids(world, acme)


def test_an_account_the_org_does_not_manage_only_leaves_it(world: World) -> None:
    acme = directory(world.client)
    verified(world, acme.org_id)
    register(world.client, "noor", email="noor@example.com")
    own = bearer(login(world.client, "noor"))
    noor = world.adapters.of(AccountsAdapters).users.find_by_login("noor@example.com")
    assert noor is not None
    now = world.clock.now()
    world.adapters.of(AccountsAdapters).users.update(noor.id, lambda u: u.with_email_verified(now))
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
    account = world.adapters.of(AccountsAdapters).users.get(made.get_json(force=True)["id"])
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


def prove(world: World, user_id: str) -> None:
    world.adapters.of(AccountsAdapters).users.update(
        user_id, lambda u: u.with_email_verified(u.updated_at)
    )


def test_an_admins_token_never_reaches_an_owner_and_an_owners_token_does(world: World) -> None:
    # The org's owner alice makes one token; an admin (ada), who may make tokens but not
    # remove an owner through the API, makes another. The admin's token would otherwise end
    # what the API refuses her (docs/decisions/0451-scim-acts-on-owners-by-an-owners-token.md).
    owners = directory(world.client)
    verified(world, owners.org_id)
    register(world.client, "ada")
    ada = bearer(login(world.client, "ada"))
    world.services.of(OrgServices).members.add_member(AddMember(owners.org_id, "ada", ("admin",)))
    made = world.client.post("/orgs/acme/scim/tokens", json={"name": "Mine"}, headers=ada)
    assert made.status_code == 201, made.get_json()
    admins = Directory(owners.org_id, ada, made.get_json()["token"])
    # An owner the org manages (its directory made her), and a co-owner with an account of
    # her own whom the directory also lists.
    oona = provisioned(world, owners, "oona@example.com")
    register(world.client, "otto", email="otto@example.com")
    otto = world.adapters.of(AccountsAdapters).users.find_by_login("otto@example.com")
    assert otto is not None
    prove(world, otto.id)
    world.services.of(OrgServices).members.add_member(AddMember(owners.org_id, "otto", ("owner",)))
    listed = world.client.post(USERS, json=user_body("otto@example.com"), headers=owners.auth)
    assert listed.status_code == 201, listed.get_data(as_text=True)
    made_owner = world.client.patch(
        f"/orgs/acme/members/{oona}", json={"roles": ["owner"]}, headers=owners.admin
    )
    assert made_owner.status_code == 200, made_owner.get_json()
    users = world.adapters.of(AccountsAdapters).users
    off = patch_body({"op": "replace", "path": "active", "value": False})
    moved = patch_body(
        {
            "op": "replace",
            "path": "emails",
            "value": [{"value": "ada@example.com", "primary": True}],
        }
    )
    for user_id in (oona, otto.id):
        for refused in (
            world.client.patch(f"{USERS}/{user_id}", json=off, headers=admins.auth),
            world.client.delete(f"{USERS}/{user_id}", headers=admins.auth),
        ):
            assert refused.status_code == 403, refused.get_data(as_text=True)
            assert "scim_owner_protected" in refused.get_json(force=True)["detail"]
    refused_move = world.client.patch(f"{USERS}/{oona}", json=moved, headers=admins.auth)
    assert refused_move.status_code == 403, refused_move.get_data(as_text=True)
    assert {oona, otto.id} <= member_ids(world, owners)
    account = users.get(oona)
    assert account is not None and not account.disabled
    assert account.email is not None and account.email.value == "oona@example.com"
    # The owner's token reaches owners: the co-owner leaves, the managed owner is disabled.
    assert world.client.delete(f"{USERS}/{otto.id}", headers=owners.auth).status_code == 204
    active(world, owners, oona, False)
    assert otto.id not in member_ids(world, owners)
    disabled = users.get(oona)
    assert disabled is not None and disabled.disabled
    # A token acts on owners only while its maker is one: otto's, once otto is demoted, no
    # longer reaches the owner alice.
    world.services.of(OrgServices).members.add_member(AddMember(owners.org_id, "otto", ("owner",)))
    otto_auth = bearer(login(world.client, "otto"))
    ottos = world.client.post("/orgs/acme/scim/tokens", json={"name": "O"}, headers=otto_auth)
    assert ottos.status_code == 201, ottos.get_json()
    alice = world.client.get("/user", headers=owners.admin).get_json()["id"]
    prove(world, alice)
    listed = world.client.post(USERS, json=user_body("alice@example.com"), headers=owners.auth)
    assert listed.status_code == 201, listed.get_data(as_text=True)
    demoted = world.client.patch(
        f"/orgs/acme/members/{otto.id}", json={"roles": ["member"]}, headers=owners.admin
    )
    assert demoted.status_code == 200, demoted.get_json()
    stale = world.client.patch(
        f"{USERS}/{alice}", json=off, headers=bearer(ottos.get_json()["token"])
    )
    assert stale.status_code == 403, stale.get_data(as_text=True)
