"""A log stream's Cloud Storage destination: each batch one new object in the stream's
bucket, one JSON line per record (NDJSON), named by the batch
(docs/reference/log-streams-destinations.md, "Cloud Storage";
docs/decisions/0953-a-log-streams-batch-is-one-object-never-overwritten.md):

    {prefix}/{stream id}/{yyyy}/{mm}/{dd}/{first record's time}-{first id}-{digest}.ndjson

the date and time the first record's (UTC), the digest that of the batch's ids in order. An
object is written only if no object has its name (``if_generation_match=0``): a batch sent
again whole, after an attempt whose answer was lost, finds its object there and is taken;
a batch of other records never overwrites one."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC
from typing import Any
from urllib.parse import quote

import requests
from google.api_core import exceptions
from google.auth import exceptions as auth_errors
from google.cloud.storage.retry import DEFAULT_RETRY

from application.log_streams.ports import DestinationDown, StreamRecord
from application.outbound import DEADLINE_EXCEEDED, UNREACHABLE

PREFIX = "firegate"
TIMEOUT = (5.0, 30.0)  # connect, read (seconds) per HTTP request
RETRY_SECONDS = 20.0  # the whole upload's, retries included
CONTENT_TYPE = "application/x-ndjson"
BUCKET_NOT_FOUND = "bucket_not_found"
PERMISSION_DENIED = "permission_denied"
# What a write fails by when the bucket or the way to it fails (not a bug of ours).
_OUTAGE: tuple[type[Exception], ...] = (
    exceptions.GoogleAPIError,
    requests.RequestException,
    auth_errors.TransportError,
    auth_errors.RefreshError,
    ConnectionError,
    TimeoutError,
)


def object_name(prefix: str, stream_id: str, records: Sequence[StreamRecord]) -> str:
    """The name of the object ``records`` (at least one) are written as."""
    first = records[0]
    at = first.at.astimezone(UTC) if first.at.tzinfo is not None else first.at
    digest = hashlib.sha256("\n".join(record.id for record in records).encode()).hexdigest()
    return (
        f"{prefix}/{quote(stream_id, safe='')}/{at:%Y/%m/%d}/"
        f"{at:%Y%m%dT%H%M%S.%fZ}-{quote(first.id, safe='')}-{digest[:16]}.ndjson"
    )


def ndjson(records: Sequence[StreamRecord]) -> bytes:
    """One line per record, its body: a JSON text has a line break only between its tokens
    (one in a string is escaped), where a space means the same."""
    lines = (record.body.replace("\r", " ").replace("\n", " ") for record in records)
    return "".join(f"{line}\n" for line in lines).encode()


class GcsDestination:
    """The stream ``stream_id``'s objects in ``bucket``, under ``prefix``, written by
    ``client`` (a google-cloud-storage client: ``infrastructure.gcs_storage.storage_client``)."""

    def __init__(
        self,
        client: Any,
        bucket: str,
        stream_id: str,
        *,
        prefix: str = PREFIX,
        retry_seconds: float = RETRY_SECONDS,
    ) -> None:
        self.bucket = client.bucket(bucket)
        self.stream_id, self.prefix = stream_id, prefix.strip("/") or PREFIX
        self._retry = DEFAULT_RETRY.with_timeout(retry_seconds)

    def send(self, records: Sequence[StreamRecord]) -> None:
        if not records:
            return
        blob = self.bucket.blob(object_name(self.prefix, self.stream_id, records))
        try:
            blob.upload_from_string(
                ndjson(records),
                content_type=CONTENT_TYPE,
                if_generation_match=0,
                timeout=TIMEOUT,
                retry=self._retry,
            )
        except exceptions.PreconditionFailed:
            return  # written by an earlier attempt: the same records, in the same order
        except _OUTAGE as error:
            raise DestinationDown(_cause(error)) from None
        except Exception as error:  # resumable-media raises its own types (InvalidResponse)
            if type(error).__module__.startswith("google."):
                raise DestinationDown(_cause(error)) from None
            raise


def _cause(error: Exception) -> str:
    if isinstance(error, exceptions.NotFound):
        return BUCKET_NOT_FOUND
    if isinstance(error, exceptions.Forbidden | exceptions.Unauthorized | auth_errors.RefreshError):
        return PERMISSION_DENIED
    if isinstance(error, TimeoutError | requests.Timeout | exceptions.DeadlineExceeded):
        return DEADLINE_EXCEEDED
    return UNREACHABLE
