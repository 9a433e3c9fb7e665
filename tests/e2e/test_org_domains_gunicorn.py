"""An org's verified domains over gunicorn on the emulators, its ``DNS_RESOLVER`` the tests'
own DNS server (tests/support/dns_server.py): add, list, verify before and after the record
is published, delete; a member who is not an admin refused; a domain one org verified is
``domain_taken`` for another; thirty parallel verifications by two orgs over HTTP make one
holder (docs/reference/orgs.md, "Verified domains")."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier
from typing import Any

import pytest
import requests

from tests.support.api import bearer
from tests.support.dns_server import DnsServer, dns_server
from tests.support.orgs import set_member
from tests.support.served_api import signed_in
from tests.support.servers import serving, workers_serving

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]
RACERS = 30
Headers = dict[str, str]


@pytest.fixture(scope="module")
def dns() -> Iterator[DnsServer]:
    with dns_server() as server:
        yield server


@pytest.fixture(scope="module")
def url(emulators: Any, dns: DnsServer) -> Iterator[str]:
    with serving(
        "gunicorn-org-domains.log", WEB_CONCURRENCY="2", DNS_RESOLVER=dns.address
    ) as found:
        deadline = time.monotonic() + 30
        while workers_serving(found) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)  # the race reaches both workers
        yield found


@pytest.fixture
def zone(dns: DnsServer, firestore: Any) -> DnsServer:
    """The DNS server, with no record left from another test (Firestore wiped too)."""
    for name in ("example.com", "_firegate.example.com"):
        dns.zone.remove(name)
    return dns


def person(url: str, name: str) -> tuple[Headers, str]:
    """A new account's session: its bearer header and its user id."""
    account = signed_in(url, name)
    return bearer(account["access_token"]), account["user_id"]


def new_org(url: str, owner: Headers, slug: str) -> str:
    created = requests.post(
        f"{url}/orgs", json={"slug": slug, "name": slug.title()}, headers=owner, timeout=30
    )
    assert created.status_code == 201, created.text
    org_id: str = created.json()["id"]
    return org_id


