"""The datasets unit: CSV uploads, validated, their rows stored and exported
(docs/reference/datasets.md). Its originals go to the platform's object store
(``kernel.platform.file_store``), under the platform's upload cap (MAX_UPLOAD_BYTES); its
CSV limits are its own settings (``DatasetSettings``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from application.accounts.accounts import OWNED_DATA
from application.accounts.guest.merges import MOVABLE_DATA
from application.datasets.csv_input import CsvLimits
from application.datasets.use_cases import (
    DatasetLimits,
    DatasetRepository,
    Datasets,
    OwnedDatasets,
)
from bootstrap.unit import Built, Kernel, Lent, Unit
from infrastructure.datasets.settings import DatasetSettings
from infrastructure.firestore.datasets.repository import FirestoreDatasetRepository

if TYPE_CHECKING:
    from flask import Blueprint
    from google.cloud.firestore import Client

    from infrastructure.settings import Settings


def adapters(_settings: Settings, client: Client) -> DatasetRepository:
    return FirestoreDatasetRepository(client)


def lends(datasets: DatasetRepository, kernel: Kernel) -> Lent:
    """A person's datasets (records, rows and originals) go with their account, and to the
    account a guest is merged into."""
    owned = OwnedDatasets(datasets, kernel.platform.file_store)
    return Lent(fills=(OWNED_DATA(owned), MOVABLE_DATA(owned)))


def limits(settings: Settings) -> DatasetLimits:
    own = settings.group(DatasetSettings)
    return DatasetLimits(
        max_upload_bytes=settings.storage.max_upload_bytes,
        csv=CsvLimits(
            max_rows=own.max_dataset_rows,
            max_columns=own.max_dataset_columns,
            max_field_chars=own.csv_max_field_chars,
        ),
    )


def build(datasets: DatasetRepository, kernel: Kernel) -> Built:
    return Built(
        services=(
            Datasets(
                datasets=datasets,
                store=kernel.platform.file_store,
                clock=kernel.platform.clock,
                limits=limits(kernel.settings),
            ),
        )
    )


def api() -> Sequence[Blueprint]:
    from interfaces.http.routes.datasets import routes  # noqa: PLC0415 - loaded with the app

    return (routes.bp,)


UNIT = Unit[DatasetRepository](
    name="datasets",
    adapters=adapters,
    lends=lends,
    build=build,
    settings=(DatasetSettings,),
    api=api,
)
