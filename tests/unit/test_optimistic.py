"""The compare-and-set loop of the Firestore adapters: stale reads retry, contention is bounded."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from google.api_core.exceptions import Aborted, FailedPrecondition

from domain.errors import Unavailable
from infrastructure.firestore.optimistic import until_unchanged
from infrastructure.firestore.reads import Stale

pytestmark = pytest.mark.unit


def failing(*errors: Exception) -> tuple[list[int], Callable[[], int]]:
    """An attempt that raises ``errors`` in turn, then answers how many calls it took."""
    calls: list[int] = []

    def attempt() -> int:
        calls.append(1)
        if len(calls) <= len(errors):
            raise errors[len(calls) - 1]
        return len(calls)

    return calls, attempt


def test_a_stale_read_is_read_again_until_the_commit_holds() -> None:
    changed = FailedPrecondition("changed")  # type: ignore[no-untyped-call]
    calls, attempt = failing(Stale(), changed, Stale())
    assert until_unchanged(attempt) == 4
    assert len(calls) == 4


def test_a_document_that_never_settles_gives_up() -> None:
    calls, attempt = failing(*[Stale() for _ in range(10)])
    with pytest.raises(Unavailable):
        until_unchanged(attempt, attempts=3)
    assert len(calls) == 3


def test_aborted_commits_are_sent_again_a_few_times_only() -> None:
    contention = Aborted("contention")  # type: ignore[no-untyped-call]
    calls, attempt = failing(*[contention] * 10)
    with pytest.raises(Unavailable):
        until_unchanged(attempt)
    assert len(calls) == 5  # MAX_ABORTED_COMMITS


def test_other_errors_are_not_retried() -> None:
    calls, attempt = failing(ValueError("bug"))
    with pytest.raises(ValueError, match="bug"):
        until_unchanged(attempt)
    assert len(calls) == 1
