"""An org's own sign-in host on the fakes: set, read, verify, remove and who may; the request
gate (421 with no cookie, an org host served as its org's, with host-only cookies, the same
issuer and Firebase custom tokens); the per-process cache; the daily re-check; the sign-in
page's SSO first (docs/reference/org-sign-in-domain.md)."""

from __future__ import annotations

import base64
import json
import re
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from application.accounts.accounts import UserRepository
from application.org_brand.hosts import HOST_TTL, SignInHosts
from application.orgs.members.members import AddMember
from application.orgs.services import OrgServices
from application.sso.services import SsoServices
from bootstrap.accounts import AccountsAdapters
from bootstrap.adapters import Adapters
from bootstrap.mail import MailAdapters
from bootstrap.org_brand import host_settings
from bootstrap.orgs import OrgsAdapters
from domain.org_brand.hosts import SignInHost, host_name
from infrastructure.settings import Settings
from interfaces.shared.org_brand.gate import host_of, sign_in_host_gate
from interfaces.shared.org_brand.request_org import host_org
from interfaces.web import browser
from tests.fakes.federation import FakeCustomTokens
from tests.fakes.kernel import FakeJobQueue
from tests.fakes.mail import FakeMailer
from tests.fakes.org_domains import FakeTxtRecords
from tests.support.api import PASSWORD, assert_problem, bearer, login, register, services
from tests.support.app import World, run_jobs, unit_adapters
from tests.support.custom_tokens import PATH, adapters, custom_tokens, payload
from tests.support.settings import make_settings
from tests.unit.org_brand.fakes import FakeHostRecords, FakeSignInHosts

pytestmark = pytest.mark.unit
__all__ = ["adapters", "custom_tokens"]  # the fixtures: the custom-token route's fake minter

TARGET = "hosts.firegate.example"
HOST = "login.acme.test"


@pytest.fixture
def app_settings() -> Settings:
    return make_settings(org_host_target=TARGET)


def signed_in(client: FlaskClient, name: str) -> dict[str, str]:
    register(client, name)
    return bearer(login(client, name))


def new_org(
    client: FlaskClient, auth: dict[str, str], slug: str, domain: str
) -> tuple[str, dict[str, str]]:
    """An org of ``auth``'s with ``domain`` added (pending), and its record."""
    response = client.post("/orgs", json={"slug": slug, "name": slug.title()}, headers=auth)
    assert response.status_code == 201, response.get_json()
    org_id: str = response.get_json()["id"]
    added = client.post(f"/orgs/{org_id}/domains", json={"domain": domain}, headers=auth)
    assert added.status_code == 201, added.get_json()
    record: dict[str, str] = added.get_json()["record"]
    return org_id, record


def verified_org(
    client: FlaskClient, adapters: Adapters, auth: dict[str, str], slug: str, domain: str
) -> str:
    org_id, record = new_org(client, auth, slug, domain)
    txt = adapters_txt(adapters)
    txt.records[record["name"]] = [record["value"]]
    verified = client.post(f"/orgs/{org_id}/domains/{domain}/verify", headers=auth)
    assert verified.status_code == 200, verified.get_json()
    return str(org_id)


def adapters_txt(adapters: Adapters) -> FakeTxtRecords:
    txt = adapters.of(OrgsAdapters).txt
    assert isinstance(txt, FakeTxtRecords)
    return txt


def dns(adapters: Adapters) -> FakeHostRecords:
    found = unit_adapters(adapters, "org_brand").host_records
    assert isinstance(found, FakeHostRecords)
    return found


def store(adapters: Adapters) -> FakeSignInHosts:
    found = unit_adapters(adapters, "org_brand").hosts
    assert isinstance(found, FakeSignInHosts)
    return found


def publish(adapters: Adapters, body: dict[str, Any]) -> None:
    for record in body["records"]:
        if record["type"] == "CNAME":
            dns(adapters).cnames[record["name"]] = record["value"]
        else:
            dns(adapters).txt[record["name"]] = [record["value"]]


