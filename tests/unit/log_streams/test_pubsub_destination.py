"""The Pub/Sub destination on a stand-in publisher: what each message carries, and what is
taken when a publish fails (the real thing: tests/e2e/log_streams)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from google.api_core import exceptions

from application.log_streams.ports import DestinationDown, StreamRecord
from infrastructure.log_streams.pubsub import PubSubDestination

TOPIC = "projects/demo/topics/siem"
AT = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)


def google(kind: type[Exception], message: str) -> Exception:
    """One of google-api-core's errors (their constructors are untyped)."""
    return kind(message)


class Result:
    def __init__(self, failure: Exception | None) -> None:
        self.failure = failure

    def result(self, timeout: float | None = None) -> object:
        if self.failure is not None:
            raise self.failure
        return "message-id"


class StandInPublisher:
    """Publishes; the message at index ``fails[i]`` fails with its error (once published),
    or its publish call refuses it when the error is ``refused``."""

    def __init__(self, fails: dict[int, Exception] | None = None, refused: int | None = None):
        self.fails, self.refused = fails or {}, refused
        self.published: list[tuple[str, bytes, str, dict[str, Any]]] = []
        self.resumed: list[tuple[str, str]] = []

    def publish(self, topic: str, data: bytes, ordering_key: str = "", **attrs: Any) -> Result:
        if self.refused == len(self.published):
            raise RuntimeError("ordering key paused")
        index = len(self.published)
        kept = {k: v for k, v in attrs.items() if k not in ("retry", "timeout")}
        self.published.append((topic, data, ordering_key, kept))
        return Result(self.fails.get(index))

    def resume_publish(self, topic: str, ordering_key: str) -> None:
        self.resumed.append((topic, ordering_key))


def records(n: int) -> list[StreamRecord]:
    return [StreamRecord(f"ev{i}", AT, "account.signed_in", f'{{"i": {i}}}') for i in range(n)]


def test_each_record_is_a_message_under_the_streams_key_with_its_id_and_type() -> None:
    publisher = StandInPublisher()
    PubSubDestination(publisher, TOPIC, "stream-1").send(records(2))
    assert publisher.published == [
        (TOPIC, b'{"i": 0}', "stream-1", {"id": "ev0", "type": "account.signed_in"}),
        (TOPIC, b'{"i": 1}', "stream-1", {"id": "ev1", "type": "account.signed_in"}),
    ]
    assert publisher.resumed == []


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (google(exceptions.NotFound, "no topic"), "topic_not_found"),
        (google(exceptions.PermissionDenied, "no"), "permission_denied"),
        (google(exceptions.InvalidArgument, "bad"), "invalid_topic"),
        (TimeoutError(), "deadline_exceeded"),
        (google(exceptions.ServiceUnavailable, "down"), "unreachable"),
    ],
)
def test_taken_counts_the_messages_stored_before_the_first_failure(
    error: Exception, reason: str
) -> None:
    publisher = StandInPublisher(fails={2: error, 3: RuntimeError("key paused")})
    with pytest.raises(DestinationDown) as down:
        PubSubDestination(publisher, TOPIC, "stream-1").send(records(4))
    assert (down.value.reason, down.value.taken) == (reason, 2)
    assert publisher.resumed == [(TOPIC, "stream-1")]  # the next batch is not refused


def test_a_publish_refused_by_the_client_keeps_what_was_stored_before() -> None:
    publisher = StandInPublisher(refused=1)
    with pytest.raises(DestinationDown) as down:
        PubSubDestination(publisher, TOPIC, "stream-1").send(records(3))
    assert (down.value.reason, down.value.taken) == ("unreachable", 1)
    assert len(publisher.published) == 1 and publisher.resumed == [(TOPIC, "stream-1")]
