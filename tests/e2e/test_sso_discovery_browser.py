"""Home-realm discovery and ``require_sso`` end to end: gunicorn on the emulators, a local DNS
server for the org's domain, pysaml2's own IdP served over HTTP with its own sign-in page
(tests/support/saml_idp_site.py), and Debian's Chromium. An address on the verified domain
goes from ``/sign-in`` to the IdP and back to ``/account`` with an account and a membership
made; an address elsewhere gets the password step; a member held by ``require_sso`` is
refused by password and sent to the IdP, a break-glass owner is not
(docs/reference/sso.md, "Home-realm discovery", "Requiring single sign-on")."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from playwright.sync_api import Page

from tests.support.api import PASSWORD, bearer
from tests.support.browser import chromium, fill, violations
from tests.support.dns_server import DnsServer, dns_server
from tests.support.orgs import set_member
from tests.support.saml_idp import ENTITY_ID, KeyPair, key_pair
from tests.support.saml_idp_site import SamlIdpSite, saml_idp_site
from tests.support.servers import free_port, serving

# An active connection left behind would turn other modules' sign-in pages address-first.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240), pytest.mark.usefixtures("emptied_after")]
CORP = "corp.example"


@pytest.fixture(scope="module")
def keys() -> KeyPair:
    return key_pair()


@pytest.fixture(scope="module")
def idp(keys: KeyPair) -> Iterator[SamlIdpSite]:
    with saml_idp_site(keys) as site:
        yield site


@dataclass
class Served:
    url: str
    dns: DnsServer  # the service's DNS_RESOLVER: where the org's domain is proven


@pytest.fixture(scope="module")
def served(emulators: Any) -> Iterator[Served]:
    """gunicorn with PUBLIC_URL its own address (the SAML service provider's ACS and entity
    ID are under it) and one worker (one process's memory of whether any org has SSO)."""
    port = free_port()
    env = {"PORT": str(port), "PUBLIC_URL": f"http://127.0.0.1:{port}", "WEB_CONCURRENCY": "1"}
    with (
        dns_server() as dns,
        serving("gunicorn-sso-discovery.log", DNS_RESOLVER=dns.address, **env) as url,
    ):
        yield Served(url, dns)


@dataclass
class Corp:
    url: str
    owner: dict[str, str]
    owner_id: str
    org_id: str
    connection_id: str


def account(url: str, name: str, email: str) -> tuple[dict[str, str], str]:
    """A new account with ``email``, signed in: its bearer header and id."""
    body = {"username": name, "email": email, "password": PASSWORD}
    made = requests.post(f"{url}/register", json=body, timeout=60)
    assert made.status_code == 201, made.text
    login = requests.post(f"{url}/login", json={"username": name, "password": PASSWORD}, timeout=60)
    assert login.status_code == 200, login.text
    return bearer(login.json()["access_token"]), str(made.json()["id"])


def proven(firestore: Any, user_id: str) -> None:
    """The account's address proven (as its verification mail's link would)."""
    firestore.collection("users").document(user_id).update({"email_verified": True})


@pytest.fixture
def corp(served: Served, idp: SamlIdpSite, keys: KeyPair, firestore: Any) -> Corp:
    """Org ``corp``, owned by olga@corp.example (proven), with corp.example verified and an
    active SAML connection to the IdP's site."""
    url = served.url
    owner, owner_id = account(url, "olga", f"olga@{CORP}")
    proven(firestore, owner_id)
    org = requests.post(
        f"{url}/orgs", json={"slug": "corp", "name": "Corp"}, headers=owner, timeout=30
    )
    assert org.status_code == 201, org.text
    added = requests.post(
        f"{url}/orgs/corp/domains", json={"domain": CORP}, headers=owner, timeout=30
    )
    record = added.json()["record"]
    served.dns.zone.set_txt(record["name"], record["value"])
    verified = requests.post(f"{url}/orgs/corp/domains/{CORP}/verify", headers=owner, timeout=30)
    assert verified.status_code == 200, verified.text
    made = requests.post(
        f"{url}/orgs/corp/connections",
        json={
            "kind": "saml",
            "name": "Corp IdP",
            "saml": {"entity_id": ENTITY_ID, "sso_url": idp.sso_url, "certificates": [keys.der]},
            "mapping": {"email": "mail"},
            "status": "active",
        },
        headers=owner,
        timeout=60,
    )
    assert made.status_code == 201, made.text
    connection = made.json()
    metadata = requests.get(f"{url}/sso/{connection['id']}/saml/metadata", timeout=30).text
    idp.trust(metadata, connection["saml"]["acs_url"], connection["saml"]["sp_entity_id"])
    return Corp(url, owner, owner_id, org.json()["id"], connection["id"])


def through_the_idp(page: Page, idp: SamlIdpSite, email: str) -> None:
    """On the IdP's sign-in page: sign in as ``email``, and go on to the service."""
    page.wait_for_url(lambda address: address.startswith(f"{idp.sso_url}?"))
    fill(page, email=email)
    page.click("text=Sign in to Corp IdP")
    page.click("text=Continue to the service")


def fits(page: Page) -> None:
    """axe-clean, and usable 375 px wide (nothing wider than the screen)."""
    assert violations(page) == []
    page.set_viewport_size({"width": 375, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_apps_discover_the_domains_connection(corp: Corp) -> None:
    found = requests.get(f"{corp.url}/sso/discover", params={"email": f"ada@{CORP}"}, timeout=30)
    assert found.status_code == 200, found.text
    assert found.json() == {
        "connection": {"id": corp.connection_id, "kind": "saml", "name": "Corp IdP"},
        "url": f"{corp.url}/sso/{corp.connection_id}/saml",
        "domain": CORP,
    }
    other = requests.get(
        f"{corp.url}/sso/discover", params={"email": "ada@else.example"}, timeout=30
    )
    assert other.status_code == 404 and other.json()["code"] == "sso_not_found"


def test_an_address_on_the_domain_signs_in_at_the_idp(corp: Corp, idp: SamlIdpSite) -> None:
    with chromium(javascript=True) as page:
        page.goto(f"{corp.url}/sign-in")
        assert page.locator("input[name=password]").count() == 0  # the address first
        fits(page)
        fill(page, username=f"ada@{CORP}")
        page.click("button:has-text('Continue')")
        through_the_idp(page, idp, f"ada@{CORP}")
        page.wait_for_url(f"{corp.url}/account")
        assert f"ada@{CORP}" in page.content()
    members = requests.get(f"{corp.url}/orgs/corp/members", headers=corp.owner, timeout=30)
    assert members.status_code == 200, members.text
    assert sorted(m["roles"] for m in members.json()["items"]) == [["member"], ["owner"]]


def test_an_address_elsewhere_gets_the_password_step(corp: Corp) -> None:
    account(corp.url, "max", "max@else.example")
    with chromium(javascript=False) as page:  # no script needed
        page.goto(f"{corp.url}/sign-in")
        fill(page, username="max@else.example")
        page.click("button:has-text('Continue')")
        assert page.input_value("input[name=username]") == "max@else.example"
        fill(page, password=PASSWORD)
        page.click("button:has-text('Sign in')")
        page.wait_for_url(f"{corp.url}/account")


def test_a_member_held_by_require_sso_goes_to_the_idp_and_a_break_glass_owner_does_not(
    corp: Corp, idp: SamlIdpSite, firestore: Any
) -> None:
    _, kim = account(corp.url, "kim", f"kim@{CORP}")
    proven(firestore, kim)
    set_member(firestore, corp.org_id, kim, ("member",))
    required = requests.patch(
        f"{corp.url}/orgs/corp",
        json={"require_sso": True, "sso_break_glass": [corp.owner_id]},
        headers=corp.owner,
        timeout=30,
    )
    assert required.status_code == 200, required.text
    refused = requests.post(
        f"{corp.url}/login", json={"username": "kim", "password": PASSWORD}, timeout=60
    )
    assert refused.status_code == 403, refused.text
    assert refused.json()["code"] == "sso_required"
    assert refused.json()["url"] == f"{corp.url}/sso/{corp.connection_id}/saml"
    glass = requests.post(
        f"{corp.url}/login", json={"username": "olga", "password": PASSWORD}, timeout=60
    )
    assert glass.status_code == 200, glass.text
    with chromium(javascript=True) as page:  # by username, then the password: to the IdP
        page.goto(f"{corp.url}/sign-in")
        fill(page, username="kim")
        page.click("button:has-text('Continue')")
        fits(page)  # the password step
        fill(page, password=PASSWORD)
        page.click("button:has-text('Sign in')")
        through_the_idp(page, idp, f"kim@{CORP}")
        page.wait_for_url(f"{corp.url}/account")
        assert f"kim@{CORP}" in page.content()