def active_host(client: FlaskClient, adapters: Adapters, auth: dict[str, str], org: str) -> None:
    put = client.put(f"/orgs/{org}/sign-in-domain", json={"host": HOST}, headers=auth)
    assert put.status_code == 202, put.get_json()
    publish(adapters, put.get_json())
    verified = client.post(f"/orgs/{org}/sign-in-domain/verify", headers=auth)
    assert verified.status_code == 200, verified.get_json()


def audited(
    client: FlaskClient, auth: dict[str, str], org: str
) -> Counter[tuple[str, str | None, str | None]]:
    """The org's ``org.updated`` events of its sign-in host (those of one instant come in any
    order): about whom, who acted (``cli``: the command line), ``via`` (``recheck``: the
    daily re-check)."""
    page = client.get(f"/orgs/{org}/events?limit=100", headers=auth)
    assert page.status_code == 200, page.get_json()
    return Counter(
        (event["user_id"], event["actor_id"], event["via"])
        for event in page.get_json()["items"]
        if (event["type"], event["reason"]) == ("org.updated", "sign_in_domain")
    )


def user_id(client: FlaskClient, auth: dict[str, str]) -> str:
    found: str = client.get("/user", headers=auth).get_json()["id"]
    return found


def test_an_owner_sets_publishes_verifies_and_removes_the_host(
    client: FlaskClient, adapters: Adapters
) -> None:
    alice = signed_in(client, "alice")
    org = verified_org(client, adapters, alice, "acme", "acme.test")

    put = client.put(
        f"/orgs/{org}/sign-in-domain", json={"host": "LOGIN.Acme.test."}, headers=alice
    )
    assert put.status_code == 202, put.get_json()
    body = put.get_json()
    assert (body["host"], body["status"], body["verified_at"]) == (HOST, "pending", None)
    cname, txt = body["records"]
    assert cname == {"type": "CNAME", "name": HOST, "value": TARGET}
    assert txt["type"] == "TXT" and txt["name"] == f"_firegate-host.{HOST}"
    assert txt["value"].startswith("firegate-host-verification=")
    # the same host again: answered as it is, the same token
    again = client.put(f"/orgs/{org}/sign-in-domain", json={"host": HOST}, headers=alice)
    assert again.status_code == 202 and again.get_json()["records"] == body["records"]

    missing = client.post(f"/orgs/{org}/sign-in-domain/verify", headers=alice)
    problem = assert_problem(missing, 409, "sign_in_domain_not_verified")
    assert TARGET in problem["detail"] and txt["value"] in problem["detail"]
    dns(adapters).cnames[HOST] = TARGET + "."  # the CNAME alone: the TXT is named missing
    only_txt = assert_problem(
        client.post(f"/orgs/{org}/sign-in-domain/verify", headers=alice),
        409,
        "sign_in_domain_not_verified",
    )
    assert "CNAME" not in only_txt["detail"] and txt["name"] in only_txt["detail"]
    dns(adapters).txt[txt["name"]] = [txt["value"]]
    verified = client.post(f"/orgs/{org}/sign-in-domain/verify", headers=alice)
    assert verified.status_code == 200, verified.get_json()
    assert verified.get_json()["status"] == "active"
    read = client.get(f"/orgs/{org}/sign-in-domain", headers=alice).get_json()
    assert (read["host"], read["status"]) == (HOST, "active")

    assert audited(client, alice, org) == Counter({(user_id(client, alice), None, None): 2})
    assert client.delete(f"/orgs/{org}/sign-in-domain", headers=alice).status_code == 204
    gone = client.get(f"/orgs/{org}/sign-in-domain", headers=alice)
    assert_problem(gone, 404, "sign_in_domain_not_found")
    # set, verified, removed (the same host again, and checks that failed, change nothing)
    assert audited(client, alice, org) == Counter({(user_id(client, alice), None, None): 3})
    assert_problem(
        client.delete(f"/orgs/{org}/sign-in-domain", headers=alice), 404, "sign_in_domain_not_found"
    )


