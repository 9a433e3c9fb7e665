"""The outbound client's deadline over https (docs/security.md, "Outbound calls"): a server
that gives its handshake, status line, headers or body a byte at a time, each byte well
within any per-read timeout, is cut at the call's deadline, through each way the client is
called (a webhook's POST, a document's GET, an exchange of its own deadline) and through the
callers that stand on it: an IdP's requests (discovery, keys, token, userinfo), and a
client's metadata document (the agents unit's:
tests/e2e/agents/test_client_documents_deadline.py). Every other user of the client gets it
from the one place it is made (tests/unit/test_outbound_trust.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from application.outbound import DEADLINE_EXCEEDED, WebhookUnreachable
from infrastructure.outbound_http import Outbound
from infrastructure.sso.idp_requests import PinnedIdpAdapter
from tests.fakes.kernel import FakeHostResolver
from tests.support.dripping_tls import (
    HUNG_UP,
    Answer,
    after_request,
    dripped_handshake,
    dripping_server,
)

pytestmark = pytest.mark.integration

DEADLINE = 1.0  # seconds; each server below would hold the caller for its whole drip (20 s)

DRIPS: dict[str, tuple[Answer, bool]] = {
    "handshake": (dripped_handshake, False),
    "status-line": (after_request(b"", b"HTTP/1.1 200 " + b"O" * 200 + b"\r\n\r\n"), True),
    "headers": (after_request(b"HTTP/1.1 200 OK\r\n", b"X-Slow: " + b"a" * 200), True),
    "body": (
        after_request(b"HTTP/1.1 200 OK\r\nContent-Length: 200\r\n\r\n", b"a" * 200),
        True,
    ),
}


def called(way: str, url: str, ca_file: str) -> None:
    """One call of the client, the way a caller makes it."""
    if way == "post":  # a webhook's delivery
        Outbound(ca_file).sender(DEADLINE).post(url, "{}", {}, "127.0.0.1")
    elif way == "get":  # an IdP's metadata, a client's keys
        Outbound(ca_file).sender(DEADLINE).get(url, "127.0.0.1", 1024)
    else:  # an auth hook's call: a deadline of its own, the sender's being a minute
        Outbound(ca_file).sender(60).exchange(
            "POST", url, b"{}", {}, address="127.0.0.1", limit=1024, timeout=DEADLINE
        )


@pytest.mark.parametrize("step", list(DRIPS))
@pytest.mark.parametrize("way", ["post", "get", "exchange"])
def test_an_https_call_ends_at_its_deadline_however_slowly_bytes_come(
    tmp_path: Path, step: str, way: str
) -> None:
    answer, tls = DRIPS[step]
    with dripping_server(tmp_path, answer, tls=tls) as server:
        with pytest.raises(WebhookUnreachable) as failed:
            called(way, server.url(), server.ca_file)
        # Cut, not waited out: the server saw the call hang up while its bytes still came.
        assert server.next_end() == HUNG_UP
    assert str(failed.value) == DEADLINE_EXCEEDED


def test_an_identity_providers_request_that_drips_is_cut_at_the_deadline(tmp_path: Path) -> None:
    answer, tls = DRIPS["headers"]
    with dripping_server(tmp_path, answer, tls=tls, host="localhost") as server:
        sender = Outbound(server.ca_file).sender(DEADLINE)
        session = requests.Session()
        session.mount("https://", PinnedIdpAdapter(sender, FakeHostResolver(), local=True))
        with pytest.raises(requests.ConnectionError):
            session.get(server.url("/.well-known/openid-configuration"))
        assert server.next_end() == HUNG_UP
