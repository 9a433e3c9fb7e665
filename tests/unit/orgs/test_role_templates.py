"""Role templates on the fakes: roles every org has, defined by firegate's admins
(docs/reference/orgs.md, "Roles every org has"; docs/decisions/
0581-role-templates-read-with-every-org.md)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient

from application.orgs.members.members import AddMember, ChangeRoles
from application.orgs.members.templates import PutTemplate, TemplateQuery
from application.orgs.orgs import CreateOrg, UpdateOrg
from application.orgs.ports import OrgRepository
from application.orgs.services import OrgServices
from application.services import Services
from application.signin.authentication import Actor
from bootstrap.adapters import Adapters
from bootstrap.orgs import OrgsAdapters
from domain.errors import Conflict, NotFound, PermissionDenied
from domain.orgs.orgs import Membership, Org, Slug, creators_org
from domain.orgs.roles import TEMPLATES_MAX, RoleDefinition, check_grant, with_template
from infrastructure.settings import Settings
from tests.support.api import assert_problem, bearer, login, register, services
from tests.support.settings import make_settings

pytestmark = pytest.mark.unit
NOW = datetime(2026, 1, 1, tzinfo=UTC)
BILLING = RoleDefinition("Billing", ("invoices:read",))


def test_a_template_is_any_role_name_but_firegates_own_within_bounds() -> None:
    assert with_template({}, "billing", BILLING) == {"billing": BILLING}
    for builtin in ("owner", "admin", "member"):
        with pytest.raises(PermissionDenied) as refused:
            with_template({}, builtin, BILLING)
        assert refused.value.code == "template_role"
    full = {f"t{i}": BILLING for i in range(TEMPLATES_MAX)}
    assert with_template(full, "t0", RoleDefinition()) == {**full, "t0": RoleDefinition()}
    with pytest.raises(Conflict) as many:
        with_template(full, "one-more", BILLING)
    assert many.value.code == "too_many_roles"


def test_an_org_reads_a_template_as_a_role_its_owners_cannot_touch() -> None:
    org = Org.create(Slug("acme"), "Acme", NOW).with_role("ops", RoleDefinition("", ("x",)), NOW)
    org = replace(org, templates={"billing": BILLING})
    assert org.role_names() == ("owner", "admin", "member", "ops", "billing")
    assert org.permissions_of(["ops", "billing"]) == ("invoices:read", "x")
    assert org.is_template("billing") and not org.is_template("ops")
    with pytest.raises(PermissionDenied) as redefined:
        org.with_role("billing", RoleDefinition(), NOW)
    with pytest.raises(PermissionDenied) as removed:
        org.without_role("billing", NOW)
    assert redefined.value.code == removed.value.code == "template_role"
    # the escalation rule counts a template's permissions as an org role's
    with pytest.raises(PermissionDenied) as escalation:
        check_grant(["admin", "ops"], ["billing"], org.definitions)
    assert escalation.value.code == "permission_escalation"


def test_the_creators_role_is_owner_or_a_role_that_exists() -> None:
    org = Org.create(Slug("acme"), "Acme", NOW)
    made = creators_org(org, "billing", {"billing": BILLING})
    assert (made.owners, dict(made.templates)) == (0, {"billing": BILLING})
    assert creators_org(org, "admin", {}).owners == 0
    with pytest.raises(Conflict) as missing:
        creators_org(org, "billing", {})
    assert missing.value.code == "creator_role_missing"


# -- through the services, on the fakes ---------------------------------------------------------


def _actor(user_id: str, role: str = "user") -> Actor:
    return Actor(user_id, user_id, role, "s1", datetime(2100, 1, 1, tzinfo=UTC))


@dataclass(frozen=True)
class World:
    """Two orgs: acme (alice owns it, adam an admin, bob a member) and zeta (zoe owns it, bob
    a member); root is firegate's admin."""

    found: Services
    repo: OrgRepository
    ids: dict[str, str]
    orgs: dict[str, str]

    def actor(self, name: str) -> Actor:
        return _actor(self.ids[name], "admin" if name == "root" else "user")

    def membership(self, org: str, name: str) -> Membership:
        member = self.repo.membership(self.orgs[org], self.ids[name])
        assert member is not None
        return member

    def put(self, role: str, *permissions: str) -> None:
        cmd = PutTemplate(self.actor("root"), role, "", list(permissions))
        self.found.of(OrgServices).templates.put(cmd)


