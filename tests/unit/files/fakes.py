"""The files unit's fakes: its repository in memory, which the contract suite holds to the
Firestore adapter's behaviour (tests/e2e/files/test_file_repository.py)."""

from __future__ import annotations

import threading
from dataclasses import replace

from application.files import FileRepository
from domain.errors import Conflict
from domain.files import StoredFile
from infrastructure.settings import Settings


class FakeFileRepository:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.files: dict[str, StoredFile] = {}

    def add(self, stored: StoredFile) -> None:
        with self.lock:
            if stored.id in self.files:
                raise Conflict("file exists")
            self.files[stored.id] = stored

    def get(self, file_id: str) -> StoredFile | None:
        return self.files.get(file_id)

    def delete(self, file_id: str) -> None:
        with self.lock:
            self.files.pop(file_id, None)

    def owned_by(self, owner_id: str, limit: int) -> list[StoredFile]:
        return [f for f in self.files.values() if f.owner_id == owner_id][:limit]

    def change_owner(self, file_id: str, owner_id: str) -> None:
        with self.lock:
            if (found := self.files.get(file_id)) is not None:
                self.files[file_id] = replace(found, owner_id=owner_id)


def adapters(_settings: Settings) -> FileRepository:
    """The unit's adapters on fakes (tests/support/app.py makes every unit's)."""
    return FakeFileRepository()
