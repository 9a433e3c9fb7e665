"""Object storage on Cloud Storage (google-cloud-storage); the FileStore port.

Streams both ways: an upload is read from the caller's (spooled) stream in 4 MiB chunks of a
resumable upload (or one request for up to 1 MiB), a download is fetched in 1 MiB ranges, so
no object is ever held whole in memory. Every call has a timeout and a bounded retry budget;
a storage outage becomes ``Unavailable`` (503), never a hanging request or a 500.

With ``STORAGE_EMULATOR_HOST`` set (local profile) the client talks to gcp-storage-emulator
with anonymous credentials, and the bucket is created when missing (``create_bucket``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Iterator
from typing import Any, BinaryIO

import requests
from google.api_core import exceptions as google_errors
from google.auth import exceptions as auth_errors
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage  # type: ignore[attr-defined,unused-ignore]  # attr-defined only when src is checked alone
from google.cloud.storage.retry import DEFAULT_RETRY

from domain.errors import NotFound, Unavailable

log = logging.getLogger("firegate.storage")

UPLOAD_CHUNK = 4 * 1024 * 1024  # a multiple of 256 KiB, as resumable uploads require
SINGLE_REQUEST_MAX = 1024 * 1024  # larger uploads go in chunks (never read whole)
DOWNLOAD_CHUNK = 1024 * 1024
TIMEOUT = (5.0, 30.0)  # connect, read (seconds) per HTTP request
RETRY_SECONDS = 8.0  # like Firestore's budget: an outage is a 503 within seconds
DELETE_PAGE = 200

_OUTAGE: tuple[type[BaseException], ...] = (
    google_errors.GoogleAPIError,
    requests.RequestException,
    auth_errors.TransportError,
    auth_errors.RefreshError,
    ConnectionError,
    TimeoutError,
)


@contextlib.contextmanager
def _unavailable_on_outage() -> Iterator[None]:
    try:
        yield
    except google_errors.NotFound:
        raise
    except _OUTAGE as exc:
        log.warning("object storage failed: %s", type(exc).__name__)
        raise Unavailable("Object storage is unavailable; try again shortly.") from exc
    except Exception as exc:  # resumable-media raises its own types (InvalidResponse, ...)
        if type(exc).__module__.startswith("google."):
            log.warning("object storage failed: %s", type(exc).__name__)
            raise Unavailable("Object storage is unavailable; try again shortly.") from exc
        raise


def storage_client(project: str) -> Any:
    """A Cloud Storage client of ``project``: the emulator's, with anonymous credentials,
    when ``STORAGE_EMULATOR_HOST`` is set (the log streams' bucket destination makes its
    client so too). Made in the process that uses it (after gunicorn's fork)."""
    if os.environ.get("STORAGE_EMULATOR_HOST"):
        return storage.Client(
            project=project,
            credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
        )
    return storage.Client(project=project)


class GcsFileStore:
    def __init__(
        self,
        bucket: str,
        *,
        project: str,
        create_bucket: bool = False,
        retry_seconds: float = RETRY_SECONDS,
    ) -> None:
        self._retry = DEFAULT_RETRY.with_timeout(retry_seconds)
        self._bucket_name = bucket
        self._project = project
        self._create_bucket = create_bucket
        self._lock = threading.Lock()
        self._bucket: Any = None

    def _get_bucket(self) -> Any:
        """The bucket handle, made on first use in each process (after gunicorn's fork)."""
        if self._bucket is not None:
            return self._bucket
        if not self._bucket_name:
            raise Unavailable(
                "Object storage is not configured (STORAGE_BUCKET).", code="storage_not_configured"
            )
        with self._lock:
            if self._bucket is None:
                client = storage_client(self._project)
                bucket = client.bucket(self._bucket_name)
                if self._create_bucket:
                    with _unavailable_on_outage():
                        if not bucket.exists(timeout=TIMEOUT, retry=self._retry):
                            with contextlib.suppress(google_errors.Conflict):
                                client.create_bucket(bucket, timeout=TIMEOUT, retry=self._retry)
                self._bucket = bucket
        return self._bucket

    def save(self, key: str, data: BinaryIO, *, size: int, content_type: str) -> None:
        blob = self._get_bucket().blob(key, chunk_size=UPLOAD_CHUNK)
        data.seek(0)
        with _unavailable_on_outage():
            blob.upload_from_file(
                data,
                # Known size <= 1 MiB: one request. Otherwise a chunked resumable upload,
                # which reads one chunk at a time (with a size the library would read up
                # to 8 MiB at once).
                size=size if size <= SINGLE_REQUEST_MAX else None,
                content_type=content_type,
                timeout=TIMEOUT,
                retry=self._retry,
            )

    def open(self, key: str) -> Iterator[bytes]:
        with _unavailable_on_outage():
            blob = self._get_bucket().get_blob(key, timeout=TIMEOUT, retry=self._retry)
        if blob is None:
            raise NotFound("No such object.", code="object_not_found")
        size = int(blob.size or 0)
        first = self._range(blob, 0, size) if size else b""
        return self._chunks(blob, first, size)

    def _range(self, blob: Any, start: int, size: int) -> bytes:
        end = min(start + DOWNLOAD_CHUNK, size) - 1
        try:
            with _unavailable_on_outage():
                chunk: bytes = blob.download_as_bytes(
                    start=start, end=end, checksum=None, timeout=TIMEOUT, retry=self._retry
                )
        except google_errors.NotFound:
            raise NotFound("No such object.", code="object_not_found") from None
        return chunk

    def _chunks(self, blob: Any, first: bytes, size: int) -> Iterator[bytes]:
        if first:
            yield first
        position = len(first)
        while position < size:
            chunk = self._range(blob, position, size)
            if not chunk:
                break
            position += len(chunk)
            yield chunk

    def delete(self, key: str) -> None:
        if not self._bucket_name:
            return  # nothing can have been stored (an account deletion must not fail on it)
        with _unavailable_on_outage(), contextlib.suppress(google_errors.NotFound):
            self._get_bucket().delete_blob(key, timeout=TIMEOUT, retry=self._retry)

    def delete_prefix(self, prefix: str) -> int:
        if not self._bucket_name:
            return 0
        bucket = self._get_bucket()
        removed = 0
        with _unavailable_on_outage():
            while True:
                page = list(
                    bucket.list_blobs(
                        prefix=prefix, max_results=DELETE_PAGE, timeout=TIMEOUT, retry=self._retry
                    )
                )
                for blob in page:
                    with contextlib.suppress(google_errors.NotFound):
                        blob.delete(timeout=TIMEOUT, retry=self._retry)
                    removed += 1
                if len(page) < DELETE_PAGE:
                    return removed