@pytest.mark.parametrize(
    ("host", "code"),
    [
        ("  ", "invalid_host"),
        ("*.acme.test", "invalid_host"),
        ("10.0.0.1", "invalid_host"),
        ("login.acme.test:8443", "invalid_host"),
        ("login_x.acme.test", "invalid_host"),
        ("acme.test", "invalid_host"),  # the domain itself: no CNAME at a zone's apex
        ("login.other.test", "host_not_on_verified_domain"),
        ("login.xacme.test", "host_not_on_verified_domain"),
    ],
)
def test_a_host_not_under_a_verified_domain_is_refused(
    client: FlaskClient, adapters: Adapters, host: str, code: str
) -> None:
    alice = signed_in(client, "alice")
    org = verified_org(client, adapters, alice, "acme", "acme.test")
    response = client.put(f"/orgs/{org}/sign-in-domain", json={"host": host}, headers=alice)
    problem = assert_problem(response, 422, code)
    assert problem["errors"][0]["field"] == "host"


def test_a_pending_domain_gives_no_host_and_the_services_own_host_is_reserved(
    client: FlaskClient, adapters: Adapters, fake_app: Flask
) -> None:
    alice = signed_in(client, "alice")
    org, _ = new_org(client, alice, "acme", "acme.test")
    pending = client.put(f"/orgs/{org}/sign-in-domain", json={"host": HOST}, headers=alice)
    assert_problem(pending, 422, "host_not_on_verified_domain")
    hosts = services(fake_app).of(SignInHosts)
    assert "127.0.0.1" in hosts.settings.own_hosts  # PUBLIC_URL's
    hosts.settings = replace(hosts.settings, own_hosts=frozenset({HOST}))
    refused = client.put(f"/orgs/{org}/sign-in-domain", json={"host": HOST}, headers=alice)
    assert_problem(refused, 422, "host_reserved")


def test_only_owners_set_verify_or_remove_members_read_others_find_no_org(
    fake_app: Flask, client: FlaskClient, adapters: Adapters
) -> None:
    alice = signed_in(client, "alice")
    org = verified_org(client, adapters, alice, "acme", "acme.test")
    active_host(client, adapters, alice, org)
    bob, carol = signed_in(client, "bob"), signed_in(client, "carol")
    members = services(fake_app).of(OrgServices).members
    members.add_member(AddMember(org, "bob", ("admin",)))
    for response in (
        client.put(f"/orgs/{org}/sign-in-domain", json={"host": HOST}, headers=bob),
        client.post(f"/orgs/{org}/sign-in-domain/verify", headers=bob),
        client.delete(f"/orgs/{org}/sign-in-domain", headers=bob),
    ):
        assert_problem(response, 403, "org_permission_denied")
    assert client.get(f"/orgs/{org}/sign-in-domain", headers=bob).status_code == 200
    for response in (
        client.get(f"/orgs/{org}/sign-in-domain", headers=carol),
        client.put(f"/orgs/{org}/sign-in-domain", json={"host": HOST}, headers=carol),
    ):
        assert_problem(response, 404, "org_not_found")


