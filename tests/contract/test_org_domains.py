"""The verified domains' ports: OrgDomains against the fake and Firestore, TxtRecords against
the fake and dnspython asking the tests' own DNS server (docs/reference/orgs.md, "Verified
domains")."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from threading import Barrier
from typing import Any

import pytest

from application.orgs.joining.domains import OrgDomains, TxtRecords
from application.ports import Audit, AuditEvent
from domain.errors import Conflict, DomainError, NotFound, Unavailable
from domain.orgs.domains import DomainStatus, OrgDomain, record_value
from tests.fakes.events import RecordingAuditLog
from tests.fakes.kernel import InMemoryStore
from tests.fakes.org_domains import FakeOrgDomains, FakeTxtRecords
from tests.support.dns_server import Zone, dns_server, unused_port

pytestmark = pytest.mark.contract
NOW = datetime(2026, 5, 1, 12, 0, 0, 123000, tzinfo=UTC)
PARALLEL = 30


# OrgDomains


@pytest.fixture(params=["fake", "firestore"])
def domains(request: pytest.FixtureRequest) -> OrgDomains:
    if request.param == "fake":
        return FakeOrgDomains(InMemoryStore())
    from infrastructure.firestore.orgs.domains import FirestoreOrgDomains

    client: Any = request.getfixturevalue("firestore")
    return FirestoreOrgDomains(client)


def pending(org_id: str, name: str = "example.com") -> OrgDomain:
    return OrgDomain.create(org_id, name, created_by="u-" + org_id, now=NOW)


def test_a_domain_round_trips(domains: OrgDomains) -> None:
    added = pending("o1", "bücher.example")
    domains.add(added)
    assert domains.get("o1", "xn--bcher-kva.example") == added
    assert domains.get("o2", "xn--bcher-kva.example") is None
    assert domains.get("o1", "example.com") is None
    assert domains.holder("xn--bcher-kva.example") is None


def test_an_org_has_each_domain_once(domains: OrgDomains) -> None:
    domains.add(pending("o1"))
    with pytest.raises(Conflict) as refused:
        domains.add(pending("o1"))
    assert refused.value.code == "domain_exists"
    domains.add(pending("o2"))  # pending in another org as well


def test_the_list_is_by_name_and_bounded(domains: OrgDomains) -> None:
    for name in ["c.example", "a.example", "b.example"]:
        domains.add(pending("o1", name))
    domains.add(pending("o2", "0.example"))
    assert [d.domain for d in domains.list_for("o1", 10)] == ["a.example", "b.example", "c.example"]
    assert [d.domain for d in domains.list_for("o1", 2)] == ["a.example", "b.example"]
    assert domains.list_for("o3", 10) == []


def test_verifying_claims_the_domain(domains: OrgDomains) -> None:
    added = pending("o1")
    domains.add(added)
    verified = domains.verify(added.verified_now(NOW + timedelta(minutes=1)))
    assert verified.status is DomainStatus.VERIFIED
    assert verified.verified_at == NOW + timedelta(minutes=1)
    assert verified.token == added.token
    assert domains.get("o1", "example.com") == verified
    assert domains.holder("example.com") == "o1"
    assert domains.verify(added.verified_now(NOW + timedelta(days=1))) == verified  # once


def test_a_claimed_domain_is_taken_for_others(domains: OrgDomains) -> None:
    mine, theirs = pending("o1"), pending("o2")
    domains.add(mine)
    domains.add(theirs)
    domains.verify(mine.verified_now(NOW))
    with pytest.raises(Conflict) as refused:
        domains.verify(theirs.verified_now(NOW))
    assert refused.value.code == "domain_taken"
    assert domains.get("o2", "example.com") == theirs  # still pending
    assert domains.holder("example.com") == "o1"


def test_verifying_a_deleted_domain_is_404(domains: OrgDomains) -> None:
    with pytest.raises(NotFound) as refused:
        domains.verify(pending("o1").verified_now(NOW))
    assert refused.value.code == "domain_not_found"
    assert domains.holder("example.com") is None


def test_verifying_writes_what_is_staged_with_it(domains: OrgDomains) -> None:
    added = pending("o1")
    domains.add(added)
    staged = RecordingAuditLog().stage([AuditEvent(Audit.ORG_DOMAIN_VERIFIED, reason="o1")])
    assert domains.verify(added.verified_now(NOW), staged).verified


def test_deleting_releases_only_the_holders_claim(domains: OrgDomains) -> None:
    mine, theirs = pending("o1"), pending("o2")
    domains.add(mine)
    domains.add(theirs)
    domains.verify(mine.verified_now(NOW))
    assert domains.delete("o2", "example.com") is True
    assert domains.holder("example.com") == "o1"
    assert domains.delete("o2", "example.com") is False
    assert domains.delete("o1", "example.com") is True
    assert domains.holder("example.com") is None
    assert domains.get("o1", "example.com") is None
    again = pending("o2")
    domains.add(again)
    assert domains.verify(again.verified_now(NOW)).verified
    assert domains.holder("example.com") == "o2"


def test_a_purge_removes_an_orgs_domains_and_claims(domains: OrgDomains) -> None:
    for name in ["a.example", "b.example", "c.example"]:
        domain = pending("o1", name)
        domains.add(domain)
        if name != "b.example":
            domains.verify(domain.verified_now(NOW))
    domains.add(pending("o2", "b.example"))
    domains.delete_owned_by_org("o1", batch_size=2)
    assert domains.list_for("o1", 10) == []
    assert domains.holder("a.example") is None and domains.holder("c.example") is None
    assert [d.domain for d in domains.list_for("o2", 10)] == ["b.example"]


def claims(domains: OrgDomains, *names: str) -> list[tuple[str, str]]:
    return [(c.domain, c.org_id) for c in domains.look_alikes(names)]


def test_a_look_alike_of_another_orgs_domain_is_verified_and_named(domains: OrgDomains) -> None:
    """A look-alike verified first leaves the real domain to its owner: each verifies its
    own, and each is named beside the other (docs/decisions/0641-look-alike-domains-are-
    named-never-refused.md)."""
    squat = pending("o2", "g1ass-x.net")
    domains.add(squat)
    domains.verify(squat.verified_now(NOW))
    real = pending("o1", "glass-x.net")
    domains.add(real)
    assert domains.verify(real.verified_now(NOW)).verified
    assert domains.holder("glass-x.net") == "o1" and domains.holder("g1ass-x.net") == "o2"
    both = [("g1ass-x.net", "o2"), ("glass-x.net", "o1")]
    assert claims(domains, "glass-x.net") == both
    assert claims(domains, "glaß-x.net") == both  # what reads alike, verified or not
    assert claims(domains, "glass-x.net", "example.com") == both
    assert claims(domains, "example.com") == []
    # An org's own look-alikes are its own to verify too; a claim goes with its domain.
    own = pending("o1", "glaß-x.net")
    domains.add(own)
    assert domains.verify(own.verified_now(NOW)).verified
    assert [name for name, _ in claims(domains, "glass-x.net")] == [
        "g1ass-x.net",
        "glass-x.net",
        "xn--gla-x-nqa.net",
    ]
    assert domains.delete("o2", "g1ass-x.net") is True
    assert claims(domains, "glass-x.net") == [("glass-x.net", "o1"), ("xn--gla-x-nqa.net", "o1")]
    domains.add(pending("o3", "glass-x.net"))  # pending: named by no claim
    assert len(claims(domains, "glass-x.net")) == 2


def test_a_purge_releases_the_look_alikes_claims(domains: OrgDomains) -> None:
    domain = pending("o1", "glass-x.net")
    domains.add(domain)
    domains.verify(domain.verified_now(NOW))
    domains.delete_owned_by_org("o1", batch_size=2)
    assert claims(domains, "glaß-x.net") == []


def race(calls: Sequence[Callable[[], object]]) -> list[object | DomainError]:
    barrier = Barrier(len(calls))

    def run(call: Callable[[], object]) -> object | DomainError:
        barrier.wait()
        try:
            return call()
        except DomainError as exc:
            return exc

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def test_of_orgs_verifying_one_domain_at_once_one_wins(domains: OrgDomains) -> None:
    claims = [pending(f"org{i:02}") for i in range(PARALLEL)]
    for domain in claims:
        domains.add(domain)
    outcomes = race([partial(domains.verify, d.verified_now(NOW)) for d in claims])
    winners = [o for o in outcomes if isinstance(o, OrgDomain)]
    assert len(winners) == 1
    assert all(
        isinstance(o, Conflict) and o.code == "domain_taken" for o in outcomes if o not in winners
    )
    winner = winners[0]
    assert domains.holder("example.com") == winner.org_id
    verified = [d for d in claims if domains.get(d.org_id, d.domain) != d]
    assert [d.org_id for d in verified] == [winner.org_id]


def test_of_orgs_verifying_look_alikes_at_once_each_spelling_has_one_winner(
    domains: OrgDomains,
) -> None:
    """Thirty orgs, ten on each of three spellings of one look-alike, verifying at once:
    each exact domain is one org's, the others 409 ``domain_taken``; none is refused for
    reading like another's."""
    spellings = ["glass-x.net", "g1ass-x.net", "glaß-x.net"]
    claimed = [pending(f"org{i:02}", spellings[i % 3]) for i in range(PARALLEL)]
    for domain in claimed:
        domains.add(domain)
    outcomes = race([partial(domains.verify, d.verified_now(NOW)) for d in claimed])
    winners = [o for o in outcomes if isinstance(o, OrgDomain)]
    assert sorted(w.domain for w in winners) == sorted({d.domain for d in claimed}), outcomes
    assert all(
        isinstance(o, Conflict) and o.code == "domain_taken" for o in outcomes if o not in winners
    )
    assert sorted(claims(domains, "glass-x.net")) == sorted((w.domain, w.org_id) for w in winners)
    for winner in winners:
        assert domains.holder(winner.domain) == winner.org_id


