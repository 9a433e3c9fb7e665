"""A client's metadata document whose server drips is refused at the documents' own
deadline, through the outbound client (docs/security.md, "Outbound calls"; the client's own
deadline: tests/integration/test_outbound_deadline.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from application.agents.documents import ClientDocuments
from domain.agents.metadata_document import DocumentRefused
from infrastructure.clock import SystemClock
from infrastructure.outbound_http import Outbound
from tests.fakes.kernel import FakeHostResolver
from tests.support.dripping_tls import (
    HUNG_UP,
    Answer,
    after_request,
    dripped_handshake,
    dripping_server,
)

pytestmark = pytest.mark.integration

DRIPS: dict[str, tuple[Answer, bool]] = {
    "handshake": (dripped_handshake, False),
    "body": (
        after_request(b"HTTP/1.1 200 OK\r\nContent-Length: 200\r\n\r\n", b"a" * 200),
        True,
    ),
}


@pytest.mark.parametrize("step", ["handshake", "body"])
def test_a_client_metadata_document_that_drips_is_refused_at_its_deadline(
    tmp_path: Path, step: str
) -> None:
    """The report's path: an authorization request naming a document whose server drips."""
    answer, tls = DRIPS[step]
    with dripping_server(tmp_path, answer, tls=tls, host="localhost") as server:
        documents = ClientDocuments(
            getter=Outbound(server.ca_file).sender(5),
            resolver=FakeHostResolver(),
            local=True,
            clock=SystemClock(),
        )
        with pytest.raises(DocumentRefused, match="deadline_exceeded"):
            documents.client(server.url("/agent.json"))  # the documents' own deadline: 3 s
        assert server.next_end() == HUNG_UP
