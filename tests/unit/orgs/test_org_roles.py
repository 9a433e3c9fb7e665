"""An org's roles with permissions on the fakes: definitions, bounds, the members' resolved
permissions and versions, escalation (docs/reference/orgs.md, "Roles and permissions")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient

from application.orgs.members.members import AddMember, ChangeRoles
from application.orgs.orgs import CreateOrg
from application.orgs.ports import OrgRepository
from application.orgs.services import OrgServices
from application.services import Services
from application.signin.authentication import Actor
from bootstrap.adapters import Adapters
from bootstrap.orgs import OrgsAdapters
from domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from domain.orgs.orgs import Membership, Org, Slug
from domain.orgs.roles import (
    PERMISSIONS_MAX,
    Granter,
    RoleDefinition,
    added_roles,
    check_grant,
    check_granted,
    checked_definition,
    resolved_permissions,
)
from tests.support.api import register, services

pytestmark = pytest.mark.unit
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_a_definition_keeps_its_permissions_sorted_and_bounded() -> None:
    assert checked_definition(" Billing ", ["invoices:write", "invoices:read"]) == (
        RoleDefinition("Billing", ("invoices:read", "invoices:write"))
    )
    assert checked_definition(None, []) == RoleDefinition()
    for bad in (["Invoices"], ["a b"], ["x" * 61], ["a", "a"], "a", [1]):
        with pytest.raises(InvalidInput):
            checked_definition("", bad)
    with pytest.raises(InvalidInput):
        checked_definition("", [f"p{i}" for i in range(PERMISSIONS_MAX + 1)])
    with pytest.raises(InvalidInput):
        checked_definition("x" * 201, [])
    # an API resource's scope is a permission too, whatever its shape
    assert checked_definition("", ["https://api/Read"], scopes=["https://api/Read"]).permissions


def test_permissions_are_the_sorted_union_of_the_roles() -> None:
    definitions = {"a": RoleDefinition("", ("y", "x")), "b": RoleDefinition("", ("x", "z"))}
    assert resolved_permissions(["b", "a", "undefined"], definitions) == ("x", "y", "z")


def test_nobody_grants_a_permission_they_lack_but_an_owner() -> None:
    definitions = {"billing": RoleDefinition("", ("pay",)), "admin": RoleDefinition("", ())}
    check_grant(["owner"], ["billing"], definitions)
    check_grant(["billing", "admin"], ["billing"], definitions)
    check_grant(["admin"], ["member"], definitions)
    for granter in (["admin"], None):
        with pytest.raises(PermissionDenied) as denied:
            check_grant(granter, ["billing"], definitions)
        assert denied.value.code == "permission_escalation"


def test_each_granter_gives_with_the_rights_it_carries() -> None:
    """docs/decisions/0508-roles-change-in-one-place.md"""
    definitions = {"billing": RoleDefinition("", ("pay",)), "payer": RoleDefinition("", ("pay",))}
    named = (Granter.person("p"), Granter.invitation("i"), Granter.scim("s"), Granter.sso("m"))
    for granter in named:
        check_granted(granter, ("admin", "payer"), ("billing",), definitions)
        check_granted(granter, ("owner",), ("billing", "owner"), definitions)
        check_granted(granter, None, (), definitions)  # nothing granted: nothing read
        for held in (("admin",), None):  # lacking a permission, or no longer a member
            with pytest.raises(PermissionDenied) as denied:
                check_granted(granter, held, ("billing",), definitions)
            assert denied.value.code == "permission_escalation"
        with pytest.raises(PermissionDenied):  # only an owner makes an owner
            check_granted(granter, ("admin",), ("owner",), definitions)
    # No member's rights: a member's; the operators: every right.
    for nobody in (Granter.domain(), Granter.scim(""), Granter.sso(None)):
        assert nobody.rights_of is None
        check_granted(nobody, ("owner",), ("member",), definitions)
        with pytest.raises(PermissionDenied):
            check_granted(nobody, ("owner",), ("billing",), definitions)
    check_granted(Granter.operator(), None, ("billing", "owner"), definitions)
    assert Granter.operator().reads(("billing",)) is None
    assert Granter.scim("s").reads(("billing",)) == "s" and Granter.scim("s").reads(()) is None


def test_a_grant_is_what_its_source_adds() -> None:
    assert added_roles(("billing", "admin"), ("admin",)) == ("billing",)
    assert added_roles(("member", "billing"), None, joining=True) == ("billing",)
    assert added_roles(("member",), ("admin",)) == ("member",)  # no join: a role like any


def test_an_org_defines_roles_within_its_bounds() -> None:
    org = Org.create(Slug("acme"), "Acme", NOW)
    defined = org.with_role("billing", RoleDefinition("", ("pay",)), NOW)
    assert defined.custom_roles == ("billing",)
    assert defined.with_role("owner", RoleDefinition("", ("all",)), NOW).custom_roles == (
        "billing",
    )
    assert defined.permissions_of(["billing", "member"]) == ("pay",)
    with pytest.raises(InvalidInput):
        org.with_role("Billing", RoleDefinition(), NOW)
    full = org
    for i in range(50):
        full = full.with_role(f"r{i}", RoleDefinition(), NOW)
    with pytest.raises(Conflict) as too_many:
        full.with_role("one-more", RoleDefinition(), NOW)
    assert too_many.value.code == "too_many_roles"
    assert defined.without_role("billing", NOW).roles == {}
    with pytest.raises(Conflict):
        defined.without_role("admin", NOW)
    with pytest.raises(NotFound):
        defined.without_role("nope", NOW)


# -- through the services, on the fakes ---------------------------------------------------------


def _actor(user_id: str) -> Actor:
    return Actor(user_id, user_id, "user", "s1", datetime(2100, 1, 1, tzinfo=UTC))


@dataclass(frozen=True)
class World:
    """An org ``acme`` of alice (owner), adam (admin) and bob (member)."""

    found: Services
    repo: OrgRepository
    ids: dict[str, str]
    org: str

    def actor(self, name: str) -> Actor:
        return _actor(self.ids[name])

    def membership(self, name: str) -> Membership:
        member = self.repo.membership(self.org, self.ids[name])
        assert member is not None
        return member


@pytest.fixture
def world(fake_app: Flask, client: FlaskClient, adapters: Adapters) -> World:
    ids = {name: register(client, name)["id"] for name in ("alice", "adam", "bob")}
    found = services(fake_app)
    org = found.of(OrgServices).orgs.create(CreateOrg(ids["alice"], "acme", "Acme")).org.id
    found.of(OrgServices).members.add_member(AddMember(org, "adam", ("admin",)))
    found.of(OrgServices).members.add_member(AddMember(org, "bob", ("member",)))
    return World(found, adapters.of(OrgsAdapters).orgs, ids, org)


def test_a_role_edit_reaches_its_holders_permissions_and_versions(world: World) -> None:
    found, org, alice, bob = world.found, world.org, world.actor("alice"), world.ids["bob"]
    created = found.of(OrgServices).roles.put(alice, org, "billing", "Billing", ["pay", "refund"])
    assert (created.name, created.permissions, created.builtin, created.members) == (
        "billing",
        ("pay", "refund"),
        False,
        0,
    )
    assert created.created
    found.of(OrgServices).members.change_roles(ChangeRoles(alice, org, bob, ["member", "billing"]))
    assert world.membership("bob").permissions == ("pay", "refund")
    version = world.membership("bob").version
    again = found.of(OrgServices).roles.put(alice, org, "billing", "Billing", ["pay"])
    assert (again.created, again.members) == (False, 1)
    member = world.membership("bob")
    assert member.permissions == ("pay",) and member.version != version
    found.of(OrgServices).roles.put(alice, org, "member", "Everyone", ["read:docs"])
    assert world.membership("bob").permissions == ("pay", "read:docs")
    assert world.membership("adam").permissions == ()  # holds admin only
    listed = [(r.name, r.builtin, r.members) for r in found.of(OrgServices).roles.list(alice, org)]
    assert listed == [
        ("owner", True, 1),
        ("admin", True, 1),
        ("member", True, 1),
        ("billing", False, 1),
    ]
    assert {r.members for r in found.of(OrgServices).roles.list(world.actor("bob"), org)} == {None}


def test_only_owners_define_and_a_held_role_stays(world: World) -> None:
    found, org = world.found, world.org
    alice, adam, bob = world.actor("alice"), world.actor("adam"), world.ids["bob"]
    with pytest.raises(PermissionDenied):
        found.of(OrgServices).roles.put(adam, org, "billing", "", ["pay"])
    found.of(OrgServices).roles.put(alice, org, "billing", "", ["pay"])
    found.of(OrgServices).members.change_roles(ChangeRoles(alice, org, bob, ["billing"]))
    with pytest.raises(Conflict) as held:
        found.of(OrgServices).roles.delete(alice, org, "billing")
    assert held.value.code == "role_in_use"
    with pytest.raises(Conflict) as builtin:
        found.of(OrgServices).roles.delete(alice, org, "member")
    assert builtin.value.code == "builtin_role"
    found.of(OrgServices).members.change_roles(ChangeRoles(alice, org, bob, ["member"]))
    assert world.membership("bob").permissions == ()
    found.of(OrgServices).roles.delete(alice, org, "billing")
    assert [r.name for r in found.of(OrgServices).roles.list(alice, org)] == [
        "owner",
        "admin",
        "member",
    ]


def test_an_admin_grants_only_what_they_hold(world: World) -> None:
    found, org = world.found, world.org
    alice, adam, bob = world.actor("alice"), world.actor("adam"), world.ids["bob"]
    found.of(OrgServices).roles.put(alice, org, "billing", "", ["pay"])
    with pytest.raises(PermissionDenied) as denied:
        found.of(OrgServices).members.change_roles(ChangeRoles(adam, org, bob, ["billing"]))
    assert denied.value.code == "permission_escalation"
    assert world.membership("bob").roles == ("member",)
    found.of(OrgServices).roles.put(alice, org, "admin", "", ["pay"])
    found.of(OrgServices).members.change_roles(ChangeRoles(adam, org, bob, ["billing"]))
    assert world.membership("bob").permissions == ("pay",)
