"""pysaml2's own IdP (``SamlIdpForTests``) served over HTTP on this machine, with a sign-in
page of its own: a browser sent there by firegate types an address, and the IdP's next page
posts its signed answer to firegate's ACS with a button, as an IdP's HTTP-POST binding does
(docs/reference/sso.md, "Signing in")."""

from __future__ import annotations

import html
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.support.local_servers import in_thread
from tests.support.saml_idp import KeyPair, SamlIdpForTests, key_pair, posted

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Corp IdP</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>Corp IdP</h1>{body}</main></body></html>"""


@dataclass
class SamlIdpSite:
    """The IdP at ``url`` (its sign-in page at ``sso_url``), trusting one service provider
    once ``trust`` names it."""

    url: str
    keys: KeyPair
    idp: SamlIdpForTests | None = None
    acs_url: str = ""
    audience: str = ""
    pending: dict[str, str] = field(default_factory=dict)  # the page's key -> request id

    @property
    def sso_url(self) -> str:
        return f"{self.url}/sso"

    def trust(self, sp_metadata: str, acs_url: str, audience: str) -> None:
        self.idp = SamlIdpForTests(sp_metadata, keys=self.keys, sso_url=self.sso_url)
        self.acs_url, self.audience = acs_url, audience

    def sign_in_page(self, url: str) -> str:
        """The request checked as the IdP checks it, then the page asking who signs in."""
        if self.idp is None:
            raise AssertionError("the IdP trusts no service provider yet")
        request = self.idp.request_of(url)
        key = secrets.token_urlsafe(16)
        self.pending[key] = request.message.id
        return _PAGE.format(
            body='<form method="post" action="/login">'
            f'<input type="hidden" name="key" value="{key}">'
            '<p><label for="email">E-mail</label> '
            '<input id="email" name="email" type="email" autocomplete="username" required></p>'
            '<p><button type="submit">Sign in to Corp IdP</button></p></form>'
        )

    def answer_page(self, key: str, email: str) -> str:
        """The signed answer for the request the page was for, posted to the ACS."""
        if self.idp is None:
            raise AssertionError("the IdP trusts no service provider yet")
        request_id = self.pending.pop(key)
        xml = self.idp.response(
            in_response_to=request_id,
            destination=self.acs_url,
            audience=self.audience,
            email=email,
            attributes={"mail": [email], "givenName": ["Ada"], "sn": ["Lovelace"]},
        )
        return _PAGE.format(
            body=f'<form method="post" action="{html.escape(self.acs_url)}">'
            f'<input type="hidden" name="SAMLResponse" value="{posted(xml)}">'
            '<p><button type="submit">Continue to the service</button></p></form>'
        )


@contextmanager
def saml_idp_site(keys: KeyPair) -> Iterator[SamlIdpSite]:
    """The IdP's site on a free port of 127.0.0.1 until the block ends."""
    site: list[SamlIdpSite] = []

    class Handler(BaseHTTPRequestHandler):
        def _send(self, body: str, status: int = 200) -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if urlsplit(self.path).path != "/sso":
                self._send("not found", 404)
                return
            self._send(site[0].sign_in_page(site[0].url + self.path))

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            self._send(site[0].answer_page(form.get("key", ""), form.get("email", "")))

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    site.append(SamlIdpSite(f"http://127.0.0.1:{server.server_address[1]}", keys))
    with in_thread(server):
        yield site[0]


@pytest.fixture(scope="module")
def idp_site() -> Iterator[SamlIdpSite]:
    """The IdP's site, with keys of its own, for a module's tests."""
    with saml_idp_site(key_pair()) as site:
        yield site
