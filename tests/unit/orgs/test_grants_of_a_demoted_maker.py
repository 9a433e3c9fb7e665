"""What a maker set up gives no more than the maker may give now (docs/reference/orgs.md,
"Roles and permissions"; docs/decisions/0640-a-role-is-given-with-its-whole-power.md).

"May give role R" compares the whole power of R with the giver's: firegate's own rights of
``owner``, ``admin`` and ``member`` (managing members, the org, its owners) as well as the
permissions a role's definition carries, for a built-in role, a template or the org's own.
An admin demoted to a plain member, or removed, no longer gives ``admin`` by hand, nor
through what they set up: their invitations, their SCIM token, the SSO mapping they set.
Each use case that gives roles (read from ``src/application``, as in
``test_grants_every_path.py``) is walked here with its maker demoted."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from application.orgs.members.templates import PutTemplate
from application.orgs.services import OrgServices
from domain.errors import PermissionDenied
from domain.orgs.roles import Granter, RoleDefinition, check_grant, check_granted
from tests.support.api import assert_problem, bearer, login
from tests.support.org_grants import NOW, Corp, corp_world, grant_calls
from tests.support.scim import GROUP, GROUPS, USERS, patch_body, user_body
from tests.support.sso_world import CORP, proven_account

pytestmark = pytest.mark.unit
ESCALATION = "permission_escalation"
NAMED = (Granter.person("p"), Granter.invitation("i"), Granter.scim("s"), Granter.sso("m"))


def test_a_plain_member_holds_none_of_an_admins_powers() -> None:
    """The built-in roles' rights count as their power: a member lacks an admin's, an admin
    an owner's, whatever permissions the roles' definitions carry."""
    definitions = {"auditor": RoleDefinition("", ("audit:read",))}
    for granter in NAMED:
        for held, given in (
            (("member",), ("admin",)),
            (("member", "auditor"), ("admin",)),
            (("admin",), ("owner",)),
            (("member",), ("auditor",)),
        ):
            with pytest.raises(PermissionDenied) as refused:
                check_granted(granter, held, given, definitions)
            assert refused.value.code == ESCALATION
        check_granted(granter, ("admin",), ("admin", "member"), definitions)
        check_granted(granter, ("admin", "auditor"), ("auditor",), definitions)
        check_granted(granter, ("owner",), ("owner", "admin", "auditor"), definitions)
    # No member's rights (the domain policy, a token or a mapping whose maker is unknown):
    # a plain member's, which give no admin.
    for nobody in (Granter.domain(), Granter.scim(""), Granter.sso(None)):
        with pytest.raises(PermissionDenied):
            check_granted(nobody, ("owner",), ("admin",), definitions)
    check_granted(Granter.operator(), None, ("admin", "owner"), definitions)


def test_the_refusal_names_the_power_lacking() -> None:
    with pytest.raises(PermissionDenied) as refused:
        check_grant(["member"], ["admin"], {})
    assert refused.value.code == ESCALATION
    assert "manage_members" in refused.value.detail


def test_an_admin_whose_definition_carries_permissions_gives_them_with_the_role() -> None:
    """An org that gives ``admin`` permissions: an admin holds them, so gives ``admin``."""
    definitions = {"admin": RoleDefinition("", ("invoices:write",))}
    check_grant(["admin"], ["admin"], definitions)
    with pytest.raises(PermissionDenied):
        check_grant(["member"], ["admin"], definitions)


@pytest.fixture
def corp() -> Corp:
    return corp_world()


def _adam(corp: Corp) -> str:
    return corp.id_of(corp.adam)


def _demote_adam(corp: Corp) -> None:
    assert corp.set_roles(corp.otto, _adam(corp), "member").status_code == 200


def by_hand(corp: Corp) -> None:
    """adam, an admin, makes bob an admin; demoted between the page's check and the commit,
    the commit (which reads his roles) refuses it; over HTTP, his request is refused."""
    adam = _adam(corp)
    corp.person("bob")
    bob = corp.add("bob", "member")
    assert corp.set_roles(corp.adam, bob, "admin").status_code == 200  # an admin may
    assert corp.set_roles(corp.adam, bob, "member").status_code == 200
    _demote_adam(corp)
    with pytest.raises(PermissionDenied) as refused:
        corp.orgs.change_roles(corp.sso.org_id, bob, ("admin",), NOW, granter=Granter.person(adam))
    assert refused.value.code == ESCALATION
    assert corp.roles(bob) == ("member",)
    assert_problem(corp.set_roles(corp.adam, bob, "admin"), 403, "org_permission_denied")


def by_the_operators(corp: Corp) -> None:
    """The command line holds every right: it gives admin whoever else was demoted."""
    _demote_adam(corp)
    corp.person("carl")
    assert corp.roles(corp.add("carl", "admin")) == ("admin",)


def by_an_invitation(corp: Corp) -> None:
    """Invitations adam made as an admin give admin no more once he is a member, nor once
    he has left; he can make none then."""
    client = corp.client
    for name in ("ivy", "jay"):
        body = {"email": f"{name}@example.com", "roles": ["admin"]}
        made = client.post("/orgs/corp/invitations", json=body, headers=corp.adam)
        assert made.status_code == 201, made.get_json()
    _demote_adam(corp)
    again = {"email": "kim@example.com", "roles": ["admin"]}
    refused = client.post("/orgs/corp/invitations", json=again, headers=corp.adam)
    assert_problem(refused, 403, "org_permission_denied")
    corp.sso.world.deliver()
    ivy_id, ivy = corp.person("ivy")
    token = corp.sso.world.token("ivy@example.com", "/orgs/join")
    accepted = client.post("/orgs/invitations/accept", json={"token": token}, headers=ivy)
    assert_problem(accepted, 403, ESCALATION)
    assert corp.member(ivy_id) is None
    # Removed from the org: his invitation gives nothing beyond a member's either.
    removed = client.delete(f"/orgs/corp/members/{_adam(corp)}", headers=corp.otto)
    assert removed.status_code == 204
    jay_id, jay = corp.person("jay")
    token = corp.sso.world.token("jay@example.com", "/orgs/join")
    accepted = client.post("/orgs/invitations/accept", json={"token": token}, headers=jay)
    assert_problem(accepted, 403, ESCALATION)
    assert corp.member(jay_id) is None


def by_the_domain(corp: Corp) -> None:
    """A join by the domain gives ``member`` alone, whoever set the policy."""
    suggest = {"domain_policy": "suggest"}
    assert corp.client.patch("/orgs/corp", json=suggest, headers=corp.otto).status_code == 200
    dee = proven_account(corp.sso.world, "dee", f"dee@{CORP}")
    joined = corp.client.post("/orgs/corp/join", headers=bearer(login(corp.client, "dee")))
    assert joined.status_code == 201, joined.get_json()
    assert corp.roles(dee.id) == ("member",)


def by_the_directorys_users(corp: Corp) -> None:
    """A demoted maker's token still provisions people, as members: nothing beyond."""
    token = corp.scim_token(corp.adam)
    _demote_adam(corp)
    eve = proven_account(corp.sso.world, "eve", f"eve@{CORP}")
    made = corp.client.post(USERS, json=user_body(f"eve@{CORP}"), headers=token)
    assert made.status_code == 201, made.get_data(as_text=True)
    assert corp.roles(eve.id) == ("member",)


