"""Roles change in one place, the granter always named (docs/reference/orgs.md, "Roles and
permissions"; docs/decisions/0508-roles-change-in-one-place.md): every use case that gives a
member roles, found by reading ``src/application`` for the calls of ``OrgRepository.add_member``
and ``change_roles``, names its granter, and each path that can give a role beyond ``member``
is refused one holding a permission its granter lacks, over HTTP on the fakes. A new caller
without a walk here fails ``test_every_caller_is_walked``.

The org is "corp" (``corp.example`` verified, an active SAML connection whose mapping olga
set), whose role ``billing`` holds ``invoices:write``; adam is an admin without it, otto a
second owner who demotes olga or adam where a walk needs it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bootstrap.sso import SsoAdapters
from tests.support.api import assert_problem, bearer, login
from tests.support.org_grants import MAPPING, PAY, Corp, corp_world, grant_calls
from tests.support.scim import GROUP, GROUPS, USERS, patch_body, user_body
from tests.support.sso_world import CORP, proven_account

pytestmark = pytest.mark.unit


@pytest.fixture
def corp() -> Corp:
    return corp_world()


def by_hand(corp: Corp) -> None:
    corp.person("bob")
    bob = corp.add("bob", "member")
    assert_problem(corp.set_roles(corp.adam, bob, "billing"), 403, "permission_escalation")
    assert not corp.pays(bob)
    assert corp.set_roles(corp.otto, bob, "billing").status_code == 200  # an owner may
    assert corp.pays(bob)


def by_the_operators(corp: Corp) -> None:
    """The command line holds every right: its grant is never an escalation."""
    corp.person("carl")
    carl = corp.add("carl", "billing")
    assert corp.pays(carl)


def by_an_invitation_whose_inviter_was_demoted(corp: Corp) -> None:
    client = corp.client
    payer = client.put("/orgs/corp/roles/payer", json={"permissions": [PAY]}, headers=corp.otto)
    assert payer.status_code == 201
    adam = client.get("/user", headers=corp.adam).get_json()["id"]
    assert corp.set_roles(corp.otto, adam, "admin", "payer").status_code == 200
    body = {"email": "ivy@example.com", "roles": ["billing"]}
    invited = client.post("/orgs/corp/invitations", json=body, headers=corp.adam)
    assert invited.status_code == 201, invited.get_json()  # adam holds invoices:write then
    assert corp.set_roles(corp.otto, adam, "admin").status_code == 200
    corp.sso.world.deliver()
    ivy_id, ivy = corp.person("ivy")
    token = corp.sso.world.token("ivy@example.com", "/orgs/join")
    accepted = client.post("/orgs/invitations/accept", json={"token": token}, headers=ivy)
    assert_problem(accepted, 403, "permission_escalation")
    assert corp.member(ivy_id) is None


def by_the_domain(corp: Corp) -> None:
    """A join by the domain gives ``member`` alone: there is nothing beyond it to refuse."""
    suggest = {"domain_policy": "suggest"}
    assert corp.client.patch("/orgs/corp", json=suggest, headers=corp.otto).status_code == 200
    dee = proven_account(corp.sso.world, "dee", f"dee@{CORP}")
    joined = corp.client.post("/orgs/corp/join", headers=bearer(login(corp.client, "dee")))
    assert joined.status_code == 201, joined.get_json()
    found = corp.member(dee.id)
    assert found is not None and found.roles == ("member",) and not corp.pays(dee.id)


def by_the_directory_taking_someone_back(corp: Corp) -> None:
    """A user the directory makes active again rejoins as ``member`` alone."""
    token = corp.scim_token(corp.adam)
    eve = proven_account(corp.sso.world, "eve", f"eve@{CORP}")
    made = corp.client.post(USERS, json=user_body(f"eve@{CORP}"), headers=token)
    assert made.status_code == 201, made.get_data(as_text=True)
    url = f"{USERS}/{made.get_json(force=True)['id']}"
    for active in (False, True):
        body = patch_body({"op": "replace", "path": "active", "value": active})
        assert corp.client.patch(url, json=body, headers=token).status_code == 200
    found = corp.member(eve.id)
    assert found is not None and found.roles == ("member",) and not corp.pays(eve.id)


def by_a_scim_group(corp: Corp) -> None:
    client = corp.client
    fay = proven_account(corp.sso.world, "fay", f"fay@{CORP}")
    admins_token = corp.scim_token(corp.adam)
    made = client.post(USERS, json=user_body(f"fay@{CORP}"), headers=admins_token)
    assert made.status_code == 201
    billing = {"schemas": [GROUP], "displayName": "billing", "members": [{"value": fay.id}]}
    refused = client.post(GROUPS, json=billing, headers=admins_token)
    assert refused.status_code == 403, refused.get_data(as_text=True)
    assert refused.get_json(force=True)["detail"].startswith("permission_escalation: ")
    listed = client.get(GROUPS, headers=admins_token).get_json(force=True)
    assert listed["totalResults"] == 0  # a refused SCIM write writes nothing
    assert not corp.pays(fay.id)
    # An owner's token gives it, until its maker is no longer one.
    owners_token = corp.scim_token(corp.sso.owner)
    empty = {**billing, "members": []}
    group = client.post(GROUPS, json=empty, headers=owners_token).get_json(force=True)
    corp.demote_olga()
    add = patch_body({"op": "add", "path": "members", "value": [{"value": fay.id}]})
    patched = client.patch(f"{GROUPS}/{group['id']}", json=add, headers=owners_token)
    assert patched.status_code == 403, patched.get_data(as_text=True)
    assert not corp.pays(fay.id)


def by_the_sso_mapping(corp: Corp) -> None:
    sso = corp.sso
    browser = sso.world.app.test_client
    assert sso.sign_in(browser(), f"gil@{CORP}", groups=("Billing",)).status_code == 303
    gil = sso.user_of(f"gil@{CORP}").id
    assert corp.pays(gil)  # olga, an owner, set the mapping: it gives billing
    assert sso.sign_in(browser(), f"hal@{CORP}", groups=("IT",)).status_code == 303
    hal = sso.user_of(f"hal@{CORP}").id
    corp.demote_olga()

    # Just in time: signed in, a member with no role from the mapping.
    assert sso.sign_in(browser(), f"ida@{CORP}", groups=("Billing",)).status_code == 303
    ida = sso.user_of(f"ida@{CORP}").id
    found = corp.member(ida)
    assert found is not None and found.roles == ("member",) and not corp.pays(ida)
    # At a later sign-in: signed in with the roles they had.
    assert sso.sign_in(browser(), f"hal@{CORP}", groups=("Billing",)).status_code == 303
    held = corp.member(hal)
    assert held is not None and held.sso_roles == ("admin",) and not corp.pays(hal)
    assert corp.refusals() == [(ida, "sso", corp.olga), (hal, "sso", corp.olga)]


WALKS: dict[tuple[str, str], Callable[[Corp], None]] = {
    ("orgs/members/members.py", "OrgMembers.change_roles"): by_hand,
    ("orgs/members/members.py", "OrgMembers.add_member"): by_the_operators,
    ("orgs/joining/invitations.py", "_join"): by_an_invitation_whose_inviter_was_demoted,
    ("orgs/joining/joining.py", "_add"): by_the_domain,
    ("scim/users.py", "DirectoryUsers._join"): by_the_directory_taking_someone_back,
    ("scim/groups.py", "DirectoryGroups._apply_roles"): by_a_scim_group,
    ("sso/arrival.py", "_give"): by_the_sso_mapping,
}


def test_every_caller_is_walked() -> None:
    calls = grant_calls()
    assert set(calls) == set(WALKS), "a new caller of add_member/change_roles: walk it here"
    for where, found in calls.items():
        for call in found:
            keywords = {k.arg for k in call.keywords}
            assert "granter" in keywords, f"{where} gives roles without naming the granter"


@pytest.mark.parametrize("where", sorted(WALKS), ids=":".join)
def test_each_path_gives_no_role_its_granter_may_not(corp: Corp, where: tuple[str, str]) -> None:
    WALKS[where](corp)


def test_a_mapping_edit_holds_no_role_its_editor_may_not_give(corp: Corp) -> None:
    client, url = corp.client, f"/orgs/corp/connections/{corp.sso.cid}"
    before = client.get(url, headers=corp.adam).get_json()["mapping"]
    refused = client.patch(url, json={"mapping": MAPPING}, headers=corp.adam)
    assert_problem(refused, 403, "permission_escalation")
    assert client.get(url, headers=corp.adam).get_json()["mapping"] == before
    its_own = {**MAPPING, "roles": {"IT": ["admin"]}}
    assert client.patch(url, json={"mapping": its_own}, headers=corp.adam).status_code == 200
    stored = corp.sso.world.adapters.of(SsoAdapters).connections.get(corp.sso.cid)
    assert (
        stored is not None
        and stored.mapped_by == corp.client.get("/user", headers=corp.adam).get_json()["id"]
    )
