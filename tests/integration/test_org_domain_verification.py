"""Verifying an org's domain for real: the use cases on Firestore (the emulator), looking the
record up with dnspython at the tests' own DNS server (docs/reference/orgs.md, "Verified
domains"; docs/decisions/0367-where-a-domain-is-unique.md)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from threading import Barrier
from typing import Any

import pytest

from application.orgs.domains import (
    AddOrgDomain,
    OrgDomainCommand,
    add_domain,
    org_for_domain,
    verify_domain,
)
from application.ports import Audit
from domain.errors import Conflict, DomainError
from domain.orgs.domains import OrgDomain
from infrastructure.firestore.orgs.domains import FirestoreOrgDomains
from infrastructure.orgs.dns import DnspythonTxtRecords
from tests.fakes.events import RecordingAuditLog
from tests.fakes.kernel import FakeClock
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

    def add(self, org_id: str, name: str) -> OrgDomain:
        cmd = AddOrgDomain("u-" + org_id, org_id, ADMIN, name)
        return add_domain(cmd, domains=self.domains, clock=self.clock)

    def verify(self, org_id: str, name: str) -> OrgDomain:
        return verify_domain(
            OrgDomainCommand("u-" + org_id, org_id, ADMIN, name),
            domains=self.domains,
            txt=self.txt,
            clock=self.clock,
            audit=self.audit,
        )


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
