"""An IdP's metadata URL end to end: the real service under gunicorn on the emulators fetches
the metadata from a local HTTP server when an admin gives its address, stores the connection
configured with the URL, and refuses metadata too large or an address that does not answer
(docs/reference/sso.md, "A SAML identity provider"). The local profile, as for webhooks,
lets the service fetch from this machine."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from tests.support.local_servers import in_thread
from tests.support.saml import certificate, idp_metadata
from tests.support.served_webhooks import login, register
from tests.support.servers import free_port, serving

# An active connection left behind would turn other modules' sign-in pages address-first.
pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("emptied_after")]


@contextmanager
def metadata_server(documents: dict[str, bytes]) -> Iterator[tuple[str, list[str]]]:
    """Serves each path of ``documents``; yields its base URL and the paths asked for."""
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            body = documents.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "application/samlmetadata+xml")
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with in_thread(server):
        yield f"http://127.0.0.1:{server.server_address[1]}", asked


def test_the_service_fetches_an_idps_metadata_at_its_url(clean_emulators: Any) -> None:
    _, der = certificate()
    xml = idp_metadata("https://idp.example.com/m", "https://idp.example.com/sso", (der,))
    documents = {"/metadata": xml.encode(), "/huge": b"<x/>" + b" " * (256 * 1024)}
    with metadata_server(documents) as (idp, asked), serving("gunicorn-sso-metadata.log") as base:
        register(base, "olga")
        owner = {"Authorization": f"Bearer {login(base, 'olga').json()['access_token']}"}
        made = requests.post(
            f"{base}/orgs", json={"slug": "corp", "name": "Corp"}, headers=owner, timeout=30
        )
        assert made.status_code == 201, made.text
        created = requests.post(
            f"{base}/orgs/corp/connections",
            json={"kind": "saml", "name": "Okta"},
            headers=owner,
            timeout=30,
        )
        assert created.status_code == 201, created.text
        path = f"{base}/orgs/corp/connections/{created.json()['id']}"

        def patched(url: str) -> requests.Response:
            body = {"saml": {"metadata_url": url}}
            return requests.patch(path, json=body, headers=owner, timeout=30)

        configured = patched(f"{idp}/metadata")
        assert configured.status_code == 200, configured.text
        saml = configured.json()["saml"]
        assert (saml["entity_id"], saml["sso_url"], saml["metadata_url"]) == (
            "https://idp.example.com/m",
            "https://idp.example.com/sso",
            f"{idp}/metadata",
        )
        assert [c["der"] for c in saml["certificates"]] == [der]
        assert asked == ["/metadata"]

        for url, code in (
            (f"{idp}/huge", "metadata_too_large"),
            (f"{idp}/absent", "metadata_unreachable"),
            (f"http://127.0.0.1:{free_port()}/metadata", "metadata_unreachable"),
        ):
            refused = patched(url)
            assert refused.status_code == 422, refused.text
            assert refused.headers["Content-Type"] == "application/problem+json"
            assert [(e["field"], e["code"]) for e in refused.json()["errors"]] == [
                ("saml.metadata_url", code)
            ]
        kept = requests.get(path, headers=owner, timeout=30).json()["saml"]
        assert (
            kept["metadata_url"] == f"{idp}/metadata"
            and kept["certificates"] == saml["certificates"]
        )
