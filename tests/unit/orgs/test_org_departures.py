"""An account's org memberships when it is deleted, on the fakes: the last owner of an org
with other members is refused (409 ``last_owner``), every other membership ends, an org the
account is alone in is deleted with it, and a membership made in the instant before the
tombstone ends with the purge (docs/reference/orgs.md, "When an account is deleted")."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from application.accounts.admin import RemoveUser
from application.accounts.services import AccountServices
from application.orgs.departures import OrgDepartures
from application.orgs.members.members import AddMember
from application.orgs.orgs import OrgPurge
from application.orgs.services import OrgServices
from application.ports import Audit
from application.signin.authentication import Actor
from bootstrap.accounts import AccountsAdapters
from bootstrap.orgs import OrgsAdapters
from domain.accounts.users import Role
from domain.errors import Conflict
from domain.orgs.orgs import Membership, Org, Slug
from domain.orgs.roles import Granter
from tests.fakes.events import RecordingAuditLog
from tests.fakes.kernel import FakeClock, FakeJobQueue
from tests.fakes.orgs import FakeOrgRepository
from tests.support.account_pages import html_of, send
from tests.support.api import assert_problem, bearer, login, register
from tests.support.app import World
from tests.support.pages import PASSWORD, sign_up

pytestmark = pytest.mark.unit
Auth = dict[str, str]


class Acme:
    """World with olga, the owner of "acme" (and its other members, as named)."""

    def __init__(self, **members: str) -> None:
        self.world = World()
        self.ids: dict[str, str] = {}
        self.olga = self.person("olga")
        made = self.world.client.post(
            "/orgs", json={"slug": "acme", "name": "Acme"}, headers=self.olga
        )
        self.org_id: str = made.get_json()["id"]
        for name, role in members.items():
            self.person(name)
            self.world.services.of(OrgServices).members.add_member(AddMember("acme", name, (role,)))

    def person(self, name: str) -> Auth:
        self.ids[name] = register(self.world.client, name)["id"]
        return bearer(login(self.world.client, name))

    @property
    def orgs(self) -> FakeOrgRepository:
        found = self.world.adapters.of(OrgsAdapters).orgs
        assert isinstance(found, FakeOrgRepository)
        return found

    def members(self) -> list[str]:
        names = {user_id: name for name, user_id in self.ids.items()}
        return sorted(names[m] for m in self.orgs.members.get(self.org_id, {}))

    def org(self) -> Org | None:
        return self.orgs.get(self.org_id)

    def events(self, event: Audit) -> list[tuple[str | None, str | None]]:
        return [(e.user_id, e.reason) for e in self.world.audit.events if e.event is event]


def test_the_last_owner_of_an_org_with_members_keeps_their_account() -> None:
    acme = Acme(mia="member")
    refused = acme.world.client.delete("/user", headers=acme.olga)
    body = assert_problem(refused, 409, "last_owner")
    assert "Acme (acme)" in body["detail"]
    assert acme.world.client.get("/user", headers=acme.olga).status_code == 200
    assert acme.members() == ["mia", "olga"]
    assert acme.events(Audit.ORG_MEMBER_REMOVED) == []


def test_an_admin_deleting_the_last_owner_is_told_so_too() -> None:
    acme = Acme(mia="member")
    acme.world.adapters.of(AccountsAdapters).users.update(
        acme.ids["mia"], lambda user: user.with_role(Role.ADMIN, user.updated_at)
    )
    mia = bearer(login(acme.world.client, "mia"))
    refused = acme.world.client.delete(f"/users/{acme.ids['olga']}", headers=mia)
    assert_problem(refused, 409, "last_owner")
    admin = Actor(acme.ids["mia"], "mia", "admin", "s1", datetime.max)
    with pytest.raises(Conflict):
        acme.world.services.of(AccountServices).admin.remove_user(
            RemoveUser(admin, acme.ids["olga"])
        )
    assert acme.members() == ["mia", "olga"]


def test_an_owner_among_owners_and_a_member_leave_with_their_accounts() -> None:
    acme = Acme(otto="owner", mia="member")
    mia = bearer(login(acme.world.client, "mia"))
    assert acme.world.client.delete("/user", headers=mia).status_code == 204
    assert acme.world.client.delete("/user", headers=acme.olga).status_code == 204
    assert acme.members() == ["otto"]
    org = acme.org()
    assert org is not None and org.owners == 1
    assert acme.events(Audit.ORG_MEMBER_REMOVED) == [
        (acme.ids["mia"], "account_deleted"),
        (acme.ids["olga"], "account_deleted"),
    ]


def test_an_org_the_account_is_alone_in_is_deleted_with_it() -> None:
    acme = Acme()
    assert acme.world.client.delete("/user", headers=acme.olga).status_code == 204
    assert acme.org() is None
    assert acme.events(Audit.ORG_DELETED) == [(acme.ids["olga"], "account_deleted")]
    acme.world.deliver()  # the purge
    assert acme.org_id not in acme.orgs.orgs and acme.org_id not in acme.orgs.members
    # Its slug is free.
    ada = acme.person("ada")
    again = acme.world.client.post("/orgs", json={"slug": "acme", "name": "A"}, headers=ada)
    assert again.status_code == 201


class JoiningOrgs(FakeOrgRepository):
    """Someone joins the org between the deletion's count of its members and its commit."""

    def mark_deleted(self, org_id: str, *args: Any, **kwargs: Any) -> Org:
        if "intruder" not in self.members.get(org_id, {}):
            self.add_member(
                org_id, "intruder", ("member",), datetime.max, granter=Granter.operator()
            )
        return super().mark_deleted(org_id, *args, **kwargs)


