"""A log stream's Pub/Sub destination: each record one message on the stream's topic
(``projects/P/topics/T``), in order under one ordering key (the stream's id), its
attributes the record's ``id`` and ``type``, its data the record's body
(docs/reference/log-streams-destinations.md, "Pub/Sub").

A batch is published whole, then each message's result awaited in order: ``taken`` counts
the messages Pub/Sub stored before the first that failed. With message ordering, a failed
publish pauses its ordering key, which fails every later message of it: the key is resumed
before the batch is given up, so that the next batch starts again from the first not taken."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import Any, Protocol

from google.api_core import exceptions
from google.api_core.retry import Retry, if_exception_type
from google.cloud.pubsub_v1 import PublisherClient
from google.cloud.pubsub_v1.types import PublisherOptions

from application.log_streams.ports import DestinationDown, StreamRecord
from application.outbound import DEADLINE_EXCEEDED, UNREACHABLE

PUBLISH_DEADLINE = 10.0  # seconds for each message, Pub/Sub's retries included
TOPIC_NOT_FOUND = "topic_not_found"
PERMISSION_DENIED = "permission_denied"
INVALID_TOPIC = "invalid_topic"

_RETRY = Retry(
    initial=0.1,
    maximum=1.0,
    multiplier=2.0,
    timeout=PUBLISH_DEADLINE,
    predicate=if_exception_type(
        exceptions.ServiceUnavailable, exceptions.InternalServerError, exceptions.TooManyRequests
    ),
)


class Published(Protocol):
    def result(self, timeout: float | None = None) -> object: ...


class Publisher(Protocol):
    """What a stream asks of Pub/Sub's publisher client (one with message ordering on)."""

    def publish(
        self, topic: str, data: bytes, ordering_key: str = "", **attrs: Any
    ) -> Published: ...

    def resume_publish(self, topic: str, ordering_key: str) -> None: ...


_lock = threading.Lock()
_made: dict[int, Publisher] = {}  # by process: gRPC channels do not survive gunicorn's fork


def ordered_publisher() -> Publisher:
    """The process's Pub/Sub publisher that keeps each ordering key's messages in order
    (the emulator's when PUBSUB_EMULATOR_HOST is set), made on first use in each process."""
    with _lock:
        publisher = _made.get(os.getpid())
        if publisher is None:
            options = PublisherOptions(enable_message_ordering=True)
            publisher = _made[os.getpid()] = PublisherClient(publisher_options=options)
        return publisher


class PubSubDestination:
    """A stream's ``topic`` (``projects/P/topics/T``), its messages in order under
    ``ordering_key`` (the stream's id), published by ``publisher`` (``ordered_publisher()``)."""

    def __init__(
        self,
        publisher: Publisher,
        topic: str,
        ordering_key: str,
        *,
        deadline: float = PUBLISH_DEADLINE,
    ) -> None:
        self.publisher, self.topic, self.ordering_key = publisher, topic, ordering_key
        self.deadline = deadline

    def send(self, records: Sequence[StreamRecord]) -> None:
        published: list[Published] = []
        failure: Exception | None = None
        for record in records:
            try:
                published.append(
                    self.publisher.publish(
                        self.topic,
                        record.body.encode(),
                        ordering_key=self.ordering_key,
                        retry=_RETRY,
                        timeout=self.deadline,
                        id=record.id,
                        type=record.type,
                    )
                )
            except Exception as error:  # the client's own refusal (a paused key, a bad name)
                failure = error
                break
        taken = 0
        for message in published:
            try:
                message.result(timeout=self.deadline + 2)
            except Exception as error:
                failure = error
                break
            taken += 1
        if failure is not None:
            self.publisher.resume_publish(self.topic, self.ordering_key)
            raise DestinationDown(_cause(failure), taken) from None


def _cause(error: Exception) -> str:
    if isinstance(error, exceptions.NotFound):
        return TOPIC_NOT_FOUND
    if isinstance(error, exceptions.PermissionDenied):
        return PERMISSION_DENIED
    if isinstance(error, exceptions.InvalidArgument | ValueError):
        return INVALID_TOPIC
    if isinstance(error, TimeoutError | exceptions.DeadlineExceeded):
        return DEADLINE_EXCEEDED
    return UNREACHABLE
