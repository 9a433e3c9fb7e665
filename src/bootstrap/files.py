"""The files unit: a user's own files of any type, uploaded, downloaded and deleted
(docs/reference/files.md). The bytes go to the platform's object store
(``kernel.platform.file_store``), under the platform's upload cap (MAX_UPLOAD_BYTES)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from application.accounts.accounts import OWNED_DATA
from application.accounts.guest.merges import MOVABLE_DATA
from application.files import FileRepository, Files, OwnedFiles
from bootstrap.unit import Built, Kernel, Lent, Unit
from infrastructure.firestore.files.repository import FirestoreFileRepository

if TYPE_CHECKING:
    from flask import Blueprint
    from google.cloud.firestore import Client

    from infrastructure.settings import Settings


def adapters(_settings: Settings, client: Client) -> FileRepository:
    return FirestoreFileRepository(client)


def lends(files: FileRepository, kernel: Kernel) -> Lent:
    """A person's files (records and objects) go with their account, and to the account a
    guest is merged into (each object under the new owner's key)."""
    owned = OwnedFiles(files, kernel.platform.file_store)
    return Lent(fills=(OWNED_DATA(owned), MOVABLE_DATA(owned)))


def build(files: FileRepository, kernel: Kernel) -> Built:
    return Built(
        services=(
            Files(
                files=files,
                store=kernel.platform.file_store,
                clock=kernel.platform.clock,
                max_bytes=kernel.settings.storage.max_upload_bytes,
            ),
        )
    )


def api() -> Sequence[Blueprint]:
    from interfaces.http.routes.files import routes  # noqa: PLC0415 - loaded with the app

    return (routes.bp,)


def compat_api() -> Sequence[Blueprint]:
    """The replaced dogs API's upload, POST /api/files (docs/migrating.md)."""
    from interfaces.http.routes.files import compat  # noqa: PLC0415 - loaded with the app

    return (compat.bp,)


UNIT = Unit[FileRepository](
    name="files",
    adapters=adapters,
    lends=lends,
    build=build,
    api=api,
    compat_api=compat_api,
)
