"""One suite for the orgs' senders' store, in memory (the fake) and on Firestore: a change
made of what is stored, a check's finding refused on another address, thirty changes at
once each applied to what the one before stored, the sweep's pages, deletion
(application/org_brand/senders.py, ``SenderRepository``)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from application.org_brand.senders import SenderRepository
from domain.errors import Conflict
from domain.org_brand.mail_auth import Alignment
from domain.org_brand.sender import OrgSender, SenderStatus
from tests.unit.org_brand.fakes import FakeSenders

pytestmark = pytest.mark.contract
NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
ALIGNED = Alignment()
NO_DKIM = Alignment((("dkim", "no DKIM key"),))


@pytest.fixture(params=["fake", "firestore"])
def senders(request: pytest.FixtureRequest) -> SenderRepository:
    if request.param == "fake":
        return FakeSenders()
    from infrastructure.firestore.org_brand.senders import FirestoreSenders

    client: Any = request.getfixturevalue("firestore")
    return FirestoreSenders(client)


def sender(org_id: str = "org-1", address: str = "news@acme.example") -> OrgSender:
    return OrgSender.create(org_id, address, address.rpartition("@")[2], "alice", NOW)


def checked(
    address: str, found: Alignment, now: datetime
) -> Callable[[OrgSender | None], OrgSender]:
    def change(before: OrgSender | None) -> OrgSender:
        assert before is not None
        return before.checked(address, found, now)

    return change


def stamped(i: int) -> Callable[[OrgSender | None], OrgSender]:
    def change(before: OrgSender | None) -> OrgSender:
        assert before is not None
        return replace(before, missing=(*before.missing, f"r{i}"))

    return change


def as_is(made: OrgSender) -> Callable[[OrgSender | None], OrgSender]:
    return lambda _: made


def test_a_change_is_made_of_what_is_stored(senders: SenderRepository) -> None:
    assert senders.get("org-1") is None
    made = senders.change("org-1", lambda before: before or sender())
    assert senders.get("org-1") == made
    found = senders.change("org-1", checked("news@acme.example", NO_DKIM, NOW))
    assert (found.status, found.missing, found.checked_at) == (
        SenderStatus.PENDING,
        ("dkim",),
        NOW,
    )
    later = NOW + timedelta(hours=1)
    verified = senders.change("org-1", checked("news@acme.example", ALIGNED, later))
    assert senders.get("org-1") == verified
    assert verified.status is SenderStatus.VERIFIED and verified.verified_at is not None
    with pytest.raises(Conflict) as refused:
        senders.change("org-1", checked("x@acme.example", ALIGNED, NOW))
    assert refused.value.code == "sender_changed"
    assert senders.get("org-1") == verified


def test_thirty_changes_at_once_each_build_on_the_last(senders: SenderRepository) -> None:
    senders.change("org-1", lambda _: sender())

    def stamp(i: int) -> OrgSender:
        return senders.change("org-1", stamped(i))

    with ThreadPoolExecutor(30) as pool:
        list(pool.map(stamp, range(30)))
    stored = senders.get("org-1")
    assert stored is not None and sorted(stored.missing) == sorted(f"r{i}" for i in range(30))


def test_pages_by_org_and_deletion(senders: SenderRepository) -> None:
    for org_id in ("org-3", "org-1", "org-2"):
        senders.change(org_id, as_is(sender(org_id)))
    assert [s.org_id for s in senders.page(None, 2)] == ["org-1", "org-2"]
    assert [s.org_id for s in senders.page("org-2", 2)] == ["org-3"]
    assert senders.delete("org-2") is True
    assert senders.delete("org-2") is False
    senders.delete_owned_by_org("org-3", 100)
    senders.delete_owned_by_org("org-3", 100)
    assert [s.org_id for s in senders.page(None, 10)] == ["org-1"]
