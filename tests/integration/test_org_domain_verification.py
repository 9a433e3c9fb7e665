"""Verifying an org's domain for real: the use cases on Firestore (the emulator), looking the
record up with dnspython at the tests' own DNS server (docs/reference/orgs.md, "Verified
domains"; docs/decisions/0367-where-a-domain-is-unique.md)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from threading import Barrier
from typing import Any

import pytest

from application.orgs.joining.domains import OrgDomainRequest, VerifiedDomains, org_for_domain
from application.ports import Audit
from application.signin.authentication import Actor
from domain.errors import Conflict, DomainError
from domain.orgs.domains import OrgDomain
from domain.orgs.orgs import Membership, Org, Slug
from infrastructure.firestore.orgs.domains import FirestoreOrgDomains
from infrastructure.orgs.dns import DnspythonTxtRecords
from tests.fakes.events import RecordingAuditLog
from tests.fakes.kernel import FakeClock
from tests.fakes.orgs import FakeOrgRepository
from tests.support.dns_server import DnsServer, dns_server

pytestmark = pytest.mark.integration
RACERS = 30
ADMIN = ("admin",)


@dataclass
class World:
    domains: FirestoreOrgDomains
    txt: DnspythonTxtRecords
    server: DnsServer
    clock: FakeClock
    audit: RecordingAuditLog
    # The orgs (in memory: only the domains are the subject), each of ``org_id`` with its
    # admin ``u-{org_id}``, named by the slug ``org-{org_id}``.
    orgs: FakeOrgRepository = field(default_factory=FakeOrgRepository)

    def _request(self, org_id: str, name: str) -> OrgDomainRequest:
        now, admin = self.clock.now(), "u-" + org_id
        if self.orgs.get(org_id) is None:
            org = replace(Org.create(Slug(f"org-{org_id}"), org_id, now), id=org_id)
            self.orgs.add(org, Membership(org_id, admin, ADMIN, 1, now, now))
        return OrgDomainRequest(Actor(admin, admin, "user", "s1", now), f"org-{org_id}", name)

    @property
    def cases(self) -> VerifiedDomains:
        return VerifiedDomains(
            orgs=self.orgs, domains=self.domains, txt=self.txt, clock=self.clock, audit=self.audit
        )

    def add(self, org_id: str, name: str) -> OrgDomain:
        return self.cases.add(self._request(org_id, name))

    def verify(self, org_id: str, name: str) -> OrgDomain:
        return self.cases.verify(self._request(org_id, name))


@pytest.fixture
def world(firestore: Any) -> Iterator[World]:
    with dns_server() as server:
        yield World(
            FirestoreOrgDomains(firestore),
            DnspythonTxtRecords(server.address),
            server,
            FakeClock(),
            RecordingAuditLog(),
        )


def test_a_published_record_verifies_the_domain(world: World) -> None:
    added = world.add("o1", "Bücher.Example")
    with pytest.raises(Conflict) as refused:
        world.verify("o1", "bücher.example")
    assert refused.value.code == "domain_not_verified"
    world.server.zone.set_txt("xn--bcher-kva.example", "v=spf1 -all", added.record_value)
    verified = world.verify("o1", "xn--bcher-kva.example")
    assert verified.verified
    assert org_for_domain("BÜCHER.example", domains=world.domains) == "o1"
    assert [e.event for e in world.audit.events] == [Audit.ORG_DOMAIN_VERIFIED]


def test_thirty_orgs_verifying_one_domain_at_once_make_one_holder(world: World) -> None:
    orgs = [f"org{i:02}" for i in range(RACERS)]
    added = [world.add(org, "example.com") for org in orgs]
    # Every org publishes its record (so each lookup finds its own, over TCP: the answer is
    # too large for UDP); only one may hold the domain.
    world.server.zone.set_txt("_firegate.example.com", *(d.record_value for d in added))
    barrier = Barrier(RACERS)

    def verify(org: str) -> OrgDomain | DomainError:
        barrier.wait()
        try:
            return world.verify(org, "example.com")
        except DomainError as exc:
            return exc

    with ThreadPoolExecutor(RACERS) as pool:
        outcomes = list(pool.map(verify, orgs))
    winners = [o for o in outcomes if isinstance(o, OrgDomain)]
    losers = [o for o in outcomes if not isinstance(o, OrgDomain)]
    assert len(winners) == 1, outcomes
    assert len(losers) == RACERS - 1
    assert all(isinstance(o, Conflict) and o.code == "domain_taken" for o in losers), losers
    holder = winners[0].org_id
    assert org_for_domain("example.com", domains=world.domains) == holder
    assert [org for org in orgs if (d := world.domains.get(org, "example.com")) and d.verified] == [
        holder
    ]
    assert [(e.event, e.user_id, e.org_id) for e in world.audit.events] == [
        (Audit.ORG_DOMAIN_VERIFIED, "u-" + holder, holder)
    ]
    assert ("tcp", "_firegate.example.com") in world.server.zone.queries


def test_look_alikes_verified_at_once_are_each_their_orgs_and_both_orgs_are_warned(
    world: World,
) -> None:
    """Thirty orgs verifying three spellings of one look-alike at once: each exact domain is
    one org's (the others 409 ``domain_taken``), none refused for reading like another's, and
    of any two winners each org is warned of the other's domain
    (docs/decisions/0641-look-alike-domains-are-named-never-refused.md)."""
    spellings = ["glass-x.net", "g1ass-x.net", "xn--gla-x-nqa.net"]
    orgs = [f"org{i:02}" for i in range(RACERS)]
    added = [world.add(org, spellings[i % 3]) for i, org in enumerate(orgs)]
    for name in spellings:
        world.server.zone.set_txt(
            f"_firegate.{name}", *(d.record_value for d in added if d.domain == name)
        )
    barrier = Barrier(RACERS)

    def verify(domain: OrgDomain) -> OrgDomain | DomainError:
        barrier.wait()
        try:
            return world.verify(domain.org_id, domain.domain)
        except DomainError as exc:
            return exc

    with ThreadPoolExecutor(RACERS) as pool:
        outcomes = list(pool.map(verify, added))
    winners = {o.domain: o.org_id for o in outcomes if isinstance(o, OrgDomain)}
    losers = [o for o in outcomes if not isinstance(o, OrgDomain)]
    assert sorted(winners) == sorted(spellings), outcomes
    assert all(isinstance(o, Conflict) and o.code == "domain_taken" for o in losers), losers
    for name, org_id in winners.items():
        assert org_for_domain(name, domains=world.domains) == org_id
    warned = {
        (e.org_id, e.reason) for e in world.audit.events if e.event is Audit.ORG_DOMAIN_LOOK_ALIKE
    }
    pairs = {(winners[a], b) for a in spellings for b in spellings if a != b}
    assert warned == pairs
    for name, org_id in winners.items():
        listed = world.cases.list(world._request(org_id, name))
        assert [d.look_alike_of for d in listed] == [tuple(sorted(set(spellings) - {name}))]