def test_a_host_is_one_orgs_and_an_active_one_is_removed_before_another_is_set(
    client: FlaskClient, adapters: Adapters
) -> None:
    alice, bob = signed_in(client, "alice"), signed_in(client, "bob")
    acme = verified_org(client, adapters, alice, "acme", "acme.test")
    put = client.put(f"/orgs/{acme}/sign-in-domain", json={"host": HOST}, headers=alice)
    assert put.status_code == 202
    # a pending host is replaced by a new PUT, its name released
    other = client.put(
        f"/orgs/{acme}/sign-in-domain", json={"host": "sso.acme.test"}, headers=alice
    )
    assert other.status_code == 202 and other.get_json()["host"] == "sso.acme.test"
    assert HOST not in store(adapters).claims
    active_host(client, adapters, alice, acme)
    moved = client.put(f"/orgs/{acme}/sign-in-domain", json={"host": "id.acme.test"}, headers=alice)
    assert_problem(moved, 409, "sign_in_domain_active")
    same = client.put(f"/orgs/{acme}/sign-in-domain", json={"host": HOST}, headers=alice)
    assert same.status_code == 200 and same.get_json()["status"] == "active"

    # An org that verified a subdomain of acme.test may name the same hosts: the first
    # org to set one holds it.
    globex = verified_org(client, adapters, bob, "globex", "eu.acme.test")
    first = client.put(f"/orgs/{acme}/sign-in-domain", json={"host": HOST}, headers=alice)
    assert first.status_code == 200
    held = client.put(
        f"/orgs/{globex}/sign-in-domain", json={"host": "x.eu.acme.test"}, headers=bob
    )
    assert held.status_code == 202
    assert client.delete(f"/orgs/{acme}/sign-in-domain", headers=alice).status_code == 204
    taken = client.put(
        f"/orgs/{acme}/sign-in-domain", json={"host": "x.eu.acme.test"}, headers=alice
    )
    assert_problem(taken, 409, "host_taken")


def test_without_org_host_target_the_feature_is_off(
    client: FlaskClient, adapters: Adapters, fake_app: Flask
) -> None:
    alice = signed_in(client, "alice")
    org = verified_org(client, adapters, alice, "acme", "acme.test")
    hosts = services(fake_app).of(SignInHosts)
    hosts.settings = replace(hosts.settings, target="")
    off = client.put(f"/orgs/{org}/sign-in-domain", json={"host": HOST}, headers=alice)
    assert_problem(off, 404, "sign_in_domains_off")


# -- the gate


def test_another_host_is_misdirected_with_no_cookie(client: FlaskClient) -> None:
    for path, method in (
        ("/sign-in", "GET"),
        ("/user", "GET"),
        ("/sign-in", "POST"),
        ("/nope", "GET"),
    ):
        response = client.open(path, method=method, base_url="http://evil.example/")
        problem = assert_problem(response, 421, "misdirected_request")
        assert "Set-Cookie" not in response.headers, (path, method)
        assert problem["status"] == 421
    # the probes are answered whatever the host
    assert client.get("/healthz", base_url="http://evil.example/").status_code == 200
    # the service's own host and, in the local profile, the loopback names pass
    for base in ("http://127.0.0.1:8000/", "http://localhost:5000/", "http://[::1]/"):
        assert client.get("/sign-in", base_url=base).status_code == 200, base


def test_an_active_host_is_served_as_its_orgs_with_host_only_cookies_and_the_same_issuer(
    fake_app: Flask, client: FlaskClient, adapters: Adapters
) -> None:
    alice = signed_in(client, "alice")
    org = verified_org(client, adapters, alice, "acme", "acme.test")
    pending = client.put(f"/orgs/{org}/sign-in-domain", json={"host": HOST}, headers=alice)
    assert pending.status_code == 202
    base = f"http://{HOST}/"
    assert_problem(client.get("/sign-in", base_url=base), 421, "misdirected_request")
    publish(adapters, pending.get_json())
    assert client.post(f"/orgs/{org}/sign-in-domain/verify", headers=alice).status_code == 200

    with fake_app.test_request_context("/sign-in", base_url=base):
        assert sign_in_host_gate() is None
        assert host_org() == org
    with fake_app.test_request_context("/sign-in"):
        assert sign_in_host_gate() is None
        assert host_org() is None
    page = client.get("/sign-in", base_url=base)
    assert page.status_code == 200
    cookies = page.headers.getlist("Set-Cookie")
    assert cookies and all("domain=" not in cookie.lower() for cookie in cookies)
    # tokens issued on the org host carry the same issuer as on the service's own host
    on_host = client.post("/login", json={"username": "alice", "password": PASSWORD}, base_url=base)
    assert on_host.status_code == 200, on_host.get_json()
    own = client.post("/login", json={"username": "alice", "password": PASSWORD})
    assert issuer(on_host.get_json()["access_token"]) == issuer(own.get_json()["access_token"])
    assert all("domain=" not in c.lower() for c in on_host.headers.getlist("Set-Cookie"))