def problem(answer: requests.Response, status: int, code: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    assert answer.json()["code"] == code


def add(url: str, who: Headers, org: str, domain: str) -> requests.Response:
    return requests.post(
        f"{url}/orgs/{org}/domains", json={"domain": domain}, headers=who, timeout=30
    )


def verify(url: str, who: Headers, org: str, domain: str) -> requests.Response:
    return requests.post(f"{url}/orgs/{org}/domains/{domain}/verify", headers=who, timeout=60)


def listed(url: str, who: Headers, org: str) -> list[tuple[str, str]]:
    answer = requests.get(f"{url}/orgs/{org}/domains", headers=who, timeout=30)
    assert answer.status_code == 200, answer.text
    return [(d["domain"], d["status"]) for d in answer.json()["items"]]


def verified_events(url: str, who: Headers, org: str) -> list[str]:
    """The users whom the org's ``org.domain_verified`` events name."""
    answer = requests.get(f"{url}/orgs/{org}/events", headers=who, timeout=30)
    assert answer.status_code == 200, answer.text
    items = answer.json()["items"]
    return [e["user_id"] for e in items if e["type"] == "org.domain_verified"]


def test_an_admin_adds_verifies_and_deletes_a_domain(url: str, zone: DnsServer) -> None:
    alice, alice_id = person(url, "alice")
    acme = new_org(url, alice, "acme")
    added = add(url, alice, "acme", "Example.COM.")
    assert added.status_code == 201, added.text
    body = added.json()
    assert (body["domain"], body["status"], body["verified_at"]) == ("example.com", "pending", None)
    assert added.headers["Location"] == "/orgs/acme/domains/example.com"
    record = body["record"]
    assert (record["type"], record["name"]) == ("TXT", "_firegate.example.com")
    assert listed(url, alice, "acme") == [("example.com", "pending")]

    problem(verify(url, alice, "acme", "example.com"), 409, "domain_not_verified")
    zone.zone.set_txt("_firegate.example.com", "v=spf1 -all", record["value"])
    verified = verify(url, alice, acme, "EXAMPLE.com")  # the org by id, the name in any case
    assert verified.status_code == 200, verified.text
    assert verified.json()["status"] == "verified" and verified.json()["verified_at"]
    assert ("udp", "_firegate.example.com") in zone.zone.queries  # gunicorn asked our server
    assert listed(url, alice, "acme") == [("example.com", "verified")]
    assert verified_events(url, alice, "acme") == [alice_id]
    again = verify(url, alice, "acme", "example.com")  # answered as it is: no second event
    assert again.status_code == 200 and again.json() == verified.json()

    deleted = requests.delete(f"{url}/orgs/acme/domains/example.com", headers=alice, timeout=30)
    assert deleted.status_code == 204, deleted.text
    assert listed(url, alice, "acme") == []
    problem(verify(url, alice, "acme", "example.com"), 404, "domain_not_found")
    assert verified_events(url, alice, "acme") == [alice_id]


def test_a_member_who_is_not_an_admin_is_refused_and_a_stranger_finds_no_org(
    url: str, zone: DnsServer, firestore: Any
) -> None:
    alice, _ = person(url, "alice")
    acme = new_org(url, alice, "acme")
    record = add(url, alice, "acme", "example.com").json()["record"]
    zone.zone.set_txt("example.com", record["value"])  # at the alternative name
    bob, bob_id = person(url, "bob")
    set_member(firestore, acme, bob_id, ("member", "billing"))
    mallory, _ = person(url, "mallory")
    calls: tuple[Callable[[Headers], requests.Response], ...] = (
        lambda who: add(url, who, "acme", "example.org"),
        lambda who: requests.get(f"{url}/orgs/acme/domains", headers=who, timeout=30),
        lambda who: verify(url, who, "acme", "example.com"),
        lambda who: requests.delete(
            f"{url}/orgs/acme/domains/example.com", headers=who, timeout=30
        ),
    )
    for call in calls:
        problem(call(bob), 403, "org_permission_denied")
        problem(call(mallory), 404, "org_not_found")
    assert listed(url, alice, "acme") == [("example.com", "pending")]  # nothing changed
    set_member(firestore, acme, bob_id, ("admin",))  # made an admin: now he may
    assert verify(url, bob, "acme", "example.com").json()["status"] == "verified"
    assert verified_events(url, alice, "acme") == [bob_id]


def test_a_domain_one_org_verified_is_taken_for_another_until_released(
    url: str, zone: DnsServer
) -> None:
    alice, _ = person(url, "alice")
    bob, _ = person(url, "bob")
    carol, _ = person(url, "carol")
    for who, slug in ((alice, "acme"), (bob, "globex"), (carol, "initech")):
        new_org(url, who, slug)
    mine = add(url, alice, "acme", "example.com").json()["record"]["value"]
    theirs = add(url, bob, "globex", "example.com").json()["record"]["value"]  # pending in both
    zone.zone.set_txt("_firegate.example.com", mine, theirs)
    assert verify(url, alice, "acme", "example.com").status_code == 200
    problem(verify(url, bob, "globex", "example.com"), 409, "domain_taken")
    problem(add(url, carol, "initech", "example.com"), 409, "domain_taken")  # once held
    assert listed(url, bob, "globex") == [("example.com", "pending")]

    assert requests.delete(f"{url}/orgs/acme/domains/example.com", headers=alice, timeout=30).ok
    released = verify(url, bob, "globex", "example.com")
    assert released.status_code == 200 and released.json()["status"] == "verified"


def test_thirty_parallel_verifications_by_two_orgs_make_one_holder(
    url: str, zone: DnsServer
) -> None:
    alice, alice_id = person(url, "alice")
    bob, bob_id = person(url, "bob")
    admins = {"acme": (alice, alice_id), "globex": (bob, bob_id)}
    records = []
    for slug, (who, _) in admins.items():
        new_org(url, who, slug)
        records.append(add(url, who, slug, "example.com").json()["record"]["value"])
    zone.zone.set_txt("_firegate.example.com", *records)  # both published: each would prove it
    racers = [("acme", "globex")[n % 2] for n in range(RACERS)]
    barrier = Barrier(RACERS)

    def race(slug: str) -> tuple[str, int, str | None]:
        barrier.wait()
        answer = verify(url, admins[slug][0], slug, "example.com")
        code = answer.json().get("code") if answer.status_code != 200 else None
        return slug, answer.status_code, code

    with ThreadPoolExecutor(RACERS) as pool:
        outcomes = list(pool.map(race, racers))
    winners = {slug for slug, status, _ in outcomes if status == 200}
    assert len(winners) == 1, outcomes
    (holder,) = winners
    loser = "globex" if holder == "acme" else "acme"
    assert {(slug, status, code) for slug, status, code in outcomes} == {
        (holder, 200, None),
        (loser, 409, "domain_taken"),
    }, outcomes
    assert listed(url, admins[holder][0], holder) == [("example.com", "verified")]
    assert listed(url, admins[loser][0], loser) == [("example.com", "pending")]
    assert verified_events(url, admins[holder][0], holder) == [admins[holder][1]]
    assert verified_events(url, admins[loser][0], loser) == []
