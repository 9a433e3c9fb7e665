"""The fake of the platform's object store (the FileStore port the upload units share), which
the contract suite holds to the Cloud Storage adapter's behaviour
(tests/contract/test_file_store.py)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import BinaryIO

from domain.errors import NotFound


class FakeFileStore:
    """Objects in a dict; ``open`` answers chunks, like the Cloud Storage adapter."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.objects: dict[str, tuple[bytes, str]] = {}  # key -> (bytes, content type)

    def save(self, key: str, data: BinaryIO, *, size: int, content_type: str) -> None:
        data.seek(0)
        body = data.read(size)
        with self.lock:
            self.objects[key] = (body, content_type)

    def open(self, key: str) -> Iterator[bytes]:
        found = self.objects.get(key)
        if found is None:
            raise NotFound("No such object.", code="object_not_found")
        body = found[0]
        return iter([body[i : i + 65_536] for i in range(0, len(body), 65_536)])

    def delete(self, key: str) -> None:
        with self.lock:
            self.objects.pop(key, None)

    def delete_prefix(self, prefix: str) -> int:
        with self.lock:
            keys = [key for key in self.objects if key.startswith(prefix)]
            for key in keys:
                del self.objects[key]
        return len(keys)