def issuer(token: str) -> str:
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    found: str = claims["iss"]
    return found


def test_the_gate_lists_the_active_hosts_once_a_minute_and_a_change_here_counts_at_once(
    fake_app: Flask, client: FlaskClient, adapters: Adapters
) -> None:
    alice = signed_in(client, "alice")
    org = verified_org(client, adapters, alice, "acme", "acme.test")
    hosts = services(fake_app).of(SignInHosts)
    now = [1000.0]
    hosts.now = lambda: now[0]
    reads = store(adapters).page_reads
    for name in ("unknown.acme.test", "other.acme.test", "a.example", "unknown.acme.test"):
        answer = client.get("/sign-in", base_url=f"http://{name}/")
        assert answer.status_code == 421
    assert store(adapters).page_reads == reads + 1  # one listing, whatever the hosts asked
    now[0] += HOST_TTL + 1
    client.get("/sign-in", base_url="http://unknown.acme.test/")
    assert store(adapters).page_reads == reads + 2

    client.get("/sign-in", base_url=f"http://{HOST}/")  # known: none
    active_host(client, adapters, alice, org)
    assert client.get("/sign-in", base_url=f"http://{HOST}/").status_code == 200
    assert client.delete(f"/orgs/{org}/sign-in-domain", headers=alice).status_code == 204
    assert client.get("/sign-in", base_url=f"http://{HOST}/").status_code == 421


def test_active_origins_name_each_active_host(
    fake_app: Flask, client: FlaskClient, adapters: Adapters
) -> None:
    alice = signed_in(client, "alice")
    org = verified_org(client, adapters, alice, "acme", "acme.test")
    hosts = services(fake_app).of(SignInHosts)
    assert hosts.active_origins() == ()
    active_host(client, adapters, alice, org)
    assert hosts.active_origins() == (f"https://{HOST}",)


# -- the daily re-check


def test_the_sweep_turns_a_lapsed_host_off_and_mails_its_owners(
    fake_app: Flask, client: FlaskClient, adapters: Adapters, job_queue: FakeJobQueue
) -> None:
    alice = signed_in(client, "alice")
    org = verified_org(client, adapters, alice, "acme", "acme.test")
    active_host(client, adapters, alice, org)
    users = adapters_users(adapters)
    user = users.find_by_login("alice")
    assert user is not None
    users.update(user.id, lambda u: u.with_email_verified(datetime.now(UTC)))
    hosts = services(fake_app).of(SignInHosts)
    assert hosts.sweep() == 0  # both records still there
    dns(adapters).txt.clear()
    dns(adapters).failing = True
    assert hosts.sweep() == 0  # no resolver answered: left as it is
    dns(adapters).failing = False
    assert audited(client, alice, org) == Counter({(user.id, None, None): 2})  # set, verified
    assert hosts.sweep() == 1
    # lapsed: about alice, who set it, by the re-check (no person acted)
    assert audited(client, alice, org) == Counter(
        {(user.id, None, None): 2, (user.id, None, "recheck"): 1}
    )
    assert client.get("/sign-in", base_url=f"http://{HOST}/").status_code == 421
    read = client.get(f"/orgs/{org}/sign-in-domain", headers=alice).get_json()
    assert read["status"] == "pending"
    run_jobs(fake_app, job_queue)
    run_jobs(fake_app, job_queue)
    mailer = adapters.of(MailAdapters).mailer
    assert isinstance(mailer, FakeMailer)
    sent = mailer.to("alice@example.com")
    assert len(sent) == 1 and HOST in sent[0].subject and "TXT" in sent[0].text


def adapters_users(adapters: Adapters) -> UserRepository:
    users: UserRepository = adapters.of(AccountsAdapters).users
    return users


# -- the sign-in page


