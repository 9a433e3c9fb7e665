"""File records in ``files/{id}``; the bytes are in object storage (``files/{owner}/{id}``)."""

from __future__ import annotations

import contextlib
from typing import Any

from domain.files import StoredFile
from infrastructure.firestore.client import BOUNDED
from infrastructure.firestore.errors import translates_errors
from infrastructure.firestore.sdk import exceptions, firestore

FILES = "files"


def file_to_doc(stored: StoredFile) -> dict[str, Any]:
    return {
        "owner_id": stored.owner_id,
        "filename": stored.filename,
        "content_type": stored.content_type,
        "size": stored.size,
        "sha256": stored.sha256,
        "created_at": stored.created_at,
    }


def file_from_doc(file_id: str, data: dict[str, Any]) -> StoredFile:
    return StoredFile(
        id=file_id,
        owner_id=data["owner_id"],
        filename=data["filename"],
        content_type=data["content_type"],
        size=data["size"],
        sha256=data["sha256"],
        created_at=data["created_at"],
    )


@translates_errors
class FirestoreFileRepository:
    def __init__(self, client: firestore.Client) -> None:
        self._files = client.collection(FILES)

    def add(self, stored: StoredFile) -> None:
        self._files.document(stored.id).create(file_to_doc(stored), **BOUNDED)

    def get(self, file_id: str) -> StoredFile | None:
        snap = self._files.document(file_id).get(**BOUNDED)
        return file_from_doc(snap.id, snap.to_dict() or {}) if snap.exists else None

    def delete(self, file_id: str) -> None:
        self._files.document(file_id).delete(**BOUNDED)  # a missing document is no error

    def owned_by(self, owner_id: str, limit: int) -> list[StoredFile]:
        query = self._files.where(filter=firestore.FieldFilter("owner_id", "==", owner_id))
        snaps = query.limit(limit).stream(**BOUNDED)
        return [file_from_doc(snap.id, snap.to_dict() or {}) for snap in snaps]

    def change_owner(self, file_id: str, owner_id: str) -> None:
        with contextlib.suppress(exceptions.NotFound):  # deleted meanwhile: nothing to move
            self._files.document(file_id).update({"owner_id": owner_id}, **BOUNDED)
