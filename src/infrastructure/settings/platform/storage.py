"""The object store the upload units share (datasets, files): its bucket and the upload cap."""

from __future__ import annotations

from pydantic import Field

from infrastructure.settings.group import SettingsGroup


class StorageSettings(SettingsGroup):
    # Uploads' originals; the local profile's default is the emulator's bucket (filled in by
    # the composition, from the service's project).
    storage_bucket: str = ""
    # The multipart upload cap of every upload route (413 past it;
    # docs/reference/datasets.md#limits-and-memory).
    max_upload_bytes: int = Field(32 * 1024 * 1024, ge=1024, le=1024 * 1024 * 1024)
