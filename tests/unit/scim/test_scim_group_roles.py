"""The roles SCIM groups give are the directory's own, kept apart from those an admin or the
SSO mapping gives: a push into a group never takes another source's role, and a refused SCIM
write leaves nothing behind (docs/reference/orgs.md, "Roles";
docs/decisions/0459-each-source-grants-its-own-roles.md)."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from bootstrap.accounts import AccountsAdapters
from bootstrap.orgs import OrgsAdapters
from tests.support.api import bearer
from tests.support.app import World
from tests.support.saml_idp import key_pair
from tests.support.scim import (
    GROUP,
    GROUPS,
    USERS,
    Directory,
    directory,
    group,
    patch_body,
    provisioned,
    roles,
    set_roles,
    signed_in_by_reset,
    user_body,
    verified,
)
from tests.support.sso_world import saml_sso

pytestmark = pytest.mark.unit


def named(world: World, acme: Directory, name: str) -> int:
    """How many of the org's groups are named ``name``."""
    found = world.client.get(
        f"{GROUPS}?filter={quote(f'displayName eq "{name}"')}", headers=acme.auth
    )
    assert found.status_code == 200, found.get_data(as_text=True)
    total: int = found.get_json(force=True)["totalResults"]
    return total


def managed(world: World, address: str, role: str) -> tuple[Directory, str]:
    """The org acme, its directory, and the id of the person it made at ``address``, to
    whom its admin gives ``role`` by hand."""
    acme = directory(world.client)
    verified(world, acme.org_id)
    user_id = provisioned(world, acme, address)
    set_roles(world.client, acme, user_id, role)
    return acme, user_id


def test_a_push_into_an_unrelated_group_keeps_an_admin_given_by_hand() -> None:
    world = World()
    acme, bob = managed(world, "bob@example.com", "admin")
    admins = group(world.client, acme, "admin")  # the directory's admins: not bob

    for _ in range(3):  # a directory that is refused retries: it never piles up copies
        pushed = world.client.post(
            GROUPS,
            json={"schemas": [GROUP], "displayName": "Staff", "members": [{"value": bob}]},
            headers=acme.auth,
        )
        if pushed.status_code == 201:
            break
    assert pushed.status_code == 201, pushed.get_data(as_text=True)
    assert named(world, acme, "Staff") == 1
    assert roles(world.client, acme)[bob] == ["admin"]  # the admin's grant stands

    # In the directory's admin group and out of it again: what the admin gave stays.
    add = patch_body({"op": "add", "path": "members", "value": [{"value": bob}]})
    url = f"{GROUPS}/{admins['id']}"
    assert world.client.patch(url, json=add, headers=acme.auth).status_code == 200
    assert roles(world.client, acme)[bob] == ["admin"]
    member = world.adapters.of(OrgsAdapters).orgs.membership(acme.org_id, bob)
    assert member is not None and member.scim_roles == ("admin",)
    assert world.client.delete(url, headers=acme.auth).status_code == 204
    assert roles(world.client, acme)[bob] == ["admin"]
    # Taken back by hand, the directory's group is what would give it
    assert set_roles(world.client, acme, bob, "member") == ["member"]


def test_sso_and_scim_each_give_their_own_roles_and_the_member_holds_both() -> None:
    sso = saml_sso(key_pair())
    world = sso.world
    ada_browser = world.app.test_client()
    assert sso.sign_in(ada_browser, "ada@corp.example", groups=("IT",)).status_code == 303
    ada = sso.user_of("ada@corp.example").id
    assert sso.member_roles(ada) == ("admin",)  # IT → admin, by the connection's mapping
    made = world.client.post("/orgs/corp/scim/tokens", json={"name": "Okta"}, headers=sso.owner)
    assert made.status_code == 201, made.get_json()
    corp = Directory(sso.org_id, sso.owner, made.get_json()["token"])
    listed = world.client.post(USERS, json=user_body("ada@corp.example"), headers=corp.auth)
    assert listed.status_code == 201, listed.get_data(as_text=True)
    admins = group(world.client, corp, "admin")

    # A push into an unrelated group, and the directory's admins without her: the admin her
    # IdP's groups give her stays.
    group(world.client, corp, "Staff", ada)
    assert sso.member_roles(ada) == ("admin",)
    add = patch_body({"op": "add", "path": "members", "value": [{"value": ada}]})
    url = f"{GROUPS}/{admins['id']}"
    assert world.client.patch(url, json=add, headers=corp.auth).status_code == 200
    # Signing in out of IT takes the mapping's admin; the directory's stays.
    again = world.app.test_client()
    assert sso.sign_in(again, "ada@corp.example", groups=("Staff",)).status_code == 303
    member = world.adapters.of(OrgsAdapters).orgs.membership(sso.org_id, ada)
    assert member is not None
    assert (member.sso_roles, member.scim_roles, member.roles) == ((), ("admin",), ("admin",))
    # Out of the directory's admins too: a member.
    assert world.client.delete(url, headers=corp.auth).status_code == 204
    assert sso.member_roles(ada) == ("member",)
    # And back in IT at the next sign-in: admin again, by the mapping.
    third = world.app.test_client()
    assert sso.sign_in(third, "ada@corp.example", groups=("IT",)).status_code == 303
    assert sso.member_roles(ada) == ("admin",)


def test_removing_the_last_owner_over_scim_leaves_the_account_as_it_was() -> None:
    # oona, whom the directory made, is made an owner; alice, the owner who made the org,
    # leaves it; oona's own token then asks to delete oona, the last owner.
    world = World()
    acme, oona = managed(world, "oona@example.com", "owner")
    account = world.adapters.of(AccountsAdapters).users.get(oona)
    assert account is not None
    tokens = signed_in_by_reset(world, "oona@example.com", account.shown_name)
    oonas = bearer(tokens["access_token"])
    made = world.client.post("/orgs/acme/scim/tokens", json={"name": "Mine"}, headers=oonas)
    assert made.status_code == 201, made.get_json()
    alice = world.client.get("/user", headers=acme.admin).get_json()["id"]
    left = world.client.delete(f"/orgs/acme/members/{alice}", headers=acme.admin)
    assert left.status_code == 204, left.get_data(as_text=True)

    refused = world.client.delete(f"{USERS}/{oona}", headers=bearer(made.get_json()["token"]))

    assert refused.status_code == 409, refused.get_data(as_text=True)
    assert "last_owner" in refused.get_json(force=True)["detail"]
    after = world.adapters.of(AccountsAdapters).users.get(oona)
    assert after is not None and not after.disabled
    assert world.client.get("/user", headers=oonas).status_code == 200
    assert world.adapters.of(OrgsAdapters).orgs.membership(acme.org_id, oona) is not None