def test_an_org_hosts_sign_in_page_starts_its_sso_first_else_is_the_usual_page(
    fake_app: Flask, client: FlaskClient, adapters: Adapters, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = signed_in(client, "alice")
    org = verified_org(client, adapters, alice, "acme", "acme.test")
    active_host(client, adapters, alice, org)
    page = client.get("/sign-in", base_url=f"http://{HOST}/")
    assert page.status_code == 200 and "Refresh" not in page.headers

    discovery = services(fake_app).of(SsoServices).discovery
    asked: list[str] = []

    class Start:
        url = "http://127.0.0.1:8000/sso/c1/oidc"

    def of_org(org_id: str) -> Any:
        asked.append(org_id)
        return Start()

    monkeypatch.setattr(type(discovery), "of_org", lambda _self, org_id: of_org(org_id))
    started = client.get("/sign-in?next=/account", base_url=f"http://{HOST}/")
    assert started.status_code == 200
    assert started.headers["Refresh"] == "0; url=http://127.0.0.1:8000/sso/c1/oidc?next=%2Faccount"
    assert asked == [org]
    # on the service's own host, the usual page
    assert "Refresh" not in client.get("/sign-in").headers


# -- passkeys on an org's host (docs/reference/passkeys.md, "Related origins")

ELSEWHERE = re.compile(r'<p class="notice" id="passkeys-elsewhere"( hidden)?>')


def offers_passkeys(html: str, box: str = "passkey-sign-in") -> tuple[bool, list[str]]:
    """Whether the page offers passkeys where it was asked (the sentence that sends the
    person elsewhere hidden), and the origins its script is told they work on."""
    elsewhere = ELSEWHERE.search(html)
    origins = re.search(rf'<div id="{box}" hidden [^>]*data-origins="([^"]*)"', html)
    assert elsewhere is not None and origins is not None
    return elsewhere[1] is not None, origins[1].split()


def test_an_active_hosts_sign_in_page_offers_passkeys_and_a_host_not_listed_does_not(
    fake_app: Flask, client: FlaskClient, adapters: Adapters
) -> None:
    alice = signed_in(client, "alice")
    org = verified_org(client, adapters, alice, "acme", "acme.test")
    # the service's own loopback address is none of WEBAUTHN_ORIGINS (http://localhost:8000)
    own = offers_passkeys(client.get("/sign-in").get_data(as_text=True))
    assert own == (False, ["http://localhost:8000"])
    active_host(client, adapters, alice, org)

    on_host = client.get("/sign-in", base_url=f"http://{HOST}/").get_data(as_text=True)
    assert offers_passkeys(on_host) == (True, ["http://localhost:8000", f"https://{HOST}"])
    # the kept page of the service's own address is told of the new host too
    assert offers_passkeys(client.get("/sign-in").get_data(as_text=True)) == (
        False,
        ["http://localhost:8000", f"https://{HOST}"],
    )
    with fake_app.test_request_context("/sign-in", base_url=f"https://{HOST}:443/"):
        assert browser.passkeys_here()
    with fake_app.test_request_context("/sign-in", base_url=f"http://{HOST}:8443/"):
        assert not browser.passkeys_here()  # another port: another origin
    with fake_app.test_request_context("/sign-in", base_url="http://other.acme.test/"):
        assert not browser.passkeys_here()

    # removed: no page offers them there from the next request on
    assert client.delete(f"/orgs/{org}/sign-in-domain", headers=alice).status_code == 204
    with fake_app.test_request_context("/sign-in", base_url=f"http://{HOST}/"):
        assert not browser.passkeys_here()
    assert offers_passkeys(client.get("/sign-in").get_data(as_text=True)) == own


def test_the_account_on_an_active_host_offers_adding_a_passkey(
    client: FlaskClient, adapters: Adapters
) -> None:
    alice = signed_in(client, "alice")
    org = verified_org(client, adapters, alice, "acme", "acme.test")
    active_host(client, adapters, alice, org)
    base = f"http://{HOST}/"
    page = client.get("/sign-in", base_url=base).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    form = {"username": "alice", "password": PASSWORD, "csrf_token": token[1]}
    assert client.post("/sign-in", data=form, base_url=base).status_code == 303
    security = client.get("/account/security", base_url=base)
    assert security.status_code == 200
    html = security.get_data(as_text=True)
    assert offers_passkeys(html, "passkey-add") == (
        True,
        ["http://localhost:8000", f"https://{HOST}"],
    )


def test_host_names_and_host_headers() -> None:
    assert host_name("Login.Bücher.Example.") == "login.xn--bcher-kva.example"
    assert host_of("Login.Acme.Test:8443") == "login.acme.test"
    assert host_of("[::1]:8000") == "::1"
    assert host_of("acme.test.") == "acme.test"
    found = SignInHost.create("o", HOST, "u", datetime.now(UTC))
    assert found.missing(None, [], TARGET) == ("CNAME", "TXT")
    assert found.missing(TARGET.upper() + ".", [found.txt_value], TARGET) == ()
    assert found.missing(TARGET, [found.txt_value + "x"], TARGET) == ("TXT",)


def test_outside_the_local_profile_a_loopback_name_is_another_host(
    fake_app: Flask, client: FlaskClient
) -> None:
    hosts = services(fake_app).of(SignInHosts)
    assert hosts.settings.loopback  # the tests' local profile
    hosts.settings = replace(hosts.settings, loopback=False, own_hosts=frozenset({"id.test"}))
    for base in ("http://localhost:8000/", "http://127.0.0.1:8000/", "http://[::1]/"):
        answer = client.get("/sign-in", base_url=base)
        assert_problem(answer, 421, "misdirected_request")
        assert "Set-Cookie" not in answer.headers
    assert client.get("/sign-in", base_url="https://id.test:8443/").status_code == 200


def test_the_services_own_hosts_are_public_urls_and_with_pubsub_its_pushes() -> None:
    local = host_settings(make_settings(public_url="https://id.example.com:8443"))
    assert (local.own_hosts, local.loopback) == (frozenset({"id.example.com"}), True)
    pushed = host_settings(
        make_settings(
            public_url="https://id.example.com",
            job_queue="pubsub",
            job_push_token="t" * 32,
            job_push_endpoint="https://firegate-abc-uc.a.run.app/internal/jobs",
            job_push_audience="https://push.example.com/internal/jobs",
            org_host_target="Hosts.Firegate.Example.",
        )
    )
    assert pushed.own_hosts == {
        "id.example.com",
        "firegate-abc-uc.a.run.app",
        "push.example.com",
    }
    assert pushed.target == TARGET


def test_the_operators_commands_list_verify_and_remove_the_hosts(
    fake_app: Flask, client: FlaskClient, adapters: Adapters
) -> None:
    alice = signed_in(client, "alice")
    org = verified_org(client, adapters, alice, "acme", "acme.test")
    put = client.put(f"/orgs/{org}/sign-in-domain", json={"host": HOST}, headers=alice)
    assert put.status_code == 202
    cli = fake_app.test_cli_runner()
    listed = cli.invoke(args=["orgs", "sign-in-domain", "list"])
    assert listed.exit_code == 0 and listed.output == f"{org}\t{HOST}\tpending\n"
    assert cli.invoke(args=["orgs", "sign-in-domain", "list", "--active"]).output == ""
    refused = cli.invoke(args=["orgs", "sign-in-domain", "verify", org])
    assert refused.exit_code == 1 and "sign_in_domain_not_verified" in refused.output
    publish(adapters, put.get_json())
    verified = cli.invoke(args=["orgs", "sign-in-domain", "verify", org])
    assert verified.exit_code == 0 and verified.output == f"{HOST}\tactive\n"
    active = cli.invoke(args=["orgs", "sign-in-domain", "list", "--active"])
    assert active.output == f"{org}\t{HOST}\tactive\n"
    swept = cli.invoke(args=["orgs", "sign-in-domain", "sweep"])
    assert swept.exit_code == 0 and swept.output == "0 host(s) lapsed\n"
    removed = cli.invoke(args=["orgs", "sign-in-domain", "remove", org])
    assert removed.exit_code == 0 and removed.output == f"{HOST} removed\n"
    again = cli.invoke(args=["orgs", "sign-in-domain", "remove", org])
    assert again.exit_code == 1 and "sign_in_domain_not_found" in again.output
    # set by alice; verified and removed on the command line, about alice, who set it
    alice_id = user_id(client, alice)
    assert audited(client, alice, org) == Counter(
        {(alice_id, None, None): 1, (alice_id, "cli", None): 2}
    )


def test_verifying_is_limited_per_address() -> None:
    world = World(org_host_target=TARGET, rate_limit_org_dns_checks="2/minute")
    alice = signed_in(world.client, "alice")
    org = verified_org(world.client, world.adapters, alice, "acme", "acme.test")
    put = world.client.put(f"/orgs/{org}/sign-in-domain", json={"host": HOST}, headers=alice)
    assert put.status_code == 202
    answers = [
        world.client.post(f"/orgs/{org}/sign-in-domain/verify", headers=alice).status_code
        for _ in range(3)
    ]
    assert answers == [409, 409, 429]


def test_a_deleted_orgs_host_is_refused_and_its_purge_frees_the_name(
    fake_app: Flask, client: FlaskClient, adapters: Adapters, job_queue: FakeJobQueue
) -> None:
    alice = signed_in(client, "alice")
    org = verified_org(client, adapters, alice, "acme", "acme.test")
    active_host(client, adapters, alice, org)
    assert client.get("/sign-in", base_url=f"http://{HOST}/").status_code == 200
    assert client.delete(f"/orgs/{org}", headers=alice).status_code == 204
    services(fake_app).of(SignInHosts).now = lambda: 1e12  # past the process's minute
    assert_problem(client.get("/sign-in", base_url=f"http://{HOST}/"), 421, "misdirected_request")
    run_jobs(fake_app, job_queue)
    assert store(adapters).hosts == {} and store(adapters).claims == {}


def test_a_host_whose_domain_is_deleted_lapses_at_the_next_check(
    fake_app: Flask, client: FlaskClient, adapters: Adapters
) -> None:
    alice = signed_in(client, "alice")
    org = verified_org(client, adapters, alice, "acme", "acme.test")
    active_host(client, adapters, alice, org)
    assert client.delete(f"/orgs/{org}/domains/acme.test", headers=alice).status_code == 204
    assert services(fake_app).of(SignInHosts).sweep() == 1
    assert (
        client.get(f"/orgs/{org}/sign-in-domain", headers=alice).get_json()["status"] == "pending"
    )
    again = client.post(f"/orgs/{org}/sign-in-domain/verify", headers=alice)
    detail = assert_problem(again, 409, "sign_in_domain_not_verified")["detail"]
    assert "verified domain" in detail and "CNAME" not in detail


def test_a_firebase_custom_token_is_the_same_on_an_org_host(
    client: FlaskClient, adapters: Adapters, custom_tokens: FakeCustomTokens
) -> None:
    alice = signed_in(client, "alice")
    org = verified_org(client, adapters, alice, "acme", "acme.test")
    active_host(client, adapters, alice, org)
    base = f"http://{HOST}/"
    login = {"username": "alice", "password": PASSWORD}
    on_host = client.post("/login", json=login, base_url=base).get_json()["access_token"]
    own = client.post("/login", json=login).get_json()["access_token"]
    there = client.post(PATH, headers=bearer(on_host), base_url=base)
    here = client.post(PATH, headers=bearer(own))
    assert there.status_code == here.status_code == 200, there.get_json()
    minted, mine = (
        payload(there.get_json()["custom_token"]),
        payload(here.get_json()["custom_token"]),
    )
    assert (minted["uid"], minted["aud"], minted["claims"]) == (
        mine["uid"],
        mine["aud"],
        mine["claims"],
    )