def by_the_directorys_groups(corp: Corp) -> None:
    """adam's token gives admin through the directory's group "admin" while he is an admin;
    demoted, no longer: neither a new group nor a member added to the one stored."""
    client = corp.client
    token = corp.scim_token(corp.adam)
    people = {}
    for name in ("fay", "gus", "hil"):
        person = proven_account(corp.sso.world, name, f"{name}@{CORP}")
        made = client.post(USERS, json=user_body(f"{name}@{CORP}"), headers=token)
        assert made.status_code == 201, made.get_data(as_text=True)
        people[name] = person.id
    admins = {"schemas": [GROUP], "displayName": "admin", "members": [{"value": people["fay"]}]}
    group = client.post(GROUPS, json=admins, headers=token)
    assert group.status_code == 201, group.get_data(as_text=True)
    assert corp.roles(people["fay"]) == ("member", "admin")
    _demote_adam(corp)
    add = patch_body({"op": "add", "path": "members", "value": [{"value": people["gus"]}]})
    patched = client.patch(f"{GROUPS}/{group.get_json(force=True)['id']}", json=add, headers=token)
    assert patched.status_code == 403, patched.get_data(as_text=True)
    assert patched.get_json(force=True)["detail"].startswith(f"{ESCALATION}: ")
    assert corp.roles(people["gus"]) == ("member",)
    other = {"schemas": [GROUP], "displayName": "Admin", "members": [{"value": people["hil"]}]}
    refused = client.post(GROUPS, json=other, headers=token)
    assert refused.status_code in (403, 409), refused.get_data(as_text=True)
    assert corp.roles(people["hil"]) == ("member",)