def test_verifying_and_deleting_at_once_leave_no_orphan_claim(domains: OrgDomains) -> None:
    for round_ in range(5):
        added = pending("o1", f"r{round_}.example")
        domains.add(added)
        race(
            [
                partial(domains.verify, added.verified_now(NOW)),
                partial(domains.delete, "o1", added.domain),
            ]
        )
        stored = domains.get("o1", added.domain)
        holder = domains.holder(added.domain)
        # Either the verification came first and the deletion took both, or the deletion
        # came first and the verification found nothing: never a claim without its domain.
        assert (stored is None and holder is None) or (stored is not None and stored.verified)


# TxtRecords


@dataclass
class Dns:
    """A resolver and the zone it reads, edited the same way for the fake and the server."""

    txt: TxtRecords
    set_txt: Callable[..., None]
    remove: Callable[[str], None]
    fail: Callable[[str], None]


def _fake_dns() -> Dns:
    fake = FakeTxtRecords()

    def set_txt(name: str, *records: str | Sequence[str]) -> None:
        fake.set_txt(name, *(r if isinstance(r, str) else "".join(r) for r in records))

    return Dns(fake, set_txt, fake.remove, fake.fail)


@pytest.fixture(params=["fake", "dnspython"])
def dns(request: pytest.FixtureRequest) -> Iterator[Dns]:
    if request.param == "fake":
        yield _fake_dns()
        return
    from infrastructure.orgs.dns import DnspythonTxtRecords

    with dns_server(Zone()) as server:
        zone = server.zone
        yield Dns(DnspythonTxtRecords(server.address), zone.set_txt, zone.remove, zone.fail)