@pytest.fixture
def world(fake_app: Flask, client: FlaskClient, adapters: Adapters) -> World:
    names = ("root", "alice", "adam", "bob", "zoe")
    ids = {name: register(client, name)["id"] for name in names}
    found = services(fake_app)
    acme = found.of(OrgServices).orgs.create(CreateOrg(ids["alice"], "acme", "Acme")).org.id
    zeta = found.of(OrgServices).orgs.create(CreateOrg(ids["zoe"], "zeta", "Zeta")).org.id
    found.of(OrgServices).members.add_member(AddMember(acme, "adam", ("admin",)))
    for org in (acme, zeta):
        found.of(OrgServices).members.add_member(AddMember(org, "bob", ("member",)))
    return World(found, adapters.of(OrgsAdapters).orgs, ids, {"acme": acme, "zeta": zeta})


def test_a_template_is_a_role_of_every_org_and_an_edit_reaches_every_holder(
    world: World,
) -> None:
    found, bob = world.found, world.ids["bob"]
    world.put("billing", "invoices:read")
    for org, owner in (("acme", "alice"), ("zeta", "zoe")):
        listed = found.of(OrgServices).roles.list(world.actor(owner), world.orgs[org])
        assert [(r.name, r.template, r.permissions) for r in listed][-1] == (
            "billing",
            True,
            ("invoices:read",),
        )
        change = ChangeRoles(world.actor(owner), world.orgs[org], bob, ["member", "billing"])
        found.of(OrgServices).members.change_roles(change)
        assert world.membership(org, "bob").permissions == ("invoices:read",)
    versions = {org: world.membership(org, "bob").version for org in world.orgs}
    world.put("billing", "invoices:read", "invoices:write")
    for org in world.orgs:
        after = world.membership(org, "bob")
        assert after.permissions == ("invoices:read", "invoices:write")
        assert after.version != versions[org]  # a Firebase token's org_version ends
    shown = found.of(OrgServices).templates.get(TemplateQuery(world.actor("root"), "billing"))
    assert (shown.permissions, shown.members) == (("invoices:read", "invoices:write"), 2)
    assert [t.name for t in found.of(OrgServices).templates.list(TemplateQuery(None))] == [
        "billing"
    ]


def test_owners_neither_change_nor_remove_a_template_nor_take_its_name(world: World) -> None:
    found, acme, alice = world.found, world.orgs["acme"], world.actor("alice")
    world.put("billing", "invoices:read")
    refusals = (
        lambda: found.of(OrgServices).roles.put(alice, acme, "billing", "", ["x"]),
        lambda: found.of(OrgServices).roles.delete(alice, acme, "billing"),
        lambda: found.of(OrgServices).orgs.update(
            UpdateOrg(alice, acme, (("custom_roles", ["billing"]),))
        ),
    )
    for refused in refusals:
        with pytest.raises(PermissionDenied) as denied:
            refused()
        assert denied.value.code == "template_role"


def test_only_admins_define_templates(world: World) -> None:
    for name in ("alice", "bob"):
        with pytest.raises(PermissionDenied) as denied:
            world.found.of(OrgServices).templates.put(
                PutTemplate(world.actor(name), "billing", "", [])
            )
        assert denied.value.code == "admin_required"
    with pytest.raises(PermissionDenied):
        world.found.of(OrgServices).templates.list(TemplateQuery(world.actor("alice")))


def test_an_admin_without_a_templates_permission_cannot_give_it(world: World) -> None:
    found, acme, bob = world.found, world.orgs["acme"], world.ids["bob"]
    world.put("billing", "invoices:read")
    with pytest.raises(PermissionDenied) as denied:
        found.of(OrgServices).members.change_roles(
            ChangeRoles(world.actor("adam"), acme, bob, ["billing"])
        )
    assert denied.value.code == "permission_escalation"
    found.of(OrgServices).roles.put(world.actor("alice"), acme, "admin", "", ["invoices:read"])
    found.of(OrgServices).members.change_roles(
        ChangeRoles(world.actor("adam"), acme, bob, ["billing"])
    )
    assert world.membership("acme", "bob").roles == ("billing",)


def test_a_held_template_stays_until_taken_from_every_holder(world: World) -> None:
    found, root, bob = world.found, world.actor("root"), world.ids["bob"]
    world.put("billing", "invoices:read")
    zeta = world.orgs["zeta"]
    found.of(OrgServices).members.change_roles(
        ChangeRoles(world.actor("zoe"), zeta, bob, ["billing"])
    )
    with pytest.raises(Conflict) as held:
        found.of(OrgServices).templates.delete(TemplateQuery(root, "billing"))
    assert held.value.code == "role_in_use"
    found.of(OrgServices).members.change_roles(
        ChangeRoles(world.actor("zoe"), zeta, bob, ["member"])
    )
    found.of(OrgServices).templates.delete(TemplateQuery(root, "billing"))
    assert [r.name for r in found.of(OrgServices).roles.list(world.actor("zoe"), zeta)][
        -1
    ] == "member"
    with pytest.raises(NotFound) as gone:
        found.of(OrgServices).templates.delete(TemplateQuery(root, "billing"))
    assert gone.value.code == "role_not_found"


