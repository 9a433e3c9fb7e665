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

import base64
import hashlib
import ssl
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from playwright.sync_api import Page
from werkzeug.serving import make_server

from application.signin.factors.passkeys import PASSKEY_ORIGINS
from bootstrap.unit import Placed, Unit
from tests.support.api import PASSWORD
from tests.support.app import World
from tests.support.browser import chromium_launched_with, virtual_authenticator
from tests.support.local_servers import in_thread

pytestmark = pytest.mark.e2e
RP_HOST = "id.firegate.example.com"  # PUBLIC_URL's host and the RP ID
ORG_HOST = "login.acme.example.net"  # an org's own sign-in host: another domain
STRANGER_HOST = "login.evil.example.org"  # served by the same app, listed nowhere
HOSTS = (RP_HOST, ORG_HOST, STRANGER_HOST)

# The page's own calls of the JSON API, as an app's front end makes them.
SIGN_UP_AND_ADD_A_PASSKEY = """
async (name) => {
  const json = (body, token) => ({
    method: "POST",
    headers: {"Content-Type": "application/json",
              ...(token ? {Authorization: `Bearer ${token}`} : {})},
    body: JSON.stringify(body),
  });
  const made = await fetch("/register", json({username: name, email: `${name}@example.com`,
                                              password: PASSWORD}));
  if (made.status !== 201) return `register: ${made.status}`;
  const pair = await (await fetch("/login", json({username: name, password: PASSWORD}))).json();
  const token = pair.access_token;
  const options = await (await fetch("/auth/passkeys/registration/options", json({}, token)))
    .json();
  const credential = await navigator.credentials.create({
    publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options),
  });
  const stored = await fetch("/auth/passkeys/registration", json(credential.toJSON(), token));
  return stored.status === 201 ? "stored" : `registration: ${stored.status}`;
}
""".replace("PASSWORD", repr(PASSWORD))
SIGN_IN_WITH_A_PASSKEY = """
async () => {
  const post = (body) => ({method: "POST", headers: {"Content-Type": "application/json"},
                           body: JSON.stringify(body)});
  const options = await (await fetch("/auth/passkeys/authentication/options", post({})))
    .json();
  let credential;
  try {
    credential = await navigator.credentials.get({
      publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options),
    });
  } catch (error) {
    return {refused: error.name};
  }
  const answer = await fetch("/auth/passkeys/authentication", post(credential.toJSON()));
  const body = await answer.json();
  if (answer.status !== 200) return {status: answer.status, code: body.code};
  const user = await fetch("/user", {headers: {Authorization: `Bearer ${body.access_token}`}});
  return {status: 200, username: (await user.json()).username};
}
"""


class OrgHosts(World):
    """The app on the fakes, with a unit of the test's own that adds the org's host to the
    passkeys' origins."""

    def own_units(self) -> Sequence[Placed[Any]]:
        def hosts() -> Sequence[str]:
            return (f"https://{ORG_HOST}",)

        return (Placed(Unit[None](name="org_hosts", fills=(PASSKEY_ORIGINS(hosts),)), None),)


@dataclass
class Served:
    port: int
    spki: str  # the certificate's key, as --ignore-certificate-errors-spki-list takes it


def spki_hash(certificate_pem: bytes) -> str:
    """base64 of the SHA-256 of the certificate's SubjectPublicKeyInfo."""
    key = x509.load_pem_x509_certificate(certificate_pem).public_key()
    der = key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


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
    leaf = trustme.CA().issue_cert(*HOSTS)
    folder = Path(tmp_path_factory.mktemp("tls"))
    chain, key = folder / "chain.pem", folder / "key.pem"
    chain.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    leaf.private_key_pem.write_to_path(str(key))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(chain), str(key))
    server = make_server("127.0.0.1", 0, world.app, threaded=True, ssl_context=context)
    with in_thread(server):
        yield Served(server.server_port, spki_hash(leaf.cert_chain_pems[0].bytes()))


@pytest.fixture
def page(served: Served) -> Iterator[Page]:
    rules = ", ".join(f"MAP {host}:443 127.0.0.1:{served.port}" for host in HOSTS)
    with chromium_launched_with(
        f"--host-resolver-rules={rules}",
        f"--ignore-certificate-errors-spki-list={served.spki}",
        # The page's own script calls the API: the pages' CSP is not what is tested here.
        bypass_csp=True,
    ) as context:
        yield context.new_page()


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
