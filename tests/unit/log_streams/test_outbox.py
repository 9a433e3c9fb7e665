"""The log streams' outbox on its own (application/log_streams/outbox.py): no read of a
person's orgs while no org streams, the streams read once per cache period, only the
streamed types, each entry keyed by its stream and expiring a week after its event."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from application.log_streams.formats import Product
from application.log_streams.outbox import ENTRY_KEPT, KIND, StreamCache, StreamOutbox
from domain.events.security_events import SecurityEvent
from domain.ids import new_id
from domain.log_streams.streams import LogStream, StreamFormat, StreamKind, StreamState
from tests.fakes.kernel import FakeClock, FakeJobQueue
from tests.unit.log_streams.fakes import FakeStreams

pytestmark = pytest.mark.unit
NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


class CountingStreams(FakeStreams):
    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def active(self) -> list[LogStream]:
        self.reads += 1
        return super().active()


def stream(org_id: str) -> LogStream:
    return LogStream(
        new_id(), org_id, StreamKind.GCS, StreamFormat.FIREGATE, {"bucket": "b-1"}, NOW
    )


def signin(org_id: str | None = None, type_: str = "signin.succeeded") -> SecurityEvent:
    return SecurityEvent(new_id(), NOW, type_, "u1", org_id=org_id)


def made() -> tuple[StreamOutbox, CountingStreams, FakeClock, list[str]]:
    store, clock, asked = CountingStreams(), FakeClock(NOW), []
    outbox = StreamOutbox(
        cache=StreamCache(store, clock, ttl=45),
        queue=FakeJobQueue(),
        product=Product("firegate", "1"),
    )

    def memberships(user_id: str) -> list[str]:
        asked.append(user_id)
        return ["org-a", "org-b", "org-c"]

    outbox.bind(memberships)
    return outbox, store, clock, asked


def test_while_no_org_streams_an_event_costs_one_read_per_period_and_no_membership() -> None:
    outbox, store, clock, asked = made()
    for _ in range(5):
        assert outbox.entries(signin()) == []
    assert (store.reads, asked) == (1, [])
    clock.advance(seconds=46)
    outbox.entries(signin())
    assert store.reads == 2


def test_a_persons_event_goes_to_their_orgs_streams_an_orgs_to_its_own() -> None:
    outbox, store, _, asked = made()
    a, b, other = stream("org-a"), stream("org-b"), stream("org-z")
    for s in (a, b, other):
        store.add(s, 3)
    store.change(b.id, lambda s: s.failed(NOW).failed(NOW + timedelta(hours=100)))  # paused
    assert store.get(b.id).state is StreamState.PAUSED  # type: ignore[union-attr]
    entries = outbox.entries(signin())
    assert [e.key for e in entries] == [a.id] and asked == ["u1"]
    entry = entries[0]
    assert (entry.kind, entry.at, entry.expires_at) == (KIND, NOW, NOW + ENTRY_KEPT)
    assert json.loads(entry.body)["event"]["type"] == "signin.succeeded"
    assert [e.key for e in outbox.entries(signin("org-z"))] == [other.id]
    assert asked == ["u1"]  # an org's event reads no membership
    assert outbox.entries(signin("org-a", "org.updated")) == []  # not streamed


def test_before_the_orgs_lend_a_persons_event_is_refused_an_orgs_goes() -> None:
    store, clock = FakeStreams(), FakeClock(NOW)
    outbox = StreamOutbox(
        cache=StreamCache(store, clock),
        queue=FakeJobQueue(),
        product=Product("f", "1"),
    )
    store.add(stream("org-a"), 3)
    with pytest.raises(LookupError):
        outbox.entries(signin())
    assert len(outbox.entries(signin("org-a"))) == 1


def test_a_format_that_fails_costs_only_its_streams(monkeypatch: pytest.MonkeyPatch) -> None:
    outbox, store, _, _ = made()
    ocsf = replace(stream("org-a"), format=StreamFormat.OCSF)
    plain = stream("org-a")
    store.add(ocsf, 3)
    store.add(plain, 3)

    def broken(*_: object, **__: object) -> dict[str, object]:
        raise ValueError("unmapped")

    monkeypatch.setattr("application.log_streams.formats.ocsf_event", broken)
    assert [e.key for e in outbox.entries(signin("org-a"))] == [plain.id]
