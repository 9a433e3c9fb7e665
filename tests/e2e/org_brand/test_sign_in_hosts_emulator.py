"""An org's own sign-in host on the Firestore emulator, its ``DNS_RESOLVER`` the tests' own
DNS server (tests/support/dns_server.py): set, verified through the CNAME and the TXT
record, served by the gate as its org's; thirty orgs setting one host at once make one
holder; the daily check turns a lapsed host off and mails its owners
(docs/reference/org-sign-in-domain.md)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from application.org_brand.hosts import SignInHosts
from domain.orgs.domains import OrgDomain
from infrastructure.firestore.orgs.domains import FirestoreOrgDomains
from tests.fakes.kernel import FakeJobQueue
from tests.support.api import assert_problem, bearer, login, register, services
from tests.support.app import app_on_emulator, run_jobs
from tests.support.dns_server import DnsServer, dns_server
from tests.support.orgs import add_org
from tests.support.races import RACERS, race, statuses
from tests.support.settings import make_settings

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]
TARGET = "hosts.firegate.example"
# Thirty nested domains, each verified by another org: every one of them may name HOST.
LEVELS = [f"l{i}" for i in range(RACERS, 0, -1)]
HOST = "login." + ".".join(LEVELS) + ".test"


@pytest.fixture(scope="module")
def dns() -> Iterator[DnsServer]:
    with dns_server() as server:
        yield server


@pytest.fixture
def queue() -> FakeJobQueue:
    return FakeJobQueue()


@pytest.fixture
def app(firestore: Any, dns: DnsServer, queue: FakeJobQueue) -> Flask:
    settings = make_settings(org_host_target=TARGET, dns_resolver=dns.address)
    return app_on_emulator(settings, firestore, queue)


def owner_of_orgs(
    app: Flask, firestore: Any, domains: list[str]
) -> tuple[dict[str, str], list[str]]:
    """A person's session and an org of theirs per domain, each domain verified."""
    client = app.test_client()
    user = register(client, "alice")
    auth = bearer(login(client, "alice"))
    store, now, orgs = FirestoreOrgDomains(firestore), datetime.now(UTC), []
    for i, domain in enumerate(domains):
        org_id = add_org(firestore, f"org{i}", {user["id"]: ("owner",)})
        store.add(OrgDomain.create(org_id, domain, user["id"], now))
        pending = store.get(org_id, domain)
        assert pending is not None
        store.verify(pending.verified_now(now))
        orgs.append(org_id)
    return auth, orgs


def put_host(client: FlaskClient, *, org: str, auth: dict[str, str]) -> TestResponse:
    return client.put(f"/orgs/{org}/sign-in-domain", json={"host": HOST}, headers=auth)


def test_one_of_thirty_orgs_setting_one_host_holds_it(app: Flask, firestore: Any) -> None:
    domains = [".".join(LEVELS[i:]) + ".test" for i in range(RACERS)]
    auth, orgs = owner_of_orgs(app, firestore, domains)
    outcomes = race(app, [partial(put_host, org=org, auth=auth) for org in orgs])
    assert statuses(outcomes) == {202: 1, 409: RACERS - 1}, outcomes
    assert {o.code for o in outcomes if o.status == 409} == {"host_taken"}
    claims = list(firestore.collection("org_sign_in_hosts").stream())
    assert len(claims) == 1
    winner = claims[0].to_dict()["org_id"]
    hosts = [d.to_dict() for d in firestore.collection("org_sign_in_domains").stream()]
    assert [(h["org_id"], h["host"]) for h in hosts] == [(winner, HOST)]


def test_a_host_verified_through_dns_is_served_as_its_orgs_until_its_records_lapse(
    app: Flask, firestore: Any, dns: DnsServer, queue: FakeJobQueue
) -> None:
    auth, (org,) = owner_of_orgs(app, firestore, ["acme.test"])
    client = app.test_client()
    host = "login.acme.test"
    put = client.put(f"/orgs/{org}/sign-in-domain", json={"host": host}, headers=auth)
    assert put.status_code == 202, put.get_json()
    cname, txt = put.get_json()["records"]
    assert_problem(client.get("/sign-in", base_url=f"http://{host}/"), 421, "misdirected_request")

    missing = client.post(f"/orgs/{org}/sign-in-domain/verify", headers=auth)
    detail = assert_problem(missing, 409, "sign_in_domain_not_verified")["detail"]
    assert "CNAME" in detail and "TXT" in detail
    dns.zone.set_cname(host, TARGET + ".")
    dns.zone.set_txt(txt["name"], txt["value"])
    verified = client.post(f"/orgs/{org}/sign-in-domain/verify", headers=auth)
    assert verified.status_code == 200, verified.get_json()
    assert verified.get_json()["status"] == "active"

    page = client.get("/sign-in", base_url=f"http://{host}/")
    assert page.status_code == 200
    assert all("domain=" not in c.lower() for c in page.headers.getlist("Set-Cookie"))
    hosts = services(app).of(SignInHosts)
    assert hosts.active_origins() == (f"https://{host}",)

    # the daily check: the records still there, then the TXT record gone
    assert hosts.sweep() == 0
    queue.jobs.clear()  # the sign-up's mail
    dns.zone.remove(txt["name"])
    assert hosts.sweep() == 1
    assert_problem(client.get("/sign-in", base_url=f"http://{host}/"), 421, "misdirected_request")
    assert client.get(f"/orgs/{org}/sign-in-domain", headers=auth).get_json()["status"] == "pending"
    assert [job.kind for job in queue.jobs] == ["sign_in_domain_lapsed"]
    run_jobs(app, queue)
    assert [job.kind for job in queue.jobs] == ["sign_in_domain_lapsed_mail"]
    assert cname["value"] == TARGET
