"""The refresh transition of a session, pure: rotation, the grace window, replays, and what a
session stored before the spent list was dropped remembers
(docs/decisions/0250-refresh-in-one-read-and-a-small-write.md)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from domain.signin.sessions import Session

pytestmark = pytest.mark.unit

START = datetime(2030, 1, 1, tzinfo=UTC)
WEEK, GRACE = timedelta(days=7), timedelta(seconds=10)


def new_session() -> Session:
    return Session.start(
        id="s", user_id="u", token_version=0, refresh_hash="h0", now=START, lifetime=WEEK * 4
    )


def present(
    session: Session,
    presented: str,
    successor: str,
    at: datetime,
    generation: int | None = None,
) -> Session:
    return session.refreshed(
        presented=presented,
        successor=successor,
        now=at,
        grace=GRACE,
        idle_timeout=WEEK,
        generation=generation,
    )


def rotated(times: int, every: timedelta = timedelta(minutes=15)) -> Session:
    session = new_session()
    for n in range(1, times + 1):
        session = present(session, f"h{n - 1}", f"h{n}", START + every * n, generation=n - 1)
    return session


def test_a_rotation_changes_four_fields_and_nothing_grows() -> None:
    start = new_session()
    session = rotated(1000, every=timedelta(seconds=30))
    last = START + timedelta(seconds=30) * 1000
    assert session == replace(
        start, refresh_hashes=("h1000",), last_used_at=last, rotations=1000, rotated_at=last
    )


def test_the_predecessor_inside_the_window_changes_nothing_and_after_it_revokes() -> None:
    session = rotated(3)
    at = session.last_rotated_at()
    assert at is not None
    # The predecessor's successor is the current token: parallel refreshes share it.
    assert present(session, "h2", "h3", at + GRACE, generation=2) == session
    late = at + GRACE + timedelta(seconds=1)
    assert present(session, "h2", "h3", late, generation=2).revoked_at == late
    # Presented without its generation it is still known by its successor.
    assert present(session, "h2", "h3", at + GRACE) == session
    assert present(session, "h2", "h3", late).revoked_at == late


def test_an_older_generation_revokes_even_inside_the_window() -> None:
    session = rotated(3, every=timedelta(seconds=1))
    at = START + timedelta(seconds=3)
    assert present(session, "h1", "h2", at, generation=1).revoked_at == at
    # The current generation or a later one, with a hash that is not current: nothing.
    for claimed in (3, 4, 10**6):
        assert present(session, "x", "y", at, generation=claimed) == session
    assert present(session, "x", "y", at) == session


def test_a_token_spent_without_its_generation_is_remembered_by_its_hash() -> None:
    session = present(new_session(), "h0", "h1", START + timedelta(minutes=1))  # untagged
    assert session.spent_untagged == "h0" and session.rotations == 1
    session = present(session, "h1", "h2", START + timedelta(minutes=2), generation=1)
    assert session.spent_untagged == "h0"  # a tagged rotation keeps it
    at = START + timedelta(minutes=3)
    assert present(session, "h0", "h1", at).revoked_at == at


def test_a_session_stored_with_the_spent_list_still_knows_its_replays() -> None:
    """A session stored before 0250: no ``rotated_at``, its spent hashes listed."""
    spent_at = START + timedelta(minutes=5)
    old = replace(
        new_session(),
        refresh_hashes=("h2",),
        rotations=0,  # stored before the count was kept: its tokens carry no generation
        spent_before=(("h0", START + timedelta(minutes=1)), ("h1", spent_at)),
    )
    assert old.last_rotated_at() == spent_at
    # The last one spent, inside the window after it: its successor again.
    assert present(old, "h1", "h2", spent_at + GRACE) == old
    # An older one, or the last one after the window: a replay.
    at = spent_at + timedelta(seconds=3)
    assert present(old, "h0", "h1", at).revoked_at == at
    late = spent_at + GRACE + timedelta(seconds=1)
    assert present(old, "h1", "h2", late).revoked_at == late
    # The current token rotates once; the list stays as it was, never added to.
    after = present(old, "h2", "h3", late)
    assert after.refresh_hashes == ("h3",) and after.rotated_at == late
    assert after.spent_before == old.spent_before and after.spent_untagged == "h2"
    later = late + timedelta(minutes=1)
    assert present(after, "h0", "h1", later).revoked_at == later
    assert present(after, "h2", "h3", later).revoked_at == later


def test_an_unusable_session_changes_for_nothing() -> None:
    session = rotated(2)
    revoked = session.revoked(START + timedelta(hours=1))
    assert present(revoked, "h2", "h3", START + timedelta(hours=2), generation=2) == revoked
    idle = START + timedelta(minutes=30) + WEEK + timedelta(seconds=1)
    assert present(session, "h2", "h3", idle, generation=2) == session
