"""The outbound client names why a call got no whole answer, against real local servers
(docs/reference/webhooks.md, "Why a call failed"): a certificate it cannot verify, a refused
connection, a deadline, a connection closed early, an answer that is not HTTP, a redirect, a
status; and the callers show that name as it is, as an IdP's metadata fetch does in its 422
(docs/reference/sso.md) and a webhook's attempt in its ``error``."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from application.outbound import WebhookUnreachable
from bootstrap.sso import SsoAdapters
from infrastructure.outbound_http import Outbound, PinnedWebhookSender
from tests.support.api import assert_field_error
from tests.support.dripping_tls import Answer, after_request, dripping_server
from tests.support.sso_world import draft_connection

pytestmark = pytest.mark.integration


def answered(raw: bytes) -> Answer:
    """Once the request has come: ``raw`` at once, then the connection closed."""
    return after_request(raw, b"")


def silent(conn: socket.socket) -> None:
    time.sleep(5)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # closed: nothing listens there


CASES: dict[str, tuple[Answer, bool, Callable[[PinnedWebhookSender, str], object]]] = {
    # the server's certificate is the test's CA's, which the client is not given
    "tls_verification_failed": (answered(b""), True, lambda s, url: s.get(url, "127.0.0.1", 99)),
    "deadline_exceeded": (silent, False, lambda s, url: s.get(url, "127.0.0.1", 99)),
    "connection_closed": (
        answered(b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort"),
        False,
        lambda s, url: s.get(url, "127.0.0.1", 99),
    ),
    "not_http": (answered(b"hello\r\n\r\n"), False, lambda s, url: s.get(url, "127.0.0.1", 99)),
    "redirect": (
        answered(b"HTTP/1.1 302 Found\r\nLocation: /x\r\nContent-Length: 0\r\n\r\n"),
        False,
        lambda s, url: s.get(url, "127.0.0.1", 99),
    ),
    "status_404": (
        answered(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"),
        False,
        lambda s, url: s.get(url, "127.0.0.1", 99),
    ),
}


@pytest.mark.parametrize("cause", list(CASES))
def test_each_failure_is_named_by_its_cause(tmp_path: Path, cause: str) -> None:
    answer, tls, call = CASES[cause]
    sender = Outbound().sender(1.0)  # certifi's store: not the test's CA
    with dripping_server(tmp_path, answer, tls=tls) as server:
        url = server.url() if tls else f"http://{server.host}:{server.port}/in"
        with pytest.raises(WebhookUnreachable) as failed:
            call(sender, url)
    assert str(failed.value) == cause


def test_a_refused_connection_is_named() -> None:
    with pytest.raises(WebhookUnreachable) as failed:
        Outbound().sender(5).post(
            f"http://receiver.invalid:{free_port()}/in", "{}", {}, "127.0.0.1"
        )
    assert str(failed.value) == "connection_refused"


def test_an_idp_metadata_fetch_names_the_cause(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The report's other path: the metadata URL's certificate is not trusted (SSL_CERT_FILE
    not handed to the client); the 422 says so, not "unreachable"."""
    world, alice, cid = draft_connection("saml", local=True)
    getter = world.adapters.of(SsoAdapters).metadata_getter
    monkeypatch.setattr(getter, "get", Outbound().sender(5).get)
    with dripping_server(tmp_path, answered(b""), host="localhost") as server:
        refused = world.client.patch(
            f"/orgs/acme/connections/{cid}",
            json={"saml": {"metadata_url": server.url("/metadata")}},
            headers=alice,
        )
    assert_field_error(refused, "saml.metadata_url", "metadata_unreachable")
    said = str(refused.get_json())
    assert "its TLS certificate could not be verified (tls_verification_failed)" in said
