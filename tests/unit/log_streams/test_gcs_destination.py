"""The Cloud Storage destination's objects on a stand-in client: their names, their lines,
never overwritten (the real thing: tests/e2e/log_streams)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from google.api_core import exceptions

from application.log_streams.ports import DestinationDown, StreamRecord
from infrastructure.log_streams.gcs import GcsDestination, ndjson, object_name

AT = datetime(2026, 3, 4, 5, 6, 7, 890000, tzinfo=UTC)


def google(kind: type[Exception], message: str) -> Exception:
    """One of google-api-core's errors (their constructors are untyped)."""
    return kind(message)


def records(n: int, start: int = 0) -> list[StreamRecord]:
    return [StreamRecord(f"ev{i}", AT, "t", f'{{"i": {i}}}') for i in range(start, start + n)]


class StandInBucket:
    def __init__(self, failure: Exception | None = None) -> None:
        self.objects: dict[str, bytes] = {}
        self.uploads: list[dict[str, Any]] = []
        self.failure = failure

    def blob(self, name: str) -> StandInBlob:
        return StandInBlob(self, name)


class StandInBlob:
    def __init__(self, bucket: StandInBucket, name: str) -> None:
        self.bucket, self.name = bucket, name

    def upload_from_string(self, data: bytes, **options: Any) -> None:
        self.bucket.uploads.append(options)
        if self.bucket.failure is not None:
            raise self.bucket.failure
        if options.get("if_generation_match") == 0 and self.name in self.bucket.objects:
            raise google(exceptions.PreconditionFailed, "exists")
        self.bucket.objects[self.name] = data


class StandInClient:
    def __init__(self, bucket: StandInBucket) -> None:
        self.buckets: dict[str, StandInBucket] = {"logs": bucket}

    def bucket(self, name: str) -> StandInBucket:
        return self.buckets[name]


def test_a_batch_is_one_object_named_by_its_first_record_and_its_ids() -> None:
    name = object_name("firegate", "st-1", records(2))
    assert name.startswith("firegate/st-1/2026/03/04/20260304T050607.890000Z-ev0-")
    assert name.endswith(".ndjson")
    assert name != object_name("firegate", "st-1", records(3))  # other records, other name
    assert name == object_name("firegate", "st-1", records(2))


def test_the_name_is_in_utc_and_its_parts_are_quoted() -> None:
    plus_two = timezone(timedelta(hours=2))
    odd = [StreamRecord("a/b", datetime(2026, 3, 4, 1, 0, tzinfo=plus_two), "t", "{}")]
    assert object_name("p", "s/1", odd).startswith(
        "p/s%2F1/2026/03/03/20260303T230000.000000Z-a%2Fb-"
    )


def test_one_json_line_per_record() -> None:
    lines = [StreamRecord("e", AT, "t", '{\n  "a": 1\r\n}'), StreamRecord("f", AT, "t", "{}")]
    assert ndjson(lines) == b'{   "a": 1  }\n{}\n'


def test_a_batch_written_never_overwrites_and_its_retry_is_taken() -> None:
    bucket = StandInBucket()
    destination = GcsDestination(StandInClient(bucket), "logs", "st-1", prefix="/audit/")
    destination.send(records(2))
    destination.send(records(2))  # its answer lost the first time: sent again
    destination.send(records(3))  # more records: an object of its own
    assert [upload["if_generation_match"] for upload in bucket.uploads] == [0, 0, 0]
    assert sorted(bucket.objects.values()) == [
        b'{"i": 0}\n{"i": 1}\n',
        b'{"i": 0}\n{"i": 1}\n{"i": 2}\n',
    ]
    assert all(name.startswith("audit/st-1/") for name in bucket.objects)
    assert bucket.uploads[0]["content_type"] == "application/x-ndjson"


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (google(exceptions.NotFound, "no bucket"), "bucket_not_found"),
        (google(exceptions.Forbidden, "no"), "permission_denied"),
        (google(exceptions.ServiceUnavailable, "down"), "unreachable"),
        (ConnectionError("reset"), "unreachable"),
        (TimeoutError(), "deadline_exceeded"),
    ],
)
def test_a_failed_write_takes_nothing(error: Exception, reason: str) -> None:
    destination = GcsDestination(StandInClient(StandInBucket(error)), "logs", "st-1")
    with pytest.raises(DestinationDown) as down:
        destination.send(records(2))
    assert (down.value.reason, down.value.taken) == (reason, 0)


def test_a_bug_is_not_a_destination_down() -> None:
    destination = GcsDestination(StandInClient(StandInBucket(KeyError("x"))), "logs", "st-1")
    with pytest.raises(KeyError):
        destination.send(records(1))


def test_no_batch_no_object() -> None:
    bucket = StandInBucket()
    GcsDestination(StandInClient(bucket), "logs", "st-1").send([])
    assert bucket.uploads == []
