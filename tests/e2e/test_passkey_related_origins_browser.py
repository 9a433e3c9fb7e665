"""One passkey on two domains in a real browser (docs/reference/passkeys.md, "Related
origins"): Debian's Chromium, its virtual authenticator, the app over HTTPS under the RP ID's
host and under a host of another domain that a unit of the test's own adds to
``PASSKEY_ORIGINS``.

Chromium resolves the hosts to the test's server (``--host-resolver-rules``, port 443 of
each name to the server's port: the origins carry no port, and the browser fetches
``https://{RP ID}/.well-known/webauthn`` on 443) and trusts its trustme certificate by its
key (``--ignore-certificate-errors-spki-list``: the connection is then as valid as a
publicly trusted one, which WebAuthn asks; a page with a certificate error may not use it).
The hosts are under real public suffixes: Chromium counts a related origin by the label of
its registrable domain, which a made-up top-level domain has none of."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from playwright.sync_api import Page

from application.signin.factors.passkeys import PASSKEY_ORIGINS
from bootstrap.unit import Placed, Unit
from tests.support.app import World
from tests.support.browser import virtual_authenticator
from tests.support.tls_hosts import (
    SIGN_IN_WITH_A_PASSKEY,
    SIGN_UP_AND_ADD_A_PASSKEY,
    Served,
    chromium_for,
    served_over_tls,
)

pytestmark = pytest.mark.e2e
RP_HOST = "id.firegate.example.com"  # PUBLIC_URL's host and the RP ID
ORG_HOST = "login.acme.example.net"  # an org's own sign-in host: another domain
STRANGER_HOST = "login.evil.example.org"  # served by the same app, listed nowhere
HOSTS = (RP_HOST, ORG_HOST, STRANGER_HOST)


class OrgHosts(World):
    """The app on the fakes, with a unit of the test's own that adds the org's host to the
    passkeys' origins."""

    def own_units(self) -> Sequence[Placed[Any]]:
        def hosts() -> Sequence[str]:
            return (f"https://{ORG_HOST}",)

        return (Placed(Unit[None](name="org_hosts", fills=(PASSKEY_ORIGINS(hosts),)), None),)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    world = OrgHosts(
        # The org brand unit's gate answers a host that is no active org host 421: the hosts
        # here are the test's own unit's, and the third is served to be refused by the browser.
        units_off=["org_brand"],
        public_url=f"https://{RP_HOST}",
        webauthn_rp_id=RP_HOST,
        webauthn_origins=[f"https://{RP_HOST}"],
    )
    with served_over_tls(world.app, HOSTS, tmp_path_factory.mktemp("tls")) as found:
        yield found


@pytest.fixture
def page(served: Served) -> Iterator[Page]:
    with chromium_for(served) as found:
        yield found


def test_the_rp_ids_host_lists_the_org_host(page: Page) -> None:
    answer = page.goto(f"https://{RP_HOST}/.well-known/webauthn")
    assert answer is not None and answer.ok
    assert answer.json() == {"origins": [f"https://{RP_HOST}", f"https://{ORG_HOST}"]}


def test_a_passkey_made_on_the_rp_ids_host_signs_in_on_the_org_host(page: Page) -> None:
    cdp, authenticator = virtual_authenticator(page)
    page.goto(f"https://{RP_HOST}/sign-in")
    assert page.evaluate(SIGN_UP_AND_ADD_A_PASSKEY, "rhea") == "stored"
    [credential] = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})[
        "credentials"
    ]
    assert credential["rpId"] == RP_HOST

    # The same tab, so the same authenticator, on the org's host: Chromium fetches the RP
    # ID's /.well-known/webauthn, finds this origin there and lets the page use the passkey.
    page.goto(f"https://{ORG_HOST}/sign-in")
    assert page.evaluate(SIGN_IN_WITH_A_PASSKEY) == {"status": 200, "username": "rhea"}

    # A host of the same app that no list names: the browser refuses before any answer.
    page.goto(f"https://{STRANGER_HOST}/sign-in")
    assert page.evaluate(SIGN_IN_WITH_A_PASSKEY) == {"refused": "SecurityError"}