def by_the_sso_mapping(corp: Corp) -> None:
    """olga, an owner, mapped IT to admin; made a plain member, her mapping gives admin to
    nobody new: a person arriving just in time joins as a member, the refusal recorded."""
    sso = corp.sso
    browser = sso.world.app.test_client
    assert sso.sign_in(browser(), f"gil@{CORP}", groups=("IT",)).status_code == 303
    gil = sso.user_of(f"gil@{CORP}").id
    assert corp.roles(gil) == ("admin",)
    corp.demote_olga("member")
    assert sso.sign_in(browser(), f"ida@{CORP}", groups=("IT",)).status_code == 303
    ida = sso.user_of(f"ida@{CORP}").id
    assert corp.roles(ida) == ("member",)
    assert corp.refusals() == [(ida, "sso", corp.olga)]


WALKS: dict[tuple[str, str], Callable[[Corp], None]] = {
    ("orgs/members/members.py", "OrgMembers.change_roles"): by_hand,
    ("orgs/members/members.py", "OrgMembers.add_member"): by_the_operators,
    ("orgs/joining/invitations.py", "_join"): by_an_invitation,
    ("orgs/joining/joining.py", "_add"): by_the_domain,
    ("scim/users.py", "DirectoryUsers._join"): by_the_directorys_users,
    ("scim/groups.py", "DirectoryGroups._apply_roles"): by_the_directorys_groups,
    ("sso/arrival.py", "_give"): by_the_sso_mapping,
}


def test_every_caller_is_walked() -> None:
    assert set(grant_calls()) == set(WALKS), "a new caller of add_member/change_roles: walk it"


@pytest.mark.parametrize("where", sorted(WALKS), ids=":".join)
def test_a_demoted_makers_grants_give_no_admin(corp: Corp, where: tuple[str, str]) -> None:
    WALKS[where](corp)


def test_a_template_role_is_given_with_its_power(corp: Corp) -> None:
    """A role template counts as any role: adam, holding ``auditor`` through a template,
    invites with it; once it is taken from him, his invitation gives it no more."""
    templates = corp.sso.world.services.of(OrgServices).templates
    templates.put(PutTemplate(None, "auditor", "", ["audit:read"]))
    adam = _adam(corp)
    assert corp.set_roles(corp.otto, adam, "admin", "auditor").status_code == 200
    body = {"email": "lee@example.com", "roles": ["auditor"]}
    made = corp.client.post("/orgs/corp/invitations", json=body, headers=corp.adam)
    assert made.status_code == 201, made.get_json()
    corp.sso.world.deliver()
    assert corp.set_roles(corp.otto, adam, "admin").status_code == 200
    lee_id, lee = corp.person("lee")
    token = corp.sso.world.token("lee@example.com", "/orgs/join")
    accepted = corp.client.post("/orgs/invitations/accept", json={"token": token}, headers=lee)
    assert_problem(accepted, 403, ESCALATION)
    assert corp.member(lee_id) is None
