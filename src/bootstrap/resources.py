"""The resources' adapters: the dog pictures' source and the files' store.

The adapters' modules import their SDKs, so each is imported where its adapter is made
(docs/decisions/0150-cold-start.md)."""

from __future__ import annotations

from application.ports import FileStore
from application.resources.dogs import PictureSource
from infrastructure.settings import Settings
from infrastructure.settings.resources import ResourceSettings


def picture_source(resources: ResourceSettings) -> PictureSource:
    from infrastructure.resources.dog_ceo import DogCeoPictureSource

    return DogCeoPictureSource(
        resources.dog_api_url,
        allowed_hosts=resources.dog_image_hosts,
        connect_timeout=min(3.0, resources.dog_api_timeout),
        read_timeout=resources.dog_api_timeout,
        deadline=2 * resources.dog_api_timeout,
    )


def file_store(settings: Settings) -> FileStore:
    from infrastructure.resources.gcs_storage import GcsFileStore

    return GcsFileStore(
        settings.resources.storage_bucket,
        project=settings.service.google_cloud_project,
        create_bucket=settings.service.app_profile == "local",
    )
