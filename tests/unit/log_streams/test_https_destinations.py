"""The https and Splunk HEC destinations against a receiver on this machine (the local
profile's http): each batch one POST, signed as a webhook (the receiver verifies it with
the ``standardwebhooks`` package) or carrying the HEC token; an outage then recovery
delivers every event once, in order (docs/reference/log-streams.md, "Destinations")."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from application.log_streams.delivery import StreamDeliveries
from application.log_streams.formats import Product, envelope
from application.log_streams.outbox import KIND, StreamCache
from application.log_streams.ports import DestinationDown, StreamRecord
from domain.events.outbox import OutboxEntry
from domain.events.security_events import SecurityEvent
from domain.ids import new_id
from domain.log_streams.streams import LogStream, StreamFormat, StreamKind
from domain.standard_webhooks import new_secret
from infrastructure.dev_secrets import new_fernet_key
from infrastructure.log_streams.destinations import Destinations
from infrastructure.outbound_http import Outbound
from infrastructure.signin.secret_box import FernetSecretBox
from tests.fakes.events import FakeOutboxEntries
from tests.fakes.kernel import FakeClock, FakeHostResolver, FakeJobQueue
from tests.unit.log_streams.fakes import FakeStreams, Receiver, receiving

pytestmark = pytest.mark.unit
PRODUCT = Product("firegate", "1")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as found:
        yield found


def world(stream: LogStream) -> tuple[StreamDeliveries, FakeOutboxEntries, FakeStreams]:
    store, entries, clock = FakeStreams(), FakeOutboxEntries(), FakeClock()
    store.add(stream, 3)
    box = FernetSecretBox(new_fernet_key())
    store.streams[stream.id] = replace(stream, sealed_secret=box.seal(stream.sealed_secret))
    destinations = Destinations(
        sender=Outbound().sender(5.0),
        resolver=FakeHostResolver(),
        box=box,
        clock=clock,
        local=True,
    )
    deliveries = StreamDeliveries(
        store=store,
        entries=entries,
        destinations=destinations,
        clock=clock,
        queue=FakeJobQueue(),
        cache=StreamCache(store, clock),
        on_paused=lambda _: None,
    )
    return deliveries, entries, store


def retry_due(store: FakeStreams, stream_id: str) -> None:
    """Its retry's time come (the clock stays at the wall's: a signature's time is checked)."""
    store.change(stream_id, lambda s: replace(s, health=replace(s.health, retry_at=None)))


def events(entries: FakeOutboxEntries, stream: LogStream, count: int, start: int = 0) -> list[str]:
    at = datetime(2026, 11, 30, 8, 0, tzinfo=UTC) + timedelta(seconds=start)
    made = []
    for i in range(count):
        event = SecurityEvent(new_id(), at + timedelta(seconds=i), "signin.succeeded", "u1")
        body = envelope(event, StreamFormat.FIREGATE, PRODUCT)
        entry = OutboxEntry(new_id(), KIND, stream.id, event.at, body)
        entries.entries[entry.id] = entry
        made.append(event.id)
    return made


def test_an_https_stream_gets_every_event_once_in_order_through_an_outage(
    receiver: Receiver,
) -> None:
    receiver.secret, receiver.failing = new_secret(), 2
    stream = LogStream(
        new_id(),
        "org-1",
        StreamKind.HTTPS,
        StreamFormat.FIREGATE,
        {"url": receiver.url + "/in"},
        datetime(2026, 11, 30, tzinfo=UTC),
        sealed_secret=receiver.secret,
    )
    deliveries, entries, store = world(stream)
    first = events(entries, stream, 3)
    assert deliveries.deliver(stream.id) == 0  # 503
    later = events(entries, stream, 2, start=10)
    for _ in range(3):
        retry_due(store, stream.id)
        deliveries.deliver(stream.id)
    got = [e["id"] for _, body in receiver.bodies for e in json.loads(body)]
    assert got == first + later
    assert not entries.oldest(stream.id, 10)


def test_a_splunk_hec_stream_posts_its_events_to_the_collector(receiver: Receiver) -> None:
    receiver.token = "hec-token"
    stream = LogStream(
        new_id(),
        "org-1",
        StreamKind.SPLUNK_HEC,
        StreamFormat.FIREGATE,
        {"url": receiver.url},
        datetime(2026, 11, 30, tzinfo=UTC),
        sealed_secret=receiver.token,
    )
    deliveries, entries, _ = world(stream)
    made = events(entries, stream, 2)
    assert deliveries.deliver(stream.id) == 2
    ((path, body),) = receiver.bodies
    assert path == "/services/collector/event"
    decoder, at, sent = json.JSONDecoder(), 0, []
    while at < len(body):
        item, at = decoder.raw_decode(body, at)
        sent.append(item)
    assert [item["event"]["id"] for item in sent] == made
    assert sent[0]["time"] == datetime(2026, 11, 30, 8, 0, tzinfo=UTC).timestamp()


def test_an_https_or_syslog_stream_to_a_private_address_fails_as_the_address_it_is() -> None:
    resolver = FakeHostResolver({"siem.example.com": ["10.0.0.7"]})
    box = FernetSecretBox(new_fernet_key())
    destinations = Destinations(
        sender=Outbound().sender(5.0), resolver=resolver, box=box, clock=FakeClock(), local=False
    )
    made = datetime(2026, 11, 30, tzinfo=UTC)
    https = LogStream(
        new_id(),
        "org-1",
        StreamKind.HTTPS,
        StreamFormat.FIREGATE,
        {"url": "https://siem.example.com/in"},
        made,
        sealed_secret=box.seal(new_secret()),
    )
    syslog = LogStream(
        new_id(),
        "org-1",
        StreamKind.SYSLOG,
        StreamFormat.OCSF,
        {"host": "siem.example.com", "port": 6514},
        made,
    )
    record = StreamRecord("e1", made, "signin.succeeded", "{}")
    for stream in (https, syslog):
        with pytest.raises(DestinationDown) as refused:
            destinations(stream).send([record])
        assert refused.value.reason == "not_public_address"
