"""The resources: their adapters (datasets, files and their store), made from their settings,
and the objects of their use cases built on them (``Datasets``, ``Files``), each once.

The file store is made with Cloud Storage's client library by its first use in a worker
(bootstrap/cloud.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from application.ports import FileStore, MovableData, OwnedData
from application.resources.csv_input import CsvLimits
from application.resources.datasets import (
    DatasetLimits,
    DatasetRepository,
    Datasets,
    OwnedDatasets,
)
from application.resources.files import FileRepository, Files, OwnedFiles
from application.resources.services import ResourceServices
from bootstrap.accounts import Shared
from bootstrap.cloud import GcsFileStoreOnFirstUse
from bootstrap.platform import Platform
from infrastructure.firestore.resources.datasets import FirestoreDatasetRepository
from infrastructure.firestore.resources.files import FirestoreFileRepository
from infrastructure.settings import Settings

if TYPE_CHECKING:
    from google.cloud.firestore import Client


def file_store(settings: Settings) -> FileStore:
    """Cloud Storage's adapter, made by its first use in a worker (bootstrap/cloud.py)."""

    def make() -> FileStore:
        # A cloud client library: imported by the worker, never by gunicorn's master.
        from infrastructure.resources.gcs_storage import GcsFileStore  # noqa: PLC0415

        return GcsFileStore(
            settings.resources.storage_bucket,
            project=settings.service.google_cloud_project,
            create_bucket=settings.service.app_profile == "local",
        )

    return GcsFileStoreOnFirstUse(make)


@dataclass(frozen=True)
class ResourcesAdapters:
    datasets: DatasetRepository
    files: FileRepository
    file_store: FileStore


def build(settings: Settings, client: Client) -> ResourcesAdapters:
    return ResourcesAdapters(
        datasets=FirestoreDatasetRepository(client),
        files=FirestoreFileRepository(client),
        # Originals in Cloud Storage (the storage emulator locally); records and rows in
        # Firestore.
        file_store=file_store(settings),
    )


def owned(own: ResourcesAdapters) -> list[OwnedData]:
    """What the resources keep per user, deleted with the account."""
    return [
        OwnedDatasets(own.datasets, own.file_store),
        OwnedFiles(own.files, own.file_store),
    ]


def movable(own: ResourcesAdapters) -> list[MovableData]:
    """What the resources keep per user, given to the account a guest is merged into."""
    return [
        OwnedDatasets(own.datasets, own.file_store),
        OwnedFiles(own.files, own.file_store),
    ]


def dataset_limits(settings: Settings) -> DatasetLimits:
    resources = settings.resources
    return DatasetLimits(
        max_upload_bytes=resources.max_upload_bytes,
        csv=CsvLimits(
            max_rows=resources.max_dataset_rows,
            max_columns=resources.max_dataset_columns,
            max_field_chars=resources.csv_max_field_chars,
        ),
    )


def bind_datasets(own: ResourcesAdapters, settings: Settings, *, platform: Platform) -> Datasets:
    return Datasets(
        datasets=own.datasets,
        store=own.file_store,
        clock=platform.clock,
        limits=dataset_limits(settings),
    )


def bind_files(own: ResourcesAdapters, settings: Settings, *, platform: Platform) -> Files:
    return Files(
        files=own.files,
        store=own.file_store,
        clock=platform.clock,
        max_bytes=settings.resources.max_upload_bytes,
    )


def wire(own: ResourcesAdapters, settings: Settings, shared: Shared) -> ResourceServices:
    """The resources' use cases."""
    platform = shared.platform
    return ResourceServices(
        datasets=bind_datasets(own, settings, platform=platform),
        files=bind_files(own, settings, platform=platform),
    )