def test_the_records_at_a_name(dns: Dns) -> None:
    dns.set_txt("_firegate.example.com", record_value("abc"), "v=spf1 -all")
    assert sorted(dns.txt.lookup("_firegate.example.com")) == [record_value("abc"), "v=spf1 -all"]
    assert sorted(dns.txt.lookup("_FIREGATE.Example.com")) == [record_value("abc"), "v=spf1 -all"]


def test_no_name_or_no_records_is_empty(dns: Dns) -> None:
    dns.set_txt("example.com")  # exists, without TXT records
    assert dns.txt.lookup("example.com") == []
    assert dns.txt.lookup("nowhere.example.com") == []
    dns.set_txt("gone.example.com", "x")
    dns.remove("gone.example.com")
    assert dns.txt.lookup("gone.example.com") == []


def test_a_record_in_several_strings_is_one_value(dns: Dns) -> None:
    value = record_value("t" * 300)
    dns.set_txt("example.com", (value[:255], value[255:]), ("a", "b", "c"))
    assert sorted(dns.txt.lookup("example.com")) == ["abc", value]


def test_a_record_seen_once_published(dns: Dns) -> None:
    assert dns.txt.lookup("_firegate.example.com") == []
    dns.set_txt("_firegate.example.com", record_value("late"))
    assert dns.txt.lookup("_firegate.example.com") == [record_value("late")]


def test_many_records_are_all_found(dns: Dns) -> None:
    # Over 4 KB: too large for one UDP answer, so dnspython asks again over TCP.
    records = [f"filler-{i}-" + "x" * 240 for i in range(20)] + [record_value("needle")]
    dns.set_txt("example.com", *records)
    assert sorted(dns.txt.lookup("example.com")) == sorted(records)


def test_a_failing_name_is_unavailable(dns: Dns) -> None:
    dns.fail("broken.example.com")
    with pytest.raises(Unavailable):
        dns.txt.lookup("broken.example.com")


def test_the_server_asked_over_tcp_for_a_truncated_answer() -> None:
    from infrastructure.orgs.dns import DnspythonTxtRecords

    with dns_server() as server:
        server.zone.set_txt("big.example", *[str(i) + "y" * 250 for i in range(10)])
        server.zone.set_txt("small.example", "one")
        txt = DnspythonTxtRecords(server.address)
        assert len(txt.lookup("big.example")) == 10 and txt.lookup("small.example") == ["one"]
        assert server.zone.queries == [
            ("udp", "big.example"),
            ("tcp", "big.example"),
            ("udp", "small.example"),
        ]


def test_no_resolver_answering_is_unavailable() -> None:
    from infrastructure.orgs.dns import DnspythonTxtRecords

    txt = DnspythonTxtRecords(f"127.0.0.1:{unused_port()}", timeout=0.2, lifetime=0.5)
    with pytest.raises(Unavailable):
        txt.lookup("example.com")
