"""An org's own sender on the emulators, its records looked up at the tests' own DNS server
(tests/support/dns_server.py) and its mails through maildev: set, checked before and after
the records are published, the invitation's From before and after, the daily re-check of a
lapsed record; thirty checks and changes of address at once never leave an unchecked address
verified (docs/reference/org-sender.md,
docs/decisions/0893-a-senders-check-stored-on-what-it-read.md)."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from threading import Barrier
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from application.org_brand.senders import OrgSenders
from bootstrap import build_adapters
from infrastructure.firestore.org_brand.senders import FirestoreSenders
from tests.fakes.kernel import FakeClock
from tests.support.api import bearer, login, register
from tests.support.app import app_on
from tests.support.dns_server import DnsServer, dns_server
from tests.support.mailbox import wait_for
from tests.support.settings import make_settings

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]
INCLUDE = "_spf.firegate.example"
ADDRESS = "news@mail.acme.example"
RACERS = 30
NAMES = (
    "acme.example",
    "_firegate.acme.example",
    "mail.acme.example",
    "_spf.mail.acme.example",
    "firegate._domainkey.mail.acme.example",
    "_dmarc.mail.acme.example",
    "_dmarc.acme.example",
    "other.acme.example",
)


@pytest.fixture(scope="module")
def dns() -> Iterator[DnsServer]:
    with dns_server() as server:
        yield server


class Acme:
    """The app on the emulators, DNS_RESOLVER the tests' server, MAIL_SPF_INCLUDE set; an
    org ``acme`` owned by alice, acme.example verified."""

    def __init__(self, dns: DnsServer, firestore: Any, **changes: Any) -> None:
        for name in NAMES:
            dns.zone.remove(name)
        self.dns = dns
        settings = make_settings(dns_resolver=dns.address, mail_spf_include=INCLUDE, **changes)
        self.app: Flask = app_on(settings, build_adapters(settings, firestore=firestore))
        client = self.app.test_client()
        register(client, "alice")
        self.alice = bearer(login(client, "alice"))
        made = client.post("/orgs", json={"slug": "acme", "name": "Acme"}, headers=self.alice)
        assert made.status_code == 201, made.get_json()
        self.org_id: str = made.get_json()["id"]
        added = client.post(
            "/orgs/acme/domains", json={"domain": "acme.example"}, headers=self.alice
        )
        record = added.get_json()["record"]
        dns.zone.set_txt(record["name"], record["value"])
        verified = client.post("/orgs/acme/domains/acme.example/verify", headers=self.alice)
        assert verified.status_code == 200, verified.get_json()

    def call(self, method: str, path: str, **kwargs: Any) -> TestResponse:
        return self.app.test_client().open(path, method=method, headers=self.alice, **kwargs)

    def publish(self) -> None:
        """The records, as a real domain may have them: the include behind an include and a
        redirect, the DKIM key longer than one TXT string, DMARC at the verified parent."""
        zone = self.dns.zone
        zone.set_txt("mail.acme.example", "v=spf1 mx include:_spf.mail.acme.example -all")
        zone.set_txt("_spf.mail.acme.example", "v=spf1 redirect=other.acme.example")
        zone.set_txt("other.acme.example", f"v=spf1 ip4:192.0.2.0/24 include:{INCLUDE} ~all")
        key = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA" + "x" * 300
        zone.set_txt(
            "firegate._domainkey.mail.acme.example",
            ["v=DKIM1; k=rsa; p=" + key[:200], key[200:]],
        )
        zone.set_txt("_dmarc.acme.example", "v=DMARC1; p=reject; rua=mailto:d@acme.example")

    def invite(self, address: str) -> dict[str, Any]:
        body = {"email": address, "roles": ["member"]}
        assert self.call("POST", "/orgs/acme/invitations", json=body).status_code == 201
        (mail,) = wait_for(address)
        sender: dict[str, Any] = mail["from"][0]
        return sender


@pytest.fixture
def acme(dns: DnsServer, firestore: Any) -> Acme:
    return Acme(dns, firestore)


def test_a_sender_verified_at_the_dns_sends_the_orgs_mails(acme: Acme) -> None:
    put = acme.call("PUT", "/orgs/acme/sender", json={"address": ADDRESS})
    assert put.status_code == 202, put.get_json()
    assert put.get_json()["status"] == "pending"
    assert acme.invite("una@example.com") == {
        "address": "no-reply@localhost",
        "name": "Acme via firegate",
    }

    missing = acme.call("POST", "/orgs/acme/sender/verify")
    assert (missing.status_code, missing.get_json()["code"]) == (409, "sender_not_aligned")
    assert missing.get_json()["missing"] == ["spf", "dkim", "dmarc"]

    acme.publish()
    verified = acme.call("POST", "/orgs/acme/sender/verify")
    assert verified.status_code == 200, verified.get_json()
    assert verified.get_json()["status"] == "verified"
    assert acme.invite("vic@example.com") == {"address": ADDRESS, "name": "Acme"}

    # A day on, the SPF policy is gone: the re-check makes it failed, mails via the service
    acme.dns.zone.remove("other.acme.example")
    senders = acme.app.extensions["firegate"].of(OrgSenders)
    later = dataclasses.replace(
        senders, clock=FakeClock(start=datetime.now(UTC) + timedelta(days=1, minutes=1))
    )
    assert later.sweep() == 1
    lapsed = acme.call("GET", "/orgs/acme/sender").get_json()
    assert (lapsed["status"], lapsed["missing"]) == ("failed", ["spf"])
    assert acme.invite("wyn@example.com") == {
        "address": "no-reply@localhost",
        "name": "Acme via firegate",
    }

    assert acme.call("DELETE", "/orgs/acme/sender").status_code == 204
    assert acme.call("GET", "/orgs/acme/sender").status_code == 404


def test_a_domain_the_org_did_not_verify_is_refused(acme: Acme) -> None:
    refused = acme.call("PUT", "/orgs/acme/sender", json={"address": "news@acme.example.org"})
    assert refused.status_code == 422
    assert refused.get_json()["errors"][0]["code"] == "sender_domain_not_verified"


def test_thirty_checks_and_changes_at_once_verify_only_a_checked_address(
    dns: DnsServer, firestore: Any
) -> None:
    """Half the racers check the sender, half set it to the published address or to one
    whose records are not published: whatever the order, the sender is verified only at the
    published address, and every answer is a success or a 409 that says why."""
    acme = Acme(dns, firestore, rate_limit_org_dns_checks="")  # the checks' limit aside
    acme.publish()
    bare = "news@other.acme.example"  # other.acme.example: an SPF policy, no DKIM, no DMARC
    acme.dns.zone.remove("_dmarc.acme.example")
    acme.dns.zone.set_txt("_dmarc.mail.acme.example", "v=DMARC1; p=none")
    assert acme.call("PUT", "/orgs/acme/sender", json={"address": ADDRESS}).status_code == 202
    barrier = Barrier(RACERS)

    def race(i: int) -> TestResponse:
        barrier.wait()
        if i % 2 == 0:
            return acme.call("POST", "/orgs/acme/sender/verify")
        address = ADDRESS if i % 4 == 1 else bare
        return acme.call("PUT", "/orgs/acme/sender", json={"address": address})

    with ThreadPoolExecutor(RACERS) as pool:
        answers = list(pool.map(race, range(RACERS)))
    seen = Counter(
        (a.status_code, (a.get_json() or {}).get("code", a.get_json().get("status")))
        for a in answers
    )
    assert set(seen) <= {
        (200, "verified"),
        (202, "pending"),
        (202, "verified"),
        (409, "sender_not_aligned"),
        (409, "sender_changed"),
    }, seen
    stored = FirestoreSenders(firestore).get(acme.org_id)
    assert stored is not None
    assert stored.address in {ADDRESS, bare}
    if stored.address == bare:
        assert stored.status.value == "pending"
    # checked again now, the stored address's state is what its records say
    final = acme.call("POST", "/orgs/acme/sender/verify")
    expected = 200 if stored.address == ADDRESS else 409
    assert final.status_code == expected, final.get_json()
