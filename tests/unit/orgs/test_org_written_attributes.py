"""An org writes profile attributes only on an account it manages (its SCIM or SSO made it,
or a member proven on one of its verified domains), never on the writer's own
(docs/reference/orgs.md, "Members' attributes"; docs/decisions/0510-org-written-attributes.md):
every writer of attributes as an org (a call of ``with_attributes`` as ``org_admin`` or
``scim`` in ``src/application``, found by reading the source) is walked over HTTP on the
fakes. A new writer without a walk here fails ``test_every_writer_is_walked``.

The org is "corp" (``corp.example`` verified, an active SAML connection whose mapping olga
set); ``clearance`` is ``org_admin``'s to write, ``department`` the directory's."""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import application
from application.orgs.members.members import AddMember
from application.orgs.services import OrgServices
from application.scim.services import ScimServices
from application.scim.tokens import CreateScimToken
from application.signin.authentication import Actor
from application.sso.connections import ConnectionRequest
from application.sso.services import SsoServices
from bootstrap.accounts import AccountsAdapters
from domain.scim.enterprise import ENTERPRISE
from tests.support.api import assert_problem, bearer, login, register
from tests.support.saml_idp import key_pair
from tests.support.scim import USER, USERS, user_body
from tests.support.sso_world import CORP, SamlSso, proven_account, saml_sso

pytestmark = pytest.mark.unit
Auth = dict[str, str]
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "clearance": {
            "type": "string",
            "x-read": ["org_admin"],
            "x-write": ["org_admin"],
            "x-scope": "profile",
        },
        "department": {
            "type": "string",
            "x-read": ["scim"],
            "x-write": ["scim"],
            "x-scope": "profile",
        },
    },
}
WRITERS = ("org_admin", "scim")  # how an org writes: ORG_ADMIN, SCIM in the source
MAPPING = {"email": "mail", "groups": "groups", "attributes": {"clearance": "clearance"}}


def attribute_writes() -> set[tuple[str, str]]:
    """Each function of ``src/application`` that writes attributes as an org: a call of
    ``with_attributes`` whose writer is ``ORG_ADMIN`` or ``SCIM``, by (module, name)."""
    root = Path(application.__file__).parent
    found: set[tuple[str, str]] = set()

    def visit(node: ast.AST, module: str, names: tuple[str, ...]) -> None:
        for child in ast.iter_child_nodes(node):
            inner = names
            if isinstance(child, ast.ClassDef | ast.FunctionDef):
                inner = (*names, child.name)
            if (
                isinstance(child, ast.Call)
                and isinstance(child.func, ast.Attribute)
                and child.func.attr == "with_attributes"
                and any(isinstance(a, ast.Name) and a.id.lower() in WRITERS for a in child.args)
            ):
                found.add((module, ".".join(names)))
            visit(child, module, inner)

    for path in sorted(root.rglob("*.py")):
        visit(ast.parse(path.read_text()), path.relative_to(root).as_posix(), ())
    return found


@dataclass
class Corp:
    sso: SamlSso
    adam: Auth  # an admin of corp, proven on corp.example

    @property
    def client(self) -> Any:
        return self.sso.world.client

    def attributes(self, user_id: str) -> dict[str, Any]:
        found = self.sso.world.adapters.of(AccountsAdapters).users.get(user_id)
        assert found is not None
        return dict(found.attributes)

    def join(self, name: str, role: str = "member") -> None:
        self.sso.world.services.of(OrgServices).members.add_member(AddMember("corp", name, (role,)))

    def patch(self, org: str, user_id: str, by: Auth, value: str) -> Any:
        body = {"attributes": {"clearance": value}}
        return self.client.patch(f"/orgs/{org}/members/{user_id}/attributes", json=body, headers=by)

    def scim_token(self, by: Auth) -> Auth:
        made = self.client.post("/orgs/corp/scim/tokens", json={"name": "Okta"}, headers=by)
        assert made.status_code == 201, made.get_json()
        return bearer(made.get_json()["token"])

    def make_admin(self, user_id: str) -> None:
        url, body = f"/orgs/corp/members/{user_id}", {"roles": ["admin"]}
        assert self.client.patch(url, json=body, headers=self.sso.owner).status_code == 200

    def actor(self, user_id: str) -> Actor:
        """A session of ``user_id``, as the API's authentication hands it to a use case."""
        now = self.sso.world.clock.now()
        return Actor(user_id, user_id, "user", "s1", now + timedelta(hours=1))

    def signed_in(self, email: str, **values: str) -> str:
        """Through the connection, the IdP giving ``values``: the account's id."""
        more = {name: [value] for name, value in values.items()}
        browser = self.sso.world.app.test_client()
        arrived = self.sso.sign_in_with(browser, email, more)
        assert arrived.status_code == 303, arrived.get_data(as_text=True)
        return str(self.sso.user_of(email).id)


@pytest.fixture
def corp() -> Corp:
    sso = saml_sso(key_pair())
    sso.world.adapters.of(AccountsAdapters).profile_schemas.put(SCHEMA)
    url = f"/orgs/corp/connections/{sso.cid}"
    mapped = sso.world.client.patch(url, json={"mapping": MAPPING}, headers=sso.owner)
    assert mapped.status_code == 200, mapped.get_json()
    proven_account(sso.world, "adam", f"adam@{CORP}")
    world = Corp(sso, bearer(login(sso.world.client, "adam")))
    world.join("adam", "admin")
    return world


