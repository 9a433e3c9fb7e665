"""Files (docs/reference/files.md): upload, download and delete a user's own files of any type."""

from __future__ import annotations

import contextlib
import logging
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Protocol

from application.ports import Clock, FileStore
from application.signin.authentication import Actor
from application.uploads import Upload, measure
from domain.errors import NotFound
from domain.files import StoredFile, files_prefix, media_type
from domain.ids import is_id, new_id
from domain.uploads import check_filename


class FileRepository(Protocol):
    def add(self, file: StoredFile) -> None:
        """Store a new file record."""
        ...

    def get(self, file_id: str) -> StoredFile | None:
        """The file record with this id, whoever owns it; None if absent."""
        ...

    def delete(self, file_id: str) -> None:
        """Remove one file record (idempotent)."""
        ...

    def owned_by(self, owner_id: str, limit: int) -> list[StoredFile]:
        """Up to ``limit`` of the owner's file records."""
        ...

    def change_owner(self, file_id: str, owner_id: str) -> None:
        """The file record now ``owner_id``'s (nothing if it is gone)."""
        ...


log = logging.getLogger("firegate.files")


@dataclass(frozen=True)
class UploadFile:
    actor: Actor
    upload: Upload


@dataclass(frozen=True)
class OpenFile:
    actor: Actor
    file_id: str


@dataclass(frozen=True)
class DeleteFile:
    actor: Actor
    file_id: str


def _not_found() -> NotFound:
    return NotFound("No such file.", code="file_not_found")


def _own(files: FileRepository, actor: Actor, file_id: str) -> StoredFile:
    found = files.get(file_id) if is_id(file_id) else None
    if found is None or found.owner_id != actor.user_id:
        raise _not_found()  # another user's file is as absent as a missing one
    return found


def _forget_object(store: FileStore, key: str) -> None:
    with contextlib.suppress(Exception):
        store.delete(key)
        return
    log.warning("could not remove an orphaned object after a failed upload")


@dataclass(frozen=True)
class OwnedFiles:
    """OwnedData: a user's files, deleted with the account (objects first, then records);
    MovableData: given to another with a merged guest's data (docs/guests.md)."""

    files: FileRepository
    store: FileStore

    def delete_owned_by(self, user_id: str, batch_size: int) -> None:
        while batch := self.files.owned_by(user_id, batch_size):
            for stored in batch:
                self.store.delete(stored.object_key)
                self.files.delete(stored.id)
        # Objects whose record was never written (a crash mid-upload) share the prefix.
        self.store.delete_prefix(files_prefix(user_id))

    def move_owned(self, from_id: str, to_id: str, batch_size: int) -> None:
        """Each file's bytes copied under the new owner's prefix, then its record given to
        them, then the old object removed: a run cut short anywhere is finished by the next,
        which copies again what no record points at yet (docs/decisions/0561)."""
        while batch := self.files.owned_by(from_id, batch_size):
            for stored in batch:
                moved = replace(stored, owner_id=to_id)
                with contextlib.suppress(NotFound):  # no object: the record moves all the same
                    _copy(self.store, stored.object_key, moved)
                self.files.change_owner(stored.id, to_id)
                self.store.delete(stored.object_key)


def _copy(store: FileStore, key: str, to: StoredFile) -> None:
    """The object at ``key`` saved again as ``to``'s, spooled through a temporary file (the
    store streams both ways, and holds no copy of its own)."""
    with tempfile.TemporaryFile() as spool:
        for chunk in store.open(key):
            spool.write(chunk)
        spool.seek(0)
        store.save(to.object_key, spool, size=to.size, content_type=to.content_type)


@dataclass(frozen=True, kw_only=True, slots=True)
class Files:
    """The file use cases: a user's own files of any type, the bytes in the file store and
    a record of each in the repository; another user's file answers 404.

    ``max_bytes``: the largest upload (413 ``file_too_large`` past it)."""

    files: FileRepository
    store: FileStore
    clock: Clock
    max_bytes: int

    def upload(self, cmd: UploadFile) -> StoredFile:
        upload, store = cmd.upload, self.store
        filename = check_filename(upload.filename or "")
        size, sha256 = measure(upload.stream, self.max_bytes)
        stored = StoredFile(
            id=new_id(),
            owner_id=cmd.actor.user_id,
            filename=filename,
            content_type=media_type(upload.content_type),
            size=size,
            sha256=sha256,
            created_at=self.clock.now(),
        )
        store.save(stored.object_key, upload.stream, size=size, content_type=stored.content_type)
        try:
            self.files.add(stored)
        except BaseException:
            _forget_object(store, stored.object_key)
            raise
        return stored

    def open(self, cmd: OpenFile) -> tuple[StoredFile, Iterator[bytes]]:
        """The file's record and its bytes, streamed; 404 for another user's file."""
        found = _own(self.files, cmd.actor, cmd.file_id)
        try:
            return found, self.store.open(found.object_key)
        except NotFound:
            raise _not_found() from None

    def delete(self, cmd: DeleteFile) -> None:
        found = _own(self.files, cmd.actor, cmd.file_id)
        self.store.delete(found.object_key)
        self.files.delete(found.id)  # last: a failure in between leaves the record to retry with
