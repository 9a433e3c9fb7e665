"""The import's reads on Firestore: one that runs past its deadline is sent again, so that a
long import does not stop for one slow answer; one that keeps doing so is an outage."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from google.api_core import exceptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import firestore

from domain.errors import Unavailable
from infrastructure.firestore.migration import user_moves
from infrastructure.firestore.migration.user_moves import READ_ATTEMPTS, FirestoreUserMoves

pytestmark = pytest.mark.unit


class SlowReads(firestore.Client):
    """A client whose first ``slow`` reads run past their deadline; then nothing exists."""

    def __init__(self, slow: int) -> None:
        super().__init__(project="demo-moves", credentials=AnonymousCredentials())  # type: ignore[no-untyped-call]
        self.slow, self.reads = slow, 0

    def get_all(self, references: Sequence[Any], *args: Any, **kwargs: Any) -> Iterator[Any]:  # type: ignore[override]
        self.reads += 1
        if self.reads <= self.slow:
            raise exceptions.DeadlineExceeded("Deadline Exceeded")  # type: ignore[no-untyped-call]
        return iter([])


@pytest.fixture(autouse=True)
def no_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(user_moves, "pause_after_abort", lambda attempt: None)


def test_a_read_past_its_deadline_is_sent_again() -> None:
    client = SlowReads(slow=READ_ATTEMPTS - 1)
    holders = FirestoreUserMoves(client).holders(["u1"], ["ada"], ["ada@example.com"])
    assert (holders.users, holders.usernames, holders.emails) == ({}, {}, {})
    assert client.reads == READ_ATTEMPTS


def test_reads_that_keep_running_past_their_deadline_are_an_outage() -> None:
    client = SlowReads(slow=READ_ATTEMPTS)
    with pytest.raises(Unavailable):
        FirestoreUserMoves(client).holders(["u1"], ["ada"], [])
    assert client.reads == READ_ATTEMPTS
