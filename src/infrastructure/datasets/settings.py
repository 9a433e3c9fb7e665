"""The datasets unit's own settings (docs/configuration.md, "Datasets and files"): the CSV
limits, read with ``settings.group(DatasetSettings)`` in bootstrap/datasets.py."""

from __future__ import annotations

from pydantic import Field

from infrastructure.settings.group import SettingsGroup


class DatasetSettings(SettingsGroup):
    # docs/reference/datasets.md#limits-and-memory: data rows (413), columns (413),
    # characters in one field (413; at most the csv module's own limit).
    max_dataset_rows: int = Field(250_000, ge=1, le=5_000_000)
    max_dataset_columns: int = Field(200, ge=1, le=1_000)
    csv_max_field_chars: int = Field(131_072, ge=1, le=131_072)
