"""The template resources: datasets and files (docs/reference/); the units' own settings
are theirs (infrastructure/<unit>/settings.py)."""

from __future__ import annotations

from pydantic import Field

from infrastructure.settings.group import SettingsGroup


class ResourceSettings(SettingsGroup):
    # Uploads' originals; the local profile's default is the emulator's bucket.
    storage_bucket: str = ""
    # Datasets and files (docs/reference/datasets.md#limits-and-memory): the multipart upload
    # cap (413 past it) and the CSV limits: data rows (413), columns (413), characters in one
    # field (413; at most the csv module's own limit).
    max_upload_bytes: int = Field(32 * 1024 * 1024, ge=1024, le=1024 * 1024 * 1024)
    max_dataset_rows: int = Field(250_000, ge=1, le=5_000_000)
    max_dataset_columns: int = Field(200, ge=1, le=1_000)
    csv_max_field_chars: int = Field(131_072, ge=1, le=131_072)
