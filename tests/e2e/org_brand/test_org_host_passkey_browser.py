"""An org's own sign-in host in a real browser (docs/reference/org-sign-in-domain.md,
docs/reference/passkeys.md, "Related origins"): Debian's Chromium and its virtual
authenticator, the app over HTTPS on the Firestore emulator, ``DNS_RESOLVER`` the tests' own
DNS server (tests/support/dns_server.py). An org verifies its domain, sets its sign-in host
and verifies it through the routes; the host is then served as the org's, under its brand,
and a passkey made on PUBLIC_URL's host signs in there, the host being listed in the RP ID's
``/.well-known/webauthn``, by a script and by the sign-in page's own button. A host that is
not active, the org's before it is verified or one nobody set, is answered 421 by the unit's
gate.

The hosts are under real public suffixes (tests/support/tls_hosts.py says why)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page

from tests.fakes.kernel import FakeJobQueue
from tests.support.api import bearer, login, register
from tests.support.app import app_on_emulator
from tests.support.browser import virtual_authenticator
from tests.support.dns_server import DnsServer, dns_server
from tests.support.settings import make_settings
from tests.support.tls_hosts import (
    SIGN_IN_WITH_A_PASSKEY,
    SIGN_UP_AND_ADD_A_PASSKEY,
    Served,
    chromium_for,
    served_over_tls,
)
from tests.unit.org_brand.fakes import PNG

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]
RP_HOST = "id.firegate.example.com"  # PUBLIC_URL's host and the RP ID
DOMAIN = "acme.example.net"  # the org's verified domain: another registrable domain
ORG_HOST = f"login.{DOMAIN}"  # the org's own sign-in host
STRANGER_HOST = "login.evil.example.org"  # served by the same server, nobody's host
TARGET = "hosts.firegate.example.com"  # ORG_HOST_TARGET
BRAND = "Acme Rockets"
# A browser without passkey autofill: the pages' script offers its button only (Chromium's
# virtual authenticator would answer the autofill's request at once, signing in on load).
NO_AUTOFILL = "PublicKeyCredential.isConditionalMediationAvailable = async () => false;"


@pytest.fixture(scope="module")
def dns() -> Iterator[DnsServer]:
    with dns_server() as server:
        yield server


@pytest.fixture
def app(firestore: Any, dns: DnsServer) -> Flask:
    settings = make_settings(
        public_url=f"https://{RP_HOST}",
        webauthn_rp_id=RP_HOST,
        webauthn_origins=[f"https://{RP_HOST}"],
        org_host_target=TARGET,
        dns_resolver=dns.address,
    )
    return app_on_emulator(settings, firestore, FakeJobQueue())


@pytest.fixture
def served(app: Flask, tmp_path: Path) -> Iterator[Served]:
    with served_over_tls(app, (RP_HOST, ORG_HOST, STRANGER_HOST), tmp_path) as found:
        yield found


@pytest.fixture
def page(served: Served) -> Iterator[Page]:
    with chromium_for(served) as found:
        yield found


def acme_with_a_pending_host(app: Flask, dns: DnsServer) -> tuple[dict[str, str], list[Any]]:
    """Olga's org acme, its domain verified through its TXT record and branded, its sign-in
    host set: her session and the host's records to publish (CNAME, TXT)."""
    client = app.test_client()  # the service's own loopback name, in the local profile
    register(client, "olga")
    olga = bearer(login(client, "olga"))
    made = client.post("/orgs", json={"slug": "acme", "name": "Acme"}, headers=olga)
    assert made.status_code == 201, made.get_json()
    added = client.post("/orgs/acme/domains", json={"domain": DOMAIN}, headers=olga)
    assert added.status_code == 201, added.get_json()
    record = added.get_json()["record"]
    dns.zone.set_txt(record["name"], record["value"])
    verified = client.post(f"/orgs/acme/domains/{DOMAIN}/verify", headers=olga)
    assert verified.status_code == 200, verified.get_json()
    brand = {"display_name": BRAND, "logo_url": PNG, "color": "#7b1fa2"}
    assert client.put("/orgs/acme/brand", json=brand, headers=olga).status_code == 200
    put = client.put("/orgs/acme/sign-in-domain", json={"host": ORG_HOST}, headers=olga)
    assert put.status_code == 202, put.get_json()
    assert put.get_json()["status"] == "pending"
    return olga, put.get_json()["records"]


def origins(page: Page) -> Any:
    answer = page.goto(f"https://{RP_HOST}/.well-known/webauthn")
    assert answer is not None and answer.ok
    return answer.json()["origins"]


def refused(page: Page, host: str) -> None:
    """The host's sign-in page does not load: 421 ``misdirected_request``, no cookie."""
    answer = page.goto(f"https://{host}/sign-in")
    assert answer is not None
    assert answer.status == 421
    assert answer.json()["code"] == "misdirected_request"
    assert answer.header_value("set-cookie") is None


def test_a_passkey_made_on_the_main_host_signs_in_on_the_orgs_active_host(
    app: Flask, dns: DnsServer, page: Page
) -> None:
    olga, (cname, txt) = acme_with_a_pending_host(app, dns)
    assert cname["value"] == TARGET

    # Pending: the gate refuses the host, and the RP ID lists only its own origin (asked
    # beside the browser, which keeps the list it reads for a while).
    refused(page, ORG_HOST)
    listed = app.test_client().get("/.well-known/webauthn", base_url=f"https://{RP_HOST}/")
    assert listed.get_json()["origins"] == [f"https://{RP_HOST}"]

    dns.zone.set_cname(ORG_HOST, TARGET + ".")
    dns.zone.set_txt(txt["name"], txt["value"])
    verified = app.test_client().post("/orgs/acme/sign-in-domain/verify", headers=olga)
    assert verified.status_code == 200, verified.get_json()
    assert verified.get_json()["status"] == "active"
    assert origins(page) == [f"https://{RP_HOST}", f"https://{ORG_HOST}"]

    # A passkey made on PUBLIC_URL's host, for its RP ID.
    page.context.add_init_script(NO_AUTOFILL)
    cdp, authenticator = virtual_authenticator(page)
    page.goto(f"https://{RP_HOST}/sign-in")
    assert BRAND not in page.locator("header").inner_text()
    assert page.evaluate(SIGN_UP_AND_ADD_A_PASSKEY, "rhea") == "stored"
    [credential] = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})[
        "credentials"
    ]
    assert credential["rpId"] == RP_HOST

    # The same tab, so the same authenticator, on the org's host: its page wears the org's
    # brand, and Chromium, finding the origin in the RP ID's list, lets it use the passkey.
    shown = page.goto(f"https://{ORG_HOST}/sign-in")
    assert shown is not None and shown.status == 200
    assert BRAND in page.locator("header").inner_text()
    assert page.evaluate(SIGN_IN_WITH_A_PASSKEY) == {"status": 200, "username": "rhea"}

    # And through the page's own button: the host is among the origins the pages read, so
    # its sign-in page offers passkeys (no "Passkeys work on ..." there), and signs in.
    page.goto(f"https://{ORG_HOST}/sign-in")
    button = page.get_by_role("button", name="Sign in with a passkey")
    button.wait_for()  # shown by the script
    assert page.locator("#passkeys-elsewhere").is_hidden()
    button.click()
    page.wait_for_url(f"https://{ORG_HOST}/account")
    assert "rhea" in page.inner_text("main")

    # A host of the same server that is nobody's: refused before any page.
    refused(page, STRANGER_HOST)
