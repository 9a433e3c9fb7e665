"""GcsFileStore beyond the FileStore contract: configuration, bucket creation, outages."""

from __future__ import annotations

import io
import socket
import time
from typing import Any

import pytest

from domain.errors import Unavailable
from infrastructure.gcs_storage import GcsFileStore

pytestmark = pytest.mark.integration


def test_without_a_bucket_nothing_is_stored_and_deleting_is_a_no_op() -> None:
    store = GcsFileStore("", project="demo-firegate")
    with pytest.raises(Unavailable) as caught:
        store.save("k", io.BytesIO(b"x"), size=1, content_type="text/plain")
    assert caught.value.code == "storage_not_configured"
    store.delete("k")
    assert store.delete_prefix("files/u/") == 0


def test_the_local_profile_creates_its_bucket(clean_emulators: Any) -> None:
    store = GcsFileStore("fresh-bucket", project=clean_emulators.project, create_bucket=True)
    store.save("a/b", io.BytesIO(b"hello"), size=5, content_type="text/plain")
    assert b"".join(store.open("a/b")) == b"hello"


def test_storage_down_is_unavailable_within_the_budget(
    monkeypatch: pytest.MonkeyPatch, emulators: Any
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed once the block ends: nothing listens there
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", f"http://127.0.0.1:{port}")
    store = GcsFileStore("bucket", project="demo-firegate", retry_seconds=0.5)
    started = time.monotonic()
    with pytest.raises(Unavailable):
        store.save("k", io.BytesIO(b"x"), size=1, content_type="text/plain")
    with pytest.raises(Unavailable):
        store.open("k")
    with pytest.raises(Unavailable):
        store.delete_prefix("files/")
    assert time.monotonic() - started < 15