def by_the_orgs_admins(corp: Corp) -> None:
    client = corp.client
    # Anyone makes an org, and is refused writing their own account through it.
    mal = register(client, "mal")["id"]
    mals = bearer(login(client, "mal"))
    assert client.post("/orgs", json={"slug": "mals", "name": "Mal"}, headers=mals).status_code
    assert_problem(corp.patch("mals", mal, mals, "top"), 403, "account_not_managed")
    # corp's admin: not on a member off its domains, nor on their own account
    bob = register(client, "bob")["id"]
    corp.join("bob")
    adam = client.get("/user", headers=corp.adam).get_json()["id"]
    for user_id in (bob, adam):
        assert_problem(corp.patch("corp", user_id, corp.adam, "top"), 403, "account_not_managed")
        assert corp.attributes(user_id) == {}
    # ... but on a member proven on corp.example, and on an account its SSO made
    dee = proven_account(corp.sso.world, "dee", f"dee@{CORP}").id
    corp.join("dee")
    ada = corp.signed_in(f"ada@{CORP}")
    for user_id in (dee, ada):
        assert corp.patch("corp", user_id, corp.adam, "top").status_code == 200
        assert corp.attributes(user_id) == {"clearance": "top"}
    assert_problem(corp.patch("mals", mal, mals, "top"), 403, "account_not_managed")
    assert corp.attributes(mal) == {}


def by_the_directory_making_an_account(corp: Corp) -> None:
    token = corp.scim_token(corp.adam)
    body = user_body("zed@elsewhere.example", schemas=[USER, ENTERPRISE])
    sent = {**body, ENTERPRISE: {"department": "Top"}}
    made = corp.client.post(USERS, json=sent, headers=token)
    assert made.status_code == 201, made.get_data(as_text=True)
    # an address off its domains: the org does not manage the account it made
    assert corp.attributes(made.get_json(force=True)["id"]) == {}
    on_its_domain = {**sent, "userName": f"yan@{CORP}", "emails": [{"value": f"yan@{CORP}"}]}
    managed = corp.client.post(USERS, json=on_its_domain, headers=token)
    assert managed.status_code == 201, managed.get_data(as_text=True)
    assert corp.attributes(managed.get_json(force=True)["id"]) == {"department": "Top"}


def by_the_directory_changing_an_account(corp: Corp) -> None:
    """An account the org manages takes the directory's attributes, but that of the token's
    maker from their own token."""
    ada = corp.signed_in(f"ada@{CORP}")  # made by the org's SSO: managed
    corp.make_admin(ada)
    made = corp.sso.world.services.of(ScimServices).tokens.create(
        CreateScimToken(corp.actor(ada), "corp", "Ada's")
    )
    adas, olgas = bearer(made.text), corp.scim_token(corp.sso.owner)
    body = user_body(f"ada@{CORP}", schemas=[USER, ENTERPRISE])
    listed = corp.client.post(USERS, json=body, headers=olgas)
    assert listed.status_code == 201, listed.get_data(as_text=True)
    url, sent = f"{USERS}/{ada}", {**body, ENTERPRISE: {"department": "Top"}}
    assert corp.client.put(url, json=sent, headers=adas).status_code == 200
    assert corp.attributes(ada) == {}
    assert corp.client.put(url, json=sent, headers=olgas).status_code == 200
    assert corp.attributes(ada) == {"department": "Top"}


def by_the_connections_mapping(corp: Corp) -> None:
    """An account the org manages takes the mapped attributes at each sign-in, but that of
    whoever set the mapping."""
    ada = corp.signed_in(f"ada@{CORP}", clearance="top")  # made just now: managed
    assert corp.attributes(ada) == {"clearance": "top"}
    corp.make_admin(ada)
    request = ConnectionRequest(corp.actor(ada), "corp", corp.sso.cid, {"mapping": MAPPING})
    corp.sso.world.services.of(SsoServices).connections.update(request)  # the mapping's setter now
    corp.signed_in(f"ada@{CORP}", clearance="higher")  # signed in; her own: not written
    assert corp.attributes(ada) == {"clearance": "top"}
    bea = corp.signed_in(f"bea@{CORP}", clearance="low")
    assert corp.attributes(bea) == {"clearance": "low"}


WALKS: dict[tuple[str, str], Callable[[Corp], None]] = {
    ("orgs/members/members.py", "MemberAttributes.change"): by_the_orgs_admins,
    ("scim/users.py", "DirectoryUsers._make_account"): by_the_directory_making_an_account,
    ("scim/users.py", "DirectoryUsers._write_attributes"): by_the_directory_changing_an_account,
    ("sso/arrival.py", "SsoArrivals._attributes_from_idp"): by_the_connections_mapping,
}


def test_every_writer_is_walked() -> None:
    assert attribute_writes() == set(WALKS), "a new writer of an org's attributes: walk it"


@pytest.mark.parametrize("where", sorted(WALKS), ids=":".join)
def test_an_org_writes_only_on_accounts_it_manages(corp: Corp, where: tuple[str, str]) -> None:
    WALKS[where](corp)
