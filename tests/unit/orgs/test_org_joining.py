"""Joining an org by its verified domain on the fakes: the suggestions, joining one, and
auto_join when an address is proven (docs/reference/orgs.md, "Joining by domain")."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import pytest

from application.orgs.joining.joining import AutoJoin, JoinOrg, OrgJoining, SuggestedOrgs
from application.ports import Audit
from application.signin.authentication import Actor
from domain.accounts.credentials import Email, Username
from domain.accounts.signups import ALLOWED
from domain.accounts.users import User
from domain.errors import DomainError, NotFound, Unavailable
from domain.ids import new_id
from domain.orgs.domains import OrgDomain
from domain.orgs.orgs import DomainPolicy, Membership, Org, Slug
from tests.fakes.accounts import FakeUserRepository
from tests.fakes.events import RecordingAuditLog
from tests.fakes.kernel import FakeClock
from tests.fakes.org_domains import FakeOrgDomains
from tests.fakes.orgs import FakeOrgRepository
from tests.support.races import RACERS

pytestmark = pytest.mark.unit


class Acme:
    """An org "acme" that verified example.com, its owner, and the joining use cases."""

    def __init__(self, policy: DomainPolicy = DomainPolicy.SUGGEST) -> None:
        self.clock = FakeClock()
        self.users = FakeUserRepository()
        self.orgs = FakeOrgRepository()
        self.domains = FakeOrgDomains()
        self.audit = RecordingAuditLog()
        now = self.clock.now()
        self.org = replace(Org.create(Slug("acme"), "Acme", now), domain_policy=policy)
        self.owner = self.person("olga", "example.com")
        self.orgs.add(self.org, Membership(self.org.id, self.owner.id, ("owner",), 1, now, now))
        self.verify(self.org.id, "example.com")

    @property
    def joining(self) -> OrgJoining:
        """The use cases on the fakes as they are now (a test may swap one)."""
        return OrgJoining(
            orgs=self.orgs,
            domains=self.domains,
            users=self.users,
            clock=self.clock,
            audit=self.audit,
        )

    @property
    def auto_join(self) -> AutoJoin:
        return AutoJoin(orgs=self.orgs, domains=self.domains, clock=self.clock, audit=self.audit)

    def verify(self, org_id: str, name: str) -> None:
        domain = OrgDomain.create(org_id, name, "olga", self.clock.now())
        self.domains.add(domain)
        self.domains.verify(domain.verified_now(self.clock.now()))

    def person(self, login: str, domain: str = "example.com", *, proven: bool = True) -> User:
        now = self.clock.now()
        user = User.register(
            admitted=ALLOWED,
            id=new_id(),
            username=Username.chosen(login),
            email=Email(f"{login}@{domain}"),
            password_hash="x",
            now=now,
        )
        user = user.with_email_verified(now) if proven else user
        self.users.add(user)
        return user

    def policy(self, policy: DomainPolicy) -> None:
        self.orgs.update(self.org.id, lambda org: replace(org, domain_policy=policy))

    def actor(self, user: User) -> Actor:
        return Actor(user.id, user.shown_name, "user", "s1", self.clock.now())

    def suggested(self, user: User) -> list[str]:
        found = self.joining.suggested(SuggestedOrgs(self.actor(user)))
        return [org.slug.value for org in found]

    def join(self, user: User, org: str = "acme") -> Membership:
        return self.joining.join(JoinOrg(self.actor(user), org)).membership

    def proven(self, user: User) -> Membership | None:
        return self.auto_join.join_by_domain(user)

    def added(self) -> list[tuple[str | None, str | None, str | None]]:
        return [
            (e.user_id, e.org_id, e.reason)
            for e in self.audit.events
            if e.event is Audit.ORG_MEMBER_ADDED
        ]


# Suggestions


@pytest.mark.parametrize("policy", [DomainPolicy.SUGGEST, DomainPolicy.AUTO_JOIN])
def test_a_person_proven_on_the_domain_is_offered_the_org(policy: DomainPolicy) -> None:
    acme = Acme(policy)
    assert acme.suggested(acme.person("ivy")) == ["acme"]
    assert acme.suggested(acme.person("ida", "EXAMPLE.com")) == ["acme"]  # any case


def test_no_offer_without_the_policy_a_proof_or_the_domain() -> None:
    acme = Acme(DomainPolicy.NONE)
    assert acme.suggested(acme.person("ivy")) == []
    acme.policy(DomainPolicy.SUGGEST)
    assert acme.suggested(acme.person("uma", proven=False)) == []
    assert acme.suggested(acme.person("eve", "eng.example.com")) == []  # not its parent's
    assert acme.suggested(acme.person("oli", "other.example")) == []
    assert acme.suggested(acme.owner) == []  # a member already
    pending = OrgDomain.create(acme.org.id, "pending.example", "olga", acme.clock.now())
    acme.domains.add(pending)
    assert acme.suggested(acme.person("pam", "pending.example")) == []


def test_a_deleted_org_is_offered_to_no_one() -> None:
    acme = Acme()
    acme.orgs.mark_deleted(acme.org.id, acme.clock.now())
    assert acme.suggested(acme.person("ivy")) == []


# Joining


def test_a_person_offered_the_org_joins_it_as_a_member() -> None:
    acme = Acme()
    ivy = acme.person("ivy")
    joined = acme.join(ivy)
    assert (joined.org_id, joined.user_id, joined.roles) == (acme.org.id, ivy.id, ("member",))
    assert acme.orgs.membership(acme.org.id, ivy.id) == joined
    assert acme.added() == [(ivy.id, acme.org.id, "domain")]
    assert acme.suggested(ivy) == []
    with pytest.raises(DomainError) as again:
        acme.join(ivy, acme.org.id)
    assert again.value.code == "already_member"


@pytest.mark.parametrize(
    ("login", "domain", "proven", "policy"),
    [
        ("ivy", "example.com", True, DomainPolicy.NONE),
        ("uma", "example.com", False, DomainPolicy.SUGGEST),
        ("oli", "other.example", True, DomainPolicy.SUGGEST),
        ("eve", "eng.example.com", True, DomainPolicy.AUTO_JOIN),
    ],
)
def test_anyone_not_offered_the_org_learns_nothing_of_it(
    login: str, domain: str, proven: bool, policy: DomainPolicy
) -> None:
    acme = Acme(policy)
    person = acme.person(login, domain, proven=proven)
    for org in ("acme", acme.org.id, "nope"):
        with pytest.raises(NotFound) as refused:
            acme.join(person, org)
        assert refused.value.code == "org_not_found"
    assert acme.orgs.membership(acme.org.id, person.id) is None
    assert acme.added() == []


def test_an_org_other_than_the_domains_is_not_joined_by_it() -> None:
    acme = Acme()
    now = acme.clock.now()
    other = replace(Org.create(Slug("other"), "Other", now), domain_policy=DomainPolicy.SUGGEST)
    acme.orgs.add(other, Membership(other.id, acme.owner.id, ("owner",), 1, now, now))
    with pytest.raises(NotFound):
        acme.join(acme.person("ivy"), "other")


def test_a_member_joining_an_org_closed_to_its_domain_is_told_they_are_one() -> None:
    acme = Acme(DomainPolicy.NONE)
    with pytest.raises(DomainError) as refused:
        acme.join(acme.owner)
    assert refused.value.code == "already_member"


class ClosingOrgs(FakeOrgRepository):
    """The org's policy turned to none between the join's reads and its commit."""

    def add_member(self, org_id: str, *args: Any, **kwargs: Any) -> Membership:
        self.update(org_id, lambda org: replace(org, domain_policy=DomainPolicy.NONE))
        return super().add_member(org_id, *args, **kwargs)


def test_the_policy_is_checked_again_in_the_joins_commit() -> None:
    acme = Acme()
    closing = ClosingOrgs()
    closing.orgs, closing.slugs, closing.members = (
        acme.orgs.orgs,
        acme.orgs.slugs,
        acme.orgs.members,
    )
    acme.orgs = closing
    ivy = acme.person("ivy")
    with pytest.raises(NotFound):
        acme.join(ivy)
    assert closing.membership(acme.org.id, ivy.id) is None
    assert acme.added() == []


def test_30_parallel_joins_make_one_membership() -> None:
    acme = Acme()
    ivy = acme.person("ivy")

    def join(_: int) -> str:
        try:
            acme.join(ivy)
        except DomainError as refused:
            return refused.code
        return "joined"

    with ThreadPoolExecutor(RACERS) as pool:
        outcomes = Counter(pool.map(join, range(RACERS)))
    assert outcomes == {"joined": 1, "already_member": RACERS - 1}
    assert acme.added() == [(ivy.id, acme.org.id, "domain")]


# auto_join


def test_auto_join_makes_a_newly_proven_person_a_member() -> None:
    acme = Acme(DomainPolicy.AUTO_JOIN)
    ivy = acme.person("ivy")
    joined = acme.proven(ivy)
    assert joined is not None and joined.roles == ("member",)
    assert acme.added() == [(ivy.id, acme.org.id, "auto_join")]
    assert acme.proven(ivy) is None  # a member already: nothing more
    assert acme.added() == [(ivy.id, acme.org.id, "auto_join")]


@pytest.mark.parametrize("policy", [DomainPolicy.NONE, DomainPolicy.SUGGEST])
def test_no_auto_join_under_another_policy(policy: DomainPolicy) -> None:
    acme = Acme(policy)
    ivy = acme.person("ivy")
    assert acme.proven(ivy) is None
    assert acme.orgs.membership(acme.org.id, ivy.id) is None


def test_an_address_on_no_orgs_domain_costs_one_read() -> None:
    acme = Acme(DomainPolicy.AUTO_JOIN)
    before = acme.domains.holder_reads
    assert acme.proven(acme.person("oli", "other.example")) is None
    assert acme.domains.holder_reads == before + 1
    assert acme.proven(acme.person("uma", proven=False)) is None  # no proof: no read
    assert acme.domains.holder_reads == before + 1


class BrokenDomains(FakeOrgDomains):
    def holder(self, domain: str) -> str | None:
        raise Unavailable("Firestore did not answer.")


def test_a_failed_auto_join_leaves_the_proof_alone() -> None:
    acme = Acme(DomainPolicy.AUTO_JOIN)
    broken = AutoJoin(orgs=acme.orgs, domains=BrokenDomains(), clock=acme.clock, audit=acme.audit)
    broken.address_proven(acme.person("ivy"))  # logged, not raised
    assert acme.added() == []
