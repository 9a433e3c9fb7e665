"""The app over HTTPS under several host names, for Debian's Chromium (the passkeys' related
origins, docs/reference/passkeys.md): a trustme certificate for the names, the app behind
werkzeug's TLS server (``served_over_tls``), a Chromium that resolves each name's port 443 to
that server and trusts the certificate by its key (``chromium_for``), and the page's own
calls of the JSON API that make a passkey and sign in with it.

Chromium is launched with ``--host-resolver-rules`` (the origins carry no port, and the
browser fetches ``https://{RP ID}/.well-known/webauthn`` on 443) and
``--ignore-certificate-errors-spki-list`` (the connection is then as valid as a publicly
trusted one, which WebAuthn asks; a page with a certificate error may not use it). The names
should be under real public suffixes: Chromium counts a related origin by the label of its
registrable domain, which a made-up top-level domain has none of."""

from __future__ import annotations

import base64
import hashlib
import ssl
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import trustme
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask import Flask
from playwright.sync_api import Page
from werkzeug.serving import make_server

from tests.support.api import PASSWORD
from tests.support.browser import chromium_launched_with
from tests.support.local_servers import in_thread

# The page's own calls of the JSON API, as an app's front end makes them: an account made,
# signed in, and a passkey added ("stored", or what went wrong).
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
# A sign-in with a discoverable passkey: the username signed in, the browser's refusal, or
# the service's answer.
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


@dataclass
class Served:
    port: int
    spki: str  # the certificate's key, as --ignore-certificate-errors-spki-list takes it
    hosts: tuple[str, ...]  # the names the certificate is for


def spki_hash(certificate_pem: bytes) -> str:
    """base64 of the SHA-256 of the certificate's SubjectPublicKeyInfo."""
    key = x509.load_pem_x509_certificate(certificate_pem).public_key()
    der = key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


@contextmanager
def served_over_tls(app: Flask, hosts: Sequence[str], folder: Path) -> Iterator[Served]:
    """``app`` over HTTPS on a free port of 127.0.0.1, with a trustme certificate for
    ``hosts`` (its files in ``folder``), until the block ends."""
    leaf = trustme.CA().issue_cert(*hosts)
    chain, key = folder / "chain.pem", folder / "key.pem"
    chain.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    leaf.private_key_pem.write_to_path(str(key))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(chain), str(key))
    server = make_server("127.0.0.1", 0, app, threaded=True, ssl_context=context)
    with in_thread(server):
        yield Served(server.server_port, spki_hash(leaf.cert_chain_pems[0].bytes()), (*hosts,))


@contextmanager
def chromium_for(served: Served) -> Iterator[Page]:
    """A page in a Chromium of its own that reaches ``served`` at port 443 of each of its
    hosts and trusts its certificate; the page's CSP bypassed (its own script calls the
    API: the pages' CSP is not what is tested)."""
    rules = ", ".join(f"MAP {host}:443 127.0.0.1:{served.port}" for host in served.hosts)
    with chromium_launched_with(
        f"--host-resolver-rules={rules}",
        f"--ignore-certificate-errors-spki-list={served.spki}",
        bypass_csp=True,
    ) as context:
        yield context.new_page()
