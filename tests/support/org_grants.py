"""The org "corp" of the grant walks (tests/unit/orgs/test_grants_every_path.py and
test_grants_of_a_demoted_maker.py): ``corp.example`` verified, an active SAML connection
whose mapping olga (its first owner) set, a role ``billing`` holding ``invoices:write``;
adam an admin without it, otto a second owner who demotes or removes the others. And the
use cases that give roles, found by reading ``src/application`` (docs/decisions/
0508-roles-change-in-one-place.md)."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import application
from application.orgs.members.members import AddMember
from application.orgs.services import OrgServices
from application.ports import Audit
from bootstrap.orgs import OrgsAdapters
from domain.orgs.orgs import Membership
from tests.support.api import bearer, login, register
from tests.support.saml_idp import key_pair
from tests.support.sso_world import SamlSso, saml_sso

Auth = dict[str, str]
PAY = "invoices:write"
GIVERS = ("add_member", "change_roles")  # OrgRepository's methods that give roles
MAPPING = {"email": "mail", "groups": "groups", "roles": {"IT": ["admin"], "Billing": ["billing"]}}
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def grant_calls() -> dict[tuple[str, str], list[ast.Call]]:
    """Each function of ``src/application`` that calls ``add_member`` or ``change_roles``
    (the repository's: no use case calls the other's), by (module, qualified name)."""
    root = Path(application.__file__).parent
    found: dict[tuple[str, str], list[ast.Call]] = {}

    def visit(node: ast.AST, module: str, names: tuple[str, ...]) -> None:
        for child in ast.iter_child_nodes(node):
            inner = names
            if isinstance(child, ast.ClassDef | ast.FunctionDef):
                inner = (*names, child.name)
            if (
                isinstance(child, ast.Call)
                and isinstance(child.func, ast.Attribute)
                and child.func.attr in GIVERS
            ):
                found.setdefault((module, ".".join(names)), []).append(child)
            visit(child, module, inner)

    for path in sorted(root.rglob("*.py")):
        visit(ast.parse(path.read_text()), path.relative_to(root).as_posix(), ())
    return found


@dataclass
class Corp:
    sso: SamlSso
    olga: str  # the owner who set the connection's mapping
    adam: Auth  # an admin, who holds no invoices:write
    otto: Auth  # a second owner

    @property
    def client(self) -> Any:
        return self.sso.world.client

    @property
    def orgs(self) -> Any:
        """The org repository: where roles change, the granter's roles read in the commit."""
        return self.sso.world.adapters.of(OrgsAdapters).orgs

    def person(self, name: str, email: str = "") -> tuple[str, Auth]:
        user_id = register(self.client, name, **({"email": email} if email else {}))["id"]
        return str(user_id), bearer(login(self.client, name))

    def id_of(self, auth: Auth) -> str:
        return str(self.client.get("/user", headers=auth).get_json()["id"])

    def add(self, name: str, *roles: str) -> str:
        """``name`` made a member with ``roles`` by the operators (the command line)."""
        members = self.sso.world.services.of(OrgServices).members
        return members.add_member(AddMember("corp", name, roles)).user_id

    def member(self, user_id: str) -> Membership | None:
        found: Membership | None = self.orgs.membership(self.sso.org_id, user_id)
        return found

    def roles(self, user_id: str) -> tuple[str, ...] | None:
        found = self.member(user_id)
        return found.roles if found is not None else None

    def pays(self, user_id: str) -> bool:
        """Whether the member holds invoices:write: what their tokens would carry."""
        held = self.member(user_id)
        return held is not None and PAY in held.permissions

    def set_roles(self, by: Auth, user_id: str, *roles: str) -> Any:
        return self.client.patch(
            f"/orgs/corp/members/{user_id}", json={"roles": list(roles)}, headers=by
        )

    def demote_olga(self, *to: str) -> None:
        """otto gives olga ``to`` (an admin's role unless named): the mapping she set gives
        with those rights then."""
        assert self.set_roles(self.otto, self.olga, *(to or ("admin",))).status_code == 200

    def refusals(self) -> list[tuple[str | None, str | None, str | None]]:
        """The grants refused and recorded: (member, via, whose rights)."""
        return [
            (e.user_id, e.via, e.actor_id)
            for e in self.sso.world.audit.events
            if e.event is Audit.ORG_MEMBER_ROLES_CHANGED and e.outcome == "failure"
        ]

    def scim_token(self, by: Auth) -> Auth:
        made = self.client.post("/orgs/corp/scim/tokens", json={"name": "Okta"}, headers=by)
        assert made.status_code == 201, made.get_json()
        return bearer(made.get_json()["token"])


def corp_world() -> Corp:
    sso = saml_sso(key_pair())
    client, owner = sso.world.client, sso.owner
    defined = client.put("/orgs/corp/roles/billing", json={"permissions": [PAY]}, headers=owner)
    assert defined.status_code == 201, defined.get_json()
    mapped = client.patch(
        f"/orgs/corp/connections/{sso.cid}", json={"mapping": MAPPING}, headers=owner
    )
    assert mapped.status_code == 200, mapped.get_json()
    olga = client.get("/user", headers=owner).get_json()["id"]
    world = Corp(sso, olga, {}, {})
    for name, role in (("adam", "admin"), ("otto", "owner")):
        world.person(name)
        world.add(name, role)
    world.adam = bearer(login(client, "adam"))
    world.otto = bearer(login(client, "otto"))
    return world