# -- over HTTP ---------------------------------------------------------------------------------


def test_admins_define_templates_over_http(fake_app: Flask, client: FlaskClient) -> None:
    register(client, "root")
    fake_app.test_cli_runner().invoke(args=["users", "set-role", "root", "admin"])
    root = bearer(login(client, "root"))
    register(client, "alice")
    alice = bearer(login(client, "alice"))
    body = {"description": "Invoices", "permissions": ["invoices:write", "invoices:read"]}
    assert_problem(
        client.put("/admin/org-roles/billing", json=body, headers=alice), 403, "admin_required"
    )
    created = client.put("/admin/org-roles/billing", json=body, headers=root)
    assert created.status_code == 201, created.get_json()
    assert created.headers["Location"] == "/admin/org-roles/billing"
    assert created.get_json() == {
        "name": "billing",
        "description": "Invoices",
        "permissions": ["invoices:read", "invoices:write"],
        "members": 0,
    }
    again = client.put("/admin/org-roles/billing", json={"permissions": []}, headers=root)
    assert again.status_code == 200 and again.get_json()["permissions"] == []
    assert client.get("/admin/org-roles/billing", headers=root).get_json()["name"] == "billing"
    listed = client.get("/admin/org-roles", headers=root).get_json()["items"]
    assert [t["name"] for t in listed] == ["billing"]
    assert_problem(
        client.put("/admin/org-roles/owner", json=body, headers=root), 403, "template_role"
    )
    assert (
        client.post("/orgs", json={"slug": "acme", "name": "Acme"}, headers=alice).status_code
        == 201
    )
    roles = client.get("/orgs/acme/roles", headers=alice).get_json()["items"]
    assert [(r["name"], r["template"]) for r in roles][-1] == ("billing", True)
    refused = client.put("/orgs/acme/roles/billing", json=body, headers=alice)
    assert_problem(refused, 403, "template_role")
    assert client.delete("/admin/org-roles/billing", headers=root).status_code == 204
    assert_problem(client.get("/admin/org-roles/billing", headers=root), 404, "role_not_found")


class TestCreatorRole:
    @pytest.fixture
    def app_settings(self) -> Settings:
        return make_settings(org_creator_role="customer-admin")

    def test_the_creator_gets_the_role_the_setting_names(
        self, fake_app: Flask, client: FlaskClient
    ) -> None:
        register(client, "alice")
        alice = bearer(login(client, "alice"))
        made = client.post("/orgs", json={"slug": "acme", "name": "Acme"}, headers=alice)
        assert_problem(made, 409, "creator_role_missing")
        admin = _actor("root", "admin")
        found = services(fake_app)
        found.of(OrgServices).templates.put(
            PutTemplate(admin, "customer-admin", "", ["billing:manage"])
        )
        made = client.post("/orgs", json={"slug": "acme", "name": "Acme"}, headers=alice)
        assert made.status_code == 201 and made.get_json()["roles"] == ["customer-admin"]
        mine = client.get("/orgs", headers=alice).get_json()["items"]
        assert [o["roles"] for o in mine] == [["customer-admin"]]
        with pytest.raises(Conflict) as named:
            found.of(OrgServices).templates.delete(TemplateQuery(admin, "customer-admin"))
        assert named.value.code == "role_in_use"


def test_operators_manage_templates_from_the_command_line(fake_app: Flask) -> None:
    cli = fake_app.test_cli_runner()
    made = cli.invoke(
        args=["org-roles", "set", "billing", "--permission", "pay", "--permission", "refund"]
    )
    assert made.exit_code == 0, made.output
    assert made.output.strip() == "billing created: pay refund"
    listed = cli.invoke(args=["org-roles", "list"])
    assert listed.output.splitlines() == ["billing\t0 holder(s)\tpay refund\t"]
    assert cli.invoke(args=["org-roles", "set", "owner"]).exit_code != 0  # template_role
    assert cli.invoke(args=["org-roles", "remove", "billing"]).output.strip() == "billing removed"
    assert cli.invoke(args=["org-roles", "remove", "billing"]).exit_code != 0  # role_not_found
