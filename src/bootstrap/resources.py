"""The resources: their adapters (dogs and their pictures' source), made from their settings,
and the objects of their use cases built on them (``Dogs``), each once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from application.jobs import JobHandler
from application.ports import JobQueue, MovableData, OwnedData
from application.resources.dogs import (
    FETCH_DOG_PICTURE,
    DogPictures,
    DogRepository,
    Dogs,
    PictureSource,
)
from application.resources.services import ResourceServices
from bootstrap.accounts import Shared
from bootstrap.platform import Platform
from infrastructure.firestore.resources.dogs import FirestoreDogRepository
from infrastructure.resources.dog_ceo import DogCeoPictureSource
from infrastructure.settings import Settings
from infrastructure.settings.orgs_and_apps.resources import ResourceSettings

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


@dataclass(frozen=True)
class ResourcesAdapters:
    dogs: DogRepository
    pictures: PictureSource


def build(settings: Settings, client: Client) -> ResourcesAdapters:
    return ResourcesAdapters(
        dogs=FirestoreDogRepository(client),
        pictures=picture_source(settings.resources),
    )


def owned(own: ResourcesAdapters) -> list[OwnedData]:
    """What the resources keep per user, deleted with the account."""
    return [
        own.dogs,
    ]


def movable(own: ResourcesAdapters) -> list[MovableData]:
    """What the resources keep per user, given to the account a guest is merged into."""
    return [
        own.dogs,
    ]


def bind_dogs(own: ResourcesAdapters, *, platform: Platform, queue: JobQueue) -> Dogs:
    return Dogs(dogs=own.dogs, queue=queue, clock=platform.clock)


def handlers(own: ResourcesAdapters, *, platform: Platform) -> dict[str, JobHandler]:
    """The jobs of this feature by kind: handlers, not use cases (they take the job)."""
    pictures = DogPictures(dogs=own.dogs, pictures=own.pictures, clock=platform.clock)
    return {FETCH_DOG_PICTURE: pictures.fetch}


def wire(own: ResourcesAdapters, settings: Settings, shared: Shared) -> ResourceServices:
    """The resources' use cases."""
    platform = shared.platform
    return ResourceServices(
        dogs=bind_dogs(own, platform=platform, queue=shared.queue),
    )
