"""Client metadata documents fetched over https from a local server whose certificate a CA of
the test signed (docs/security.md, "Client metadata documents"): the CA trusted only through
SSL_CERT_FILE, and each document that redirects, is too big, is slow or resolves to a
private address refused, the last without a connection; and the other outbound https clients
(the upstream providers' discovery) trusting the same bundle (docs/configuration.md)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from application.agents.documents import ClientDocuments
from application.federation.upstream import Authorization
from bootstrap.federation import upstream_client
from bootstrap.platform import outbound
from domain.agents.metadata_document import DocumentRefused
from domain.errors import Unavailable
from domain.federation.upstream import UpstreamProvider
from infrastructure.clock import SystemClock
from infrastructure.outbound_http import Outbound, PinnedWebhookSender
from tests.fakes.kernel import FakeHostResolver
from tests.support.document_server import (
    DocumentServer,
    Served,
    TestCa,
    document_server,
    served_json,
)
from tests.support.settings import make_settings

pytestmark = pytest.mark.integration
REDIRECT = "http://127.0.0.1:9/callback"


@pytest.fixture
def ca(tmp_path: Path) -> TestCa:
    return TestCa(tmp_path)


@pytest.fixture
def server(ca: TestCa) -> Iterator[DocumentServer]:
    with document_server(ca) as found:
        yield found


def document(url: str) -> dict[str, object]:
    return {"client_id": url, "client_name": "Local Agent", "redirect_uris": [REDIRECT]}


def trusting(ca: TestCa) -> PinnedWebhookSender:
    """A sender of the outbound client as the platform makes it, with SSL_CERT_FILE the
    test's CA."""
    return outbound(make_settings(ssl_cert_file=ca.ca_file)).sender(5.0)


def local_documents(getter: PinnedWebhookSender) -> ClientDocuments:
    return ClientDocuments(
        getter=getter, resolver=FakeHostResolver(), local=True, clock=SystemClock()
    )


def test_the_enterprise_ca_is_trusted_only_through_ssl_cert_file(
    ca: TestCa, server: DocumentServer
) -> None:
    url = f"{server.base}/agent.json"
    server.paths["/agent.json"] = served_json(document(url))
    # The default store: refused for what it is, not for want of an answer in time.
    with pytest.raises(DocumentRefused, match=r"could not be verified \(tls_verification_failed\)"):
        local_documents(Outbound().sender(5)).client(url)
    assert local_documents(trusting(ca)).client(url).name == "Local Agent"


def test_a_setting_that_names_no_file_stops_the_start(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="SSL_CERT_FILE"):
        make_settings(ssl_cert_file=str(tmp_path / "missing.pem"))


@pytest.mark.parametrize(
    ("path", "answer", "why"),
    [
        ("/moved.json", Served(b"", 302, (("Location", "/agent.json"),)), r"\(redirect\)"),
        ("/permanent.json", Served(b"", 308, (("Location", "/agent.json"),)), r"\(redirect\)"),
        ("/big.json", Served(b"{" + b" " * 6000 + b"}", 200), r"5 KB \(too_large\)"),
        ("/gone.json", Served(b"", 404), r"answered 404 \(status_404\)"),
    ],
)
def test_a_document_that_redirects_is_too_big_or_absent_is_refused(
    ca: TestCa, server: DocumentServer, path: str, answer: Served, why: str
) -> None:
    url = f"{server.base}{path}"
    server.paths[path] = answer
    server.paths["/agent.json"] = served_json(document(url))
    with pytest.raises(DocumentRefused, match=why):
        local_documents(trusting(ca)).client(url)
    assert server.seen.paths("/agent.json") == 0  # no redirect followed
    assert server.seen.paths(path) == 1


def test_a_slow_document_is_refused_at_three_seconds(ca: TestCa, server: DocumentServer) -> None:
    url = f"{server.base}/slow.json"
    server.paths["/slow.json"] = Served(b"{}", 200, (), delay=5.0)
    began = time.monotonic()
    with pytest.raises(DocumentRefused, match=r"within 3 seconds \(deadline_exceeded\)"):
        local_documents(trusting(ca)).client(url)
    # Not before its deadline (the server answers at 5 s; the refusal's cause says it was cut).
    assert time.monotonic() - began >= 2.9


@pytest.mark.parametrize(
    "addresses",
    [["127.0.0.1"], ["10.0.0.7"], ["169.254.169.254"], ["::1"], ["93.184.216.34", "192.168.0.2"]],
)
def test_outside_the_local_profile_a_private_address_is_never_connected_to(
    ca: TestCa, server: DocumentServer, addresses: list[str]
) -> None:
    url = f"{server.base}/agent.json"
    server.paths["/agent.json"] = served_json(document(url))
    documents = ClientDocuments(
        getter=trusting(ca),
        resolver=FakeHostResolver({"localhost": addresses}),
        local=False,
        clock=SystemClock(),
    )
    with pytest.raises(DocumentRefused, match="public address"):
        documents.client(url)
    assert server.seen.requests == []  # no connection reached the document's server


def test_upstream_discovery_trusts_the_same_bundle(ca: TestCa, server: DocumentServer) -> None:
    issuer = server.base
    server.paths["/.well-known/openid-configuration"] = served_json(
        {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{issuer}/token",
            "jwks_uri": f"{issuer}/jwks",
            "scopes_supported": ["openid", "email", "groups"],
        }
    )
    provider = UpstreamProvider(
        id="corp",
        name="Corp",
        preset="",
        issuer=issuer,
        client_id="c",
        sealed_secret="sealed",
        scope="openid email",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        optional_scope="groups",  # read from the discovery document
    )
    with pytest.raises(Unavailable):
        upstream_client(Outbound())().authorization(provider, "s", REDIRECT)  # certifi's store
    # The upstream providers' client as bootstrap makes it, from the platform's outbound client
    client = upstream_client(outbound(make_settings(ssl_cert_file=ca.ca_file)))()
    found = client.authorization(provider, "s", REDIRECT)
    assert isinstance(found, Authorization)
    assert found.url.startswith(f"{issuer}/authorize?") and "groups" in found.url
