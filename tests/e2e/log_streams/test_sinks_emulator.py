"""The Pub/Sub and Cloud Storage destinations on the emulators: the records published in order
under the stream's ordering key, a batch written as one object; a missing topic or bucket
takes nothing."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from google.cloud.pubsub_v1 import PublisherClient, SubscriberClient

from application.log_streams.ports import DestinationDown, StreamRecord
from infrastructure.gcs_storage import storage_client
from infrastructure.log_streams.gcs import GcsDestination
from infrastructure.log_streams.pubsub import PubSubDestination, ordered_publisher

pytestmark = pytest.mark.e2e


def records(tag: str, n: int) -> list[StreamRecord]:
    at = datetime(2026, 11, 30, 14, 0, 1, tzinfo=UTC)
    return [
        StreamRecord(f"{tag}-{i}", at, "org.member_added", json.dumps({"i": i})) for i in range(n)
    ]


def pulled(subscriber: Any, subscription: str, count: int) -> list[Any]:
    """The messages of ``subscription``, acknowledged, once ``count`` came (or 20 s passed)."""
    got: list[Any] = []
    deadline = time.monotonic() + 20
    while len(got) < count and time.monotonic() < deadline:
        answer = subscriber.pull(
            request={"subscription": subscription, "max_messages": count}, timeout=5
        )
        if answer.received_messages:
            got.extend(m.message for m in answer.received_messages)
            subscriber.acknowledge(
                request={
                    "subscription": subscription,
                    "ack_ids": [m.ack_id for m in answer.received_messages],
                }
            )
    return got


def test_the_records_are_published_in_order_with_their_ids(emulators: Any) -> None:
    name = f"stream-{uuid.uuid4().hex[:8]}"
    topic = f"projects/{emulators.project}/topics/{name}"
    subscription = f"projects/{emulators.project}/subscriptions/{name}"
    PublisherClient().create_topic(name=topic)
    subscriber = SubscriberClient()
    subscriber.create_subscription(
        request={"name": subscription, "topic": topic, "enable_message_ordering": True}
    )
    destination = PubSubDestination(ordered_publisher(), topic, "st-1")
    first, second = records("a", 20), records("b", 5)
    destination.send(first)
    destination.send(second)
    got = pulled(subscriber, subscription, 25)
    assert [m.attributes["id"] for m in got] == [r.id for r in first + second]
    assert {(m.ordering_key, m.attributes["type"]) for m in got} == {("st-1", "org.member_added")}
    assert [json.loads(m.data) for m in got] == [json.loads(r.body) for r in first + second]
    subscriber.close()


def test_a_missing_topic_takes_nothing_and_the_next_batch_goes(emulators: Any) -> None:
    topic = f"projects/{emulators.project}/topics/missing-{uuid.uuid4().hex[:8]}"
    destination = PubSubDestination(ordered_publisher(), topic, "st-2")
    with pytest.raises(DestinationDown) as down:
        destination.send(records("c", 3))
    assert (down.value.reason, down.value.taken) == ("topic_not_found", 0)
    PublisherClient().create_topic(name=topic)  # made now: the key was resumed
    destination.send(records("d", 1))


def test_a_batch_is_one_object_of_ndjson_not_written_again(clean_emulators: Any) -> None:
    client = storage_client(clean_emulators.project)
    destination = GcsDestination(client, clean_emulators.storage_bucket, "st-1")
    batch = records("e", 3)
    destination.send(batch)
    bucket = client.bucket(clean_emulators.storage_bucket)
    (blob,) = list(bucket.list_blobs(prefix="firegate/st-1/"))
    assert blob.name.startswith("firegate/st-1/2026/11/30/20261130T140001.000000Z-e-0-")
    assert blob.content_type == "application/x-ndjson"
    lines = blob.download_as_bytes().decode().splitlines()
    assert [json.loads(line) for line in lines] == [json.loads(r.body) for r in batch]
    # Sent again: its object's name again, one object still. (The emulator does not keep to
    # ifGenerationMatch, so that it is not overwritten is tested on the unit tests' stand-in.)
    destination.send(batch)
    assert [b.name for b in bucket.list_blobs(prefix="firegate/st-1/")] == [blob.name]


def test_a_missing_bucket_takes_nothing(clean_emulators: Any) -> None:
    client = storage_client(clean_emulators.project)
    destination = GcsDestination(client, f"missing-{uuid.uuid4().hex[:8]}", "st-1")
    with pytest.raises(DestinationDown) as down:
        destination.send(records("f", 1))
    assert (down.value.reason, down.value.taken) == ("bucket_not_found", 0)