def test_a_member_joining_as_the_org_would_go_with_its_only_member_keeps_it() -> None:
    orgs = JoiningOrgs()
    departures = OrgDepartures(
        orgs, FakeClock(), RecordingAuditLog(), FakeJobQueue(), OrgPurge(orgs, ())
    )
    org = _org_of(orgs, "olga")
    with pytest.raises(Conflict) as refused:
        departures.depart("olga", None)
    assert refused.value.code == "last_owner"
    assert orgs.get(org.id) is not None
    assert sorted(orgs.members[org.id]) == ["intruder", "olga"]


def test_the_purge_ends_a_membership_made_just_before_the_tombstone() -> None:
    orgs = FakeOrgRepository()
    departures = OrgDepartures(
        orgs, FakeClock(), RecordingAuditLog(), FakeJobQueue(), OrgPurge(orgs, ())
    )
    alone = _org_of(orgs, "olga")
    shared = _org_of(orgs, "otto", slug="beta")
    orgs.add_member(shared.id, "olga", ("member",), datetime.max, granter=Granter.operator())
    owned = _org_of(orgs, "olga", slug="gamma")
    orgs.add_member(owned.id, "mia", ("member",), datetime.max, granter=Granter.operator())
    departures.delete_owned_by("olga", 200)
    assert orgs.get(alone.id) is None  # deleted with her
    assert sorted(orgs.members[shared.id]) == ["otto"]
    # The last owner of an org with members stays, for an operator to hand it over.
    assert sorted(orgs.members[owned.id]) == ["mia", "olga"]


def _org_of(orgs: FakeOrgRepository, owner: str, slug: str = "acme") -> Org:
    now = FakeClock().now()
    org = Org.create(Slug(slug), slug, now)
    orgs.add(org, Membership(org.id, owner, ("owner",), 1, now, now))
    return org


@pytest.mark.parametrize(
    ("locale", "words"),
    [
        ("en", "You are the last owner of the organization Acme (acme), which has other members"),
        ("es", "Eres el último propietario de la organización Acme (acme), que tiene otros"),
    ],
)
def test_the_account_page_says_why_in_the_readers_language(locale: str, words: str) -> None:
    world = World()
    sign_up(world)  # alice, signed in on the pages
    alice = bearer(login(world.client, "alice", PASSWORD))
    world.client.post("/orgs", json={"slug": "acme", "name": "Acme"}, headers=alice)
    register(world.client, "mia")
    world.services.of(OrgServices).members.add_member(AddMember("acme", "mia", ("member",)))
    if locale != "en":
        assert send(world, "/account/language", {"locale": locale}).status_code == 303
    answer = send(world, "/account/delete", {"password": PASSWORD})
    assert answer.status_code == 409
    assert words in html_of(answer)
    assert world.client.get("/user", headers=alice).status_code == 200
