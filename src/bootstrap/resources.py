"""The resources: their adapters (tasks, dogs and their pictures' source, datasets, files
and their store), made from their settings, and their use cases bound to them.

A use case is bound here with ``functools.partial`` (docs/decisions/0042-wiring-per-feature.md).
The file store is made with Cloud Storage's client library by its first use in a worker
(bootstrap/cloud.py)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from application.jobs import JobHandler
from application.ports import FileStore, JobQueue, OwnedData
from application.resources.csv_input import CsvLimits
from application.resources.datasets import (
    DatasetLimits,
    DatasetRepository,
    DatasetServices,
    OwnedDatasets,
    dataset_rows,
    delete_dataset,
    export_csv,
    import_dataset,
    list_datasets,
    show_dataset,
)
from application.resources.dogs import (
    FETCH_DOG_PICTURE,
    DogRepository,
    DogServices,
    PictureSource,
    create_dog,
    delete_dog,
    edit_dog,
    fetch_picture,
    get_dog,
    list_dogs,
)
from application.resources.files import (
    FileRepository,
    FileServices,
    OwnedFiles,
    delete_file,
    open_file,
    upload_file,
)
from application.resources.tasks import (
    TaskRepository,
    TaskServices,
    create_task,
    delete_task,
    edit_task,
    get_task,
    list_tasks,
)
from bootstrap.cloud import GcsFileStoreOnFirstUse
from bootstrap.platform import Platform
from infrastructure.firestore.resources.datasets import FirestoreDatasetRepository
from infrastructure.firestore.resources.dogs import FirestoreDogRepository
from infrastructure.firestore.resources.files import FirestoreFileRepository
from infrastructure.firestore.resources.tasks import FirestoreTaskRepository
from infrastructure.resources.dog_ceo import DogCeoPictureSource
from infrastructure.settings import Settings
from infrastructure.settings.resources import ResourceSettings

if TYPE_CHECKING:
    from google.cloud.firestore import Client


def picture_source(resources: ResourceSettings) -> PictureSource:
    return DogCeoPictureSource(
        resources.dog_api_url,
        allowed_hosts=resources.dog_image_hosts,
        connect_timeout=min(3.0, resources.dog_api_timeout),
        read_timeout=resources.dog_api_timeout,
        deadline=2 * resources.dog_api_timeout,
    )


def file_store(settings: Settings) -> FileStore:
    # A cloud client library: imported by the worker, never by gunicorn's master.
    from infrastructure.resources.gcs_storage import GcsFileStore  # noqa: PLC0415

    return GcsFileStore(
        settings.resources.storage_bucket,
        project=settings.service.google_cloud_project,
        create_bucket=settings.service.app_profile == "local",
    )


@dataclass(frozen=True)
class ResourcesAdapters:
    tasks: TaskRepository
    dogs: DogRepository
    pictures: PictureSource
    datasets: DatasetRepository
    files: FileRepository
    file_store: FileStore


def build(settings: Settings, client: Client) -> ResourcesAdapters:
    return ResourcesAdapters(
        tasks=FirestoreTaskRepository(client),
        dogs=FirestoreDogRepository(client),
        pictures=picture_source(settings.resources),
        datasets=FirestoreDatasetRepository(client),
        files=FirestoreFileRepository(client),
        # Originals in Cloud Storage (the storage emulator locally); records and rows in
        # Firestore.
        file_store=GcsFileStoreOnFirstUse(partial(file_store, settings)),
    )


def owned(own: ResourcesAdapters) -> list[OwnedData]:
    """What the resources keep per user, deleted with the account."""
    return [
        OwnedDatasets(own.datasets, own.file_store),
        OwnedFiles(own.files, own.file_store),
        own.tasks,
        own.dogs,
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


def bind_tasks(own: ResourcesAdapters, *, platform: Platform) -> TaskServices:
    tasks, clock = own.tasks, platform.clock
    return TaskServices(
        create=partial(create_task, tasks=tasks, clock=clock),
        list=partial(list_tasks, tasks=tasks),
        get=partial(get_task, tasks=tasks),
        edit=partial(edit_task, tasks=tasks, clock=clock),
        delete=partial(delete_task, tasks=tasks),
    )


def bind_dogs(own: ResourcesAdapters, *, platform: Platform, queue: JobQueue) -> DogServices:
    dogs, clock = own.dogs, platform.clock
    return DogServices(
        list=partial(list_dogs, dogs=dogs),
        get=partial(get_dog, dogs=dogs),
        create=partial(create_dog, dogs=dogs, queue=queue, clock=clock),
        edit=partial(edit_dog, dogs=dogs, clock=clock),
        delete=partial(delete_dog, dogs=dogs),
    )


def handlers(own: ResourcesAdapters, *, platform: Platform) -> dict[str, JobHandler]:
    """The jobs of this feature by kind: handlers, not use cases (they take the job)."""
    dogs, pictures, clock = own.dogs, own.pictures, platform.clock
    return {FETCH_DOG_PICTURE: partial(fetch_picture, dogs=dogs, pictures=pictures, clock=clock)}


def bind_datasets(
    own: ResourcesAdapters, settings: Settings, *, platform: Platform
) -> DatasetServices:
    datasets, store, clock = own.datasets, own.file_store, platform.clock
    limits = dataset_limits(settings)
    return DatasetServices(
        import_csv=partial(
            import_dataset, datasets=datasets, store=store, clock=clock, limits=limits
        ),
        list=partial(list_datasets, datasets=datasets),
        show=partial(show_dataset, datasets=datasets),
        rows=partial(dataset_rows, datasets=datasets),
        export_csv=partial(export_csv, datasets=datasets),
        delete=partial(delete_dataset, datasets=datasets, store=store),
    )


def bind_files(own: ResourcesAdapters, settings: Settings, *, platform: Platform) -> FileServices:
    files, store, clock = own.files, own.file_store, platform.clock
    max_bytes = settings.resources.max_upload_bytes
    return FileServices(
        upload=partial(upload_file, files=files, store=store, clock=clock, max_bytes=max_bytes),
        open=partial(open_file, files=files, store=store),
        delete=partial(delete_file, files=files, store=store),
    )
