"""The dogs unit: public adoption records by unique name, each with a picture fetched by a job
from the Dog CEO API (docs/reference/dogs.md); the replaced dogs API's /api/dogs routes are
its compatibility routes (docs/migrating.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from application.accounts.accounts import OWNED_DATA
from application.accounts.guest.merges import MOVABLE_DATA
from application.dogs import FETCH_DOG_PICTURE, DogPictures, DogRepository, Dogs, PictureSource
from application.jobs import JOBS
from bootstrap.unit import Built, Footing, Kernel, Lent, Unit
from infrastructure.dogs.dog_ceo import DogCeoPictureSource
from infrastructure.dogs.settings import DogSettings
from infrastructure.firestore.dogs.repository import FirestoreDogRepository

if TYPE_CHECKING:
    from flask import Blueprint


@dataclass(frozen=True)
class DogsAdapters:
    dogs: DogRepository
    pictures: PictureSource


def picture_source(settings: DogSettings, ca_certs: str) -> PictureSource:
    """The Dog CEO API, over https trusting the outbound client's CA bundle."""
    return DogCeoPictureSource(
        settings.dog_api_url,
        allowed_hosts=settings.dog_image_hosts,
        connect_timeout=min(3.0, settings.dog_api_timeout),
        read_timeout=settings.dog_api_timeout,
        deadline=2 * settings.dog_api_timeout,
        ca_certs=ca_certs,
    )


def made(footing: Footing) -> DogsAdapters:
    own = footing.settings.group(DogSettings)  # checked before any client is used
    pictures = picture_source(own, footing.platform.outbound.ca_certs)
    return DogsAdapters(dogs=FirestoreDogRepository(footing.client), pictures=pictures)


def lends(own: DogsAdapters, kernel: Kernel) -> Lent:
    """A person's dogs go with their account, and to the account a guest is merged into
    (names and all); the picture job's handler (a job, not a use case: it takes the job)."""
    pictures = DogPictures(dogs=own.dogs, pictures=own.pictures, clock=kernel.platform.clock)
    return Lent(
        fills=(
            OWNED_DATA(own.dogs),
            MOVABLE_DATA(own.dogs),
            JOBS((FETCH_DOG_PICTURE, pictures.fetch)),
        )
    )


def build(own: DogsAdapters, kernel: Kernel) -> Built:
    return Built(services=(Dogs(dogs=own.dogs, queue=kernel.queue, clock=kernel.platform.clock),))


def api() -> Sequence[Blueprint]:
    from interfaces.http.routes.dogs import routes  # noqa: PLC0415 - loaded with the app

    return (routes.bp,)


def compat_api() -> Sequence[Blueprint]:
    """The replaced dogs API's /api/dogs routes: aliases of the native ones (docs/migrating.md)."""
    from interfaces.http.routes.dogs import compat  # noqa: PLC0415 - loaded with the app

    return (compat.bp,)


UNIT = Unit[DogsAdapters](
    name="dogs",
    makes=made,
    lends=lends,
    build=build,
    settings=(DogSettings,),
    api=api,
    compat_api=compat_api,
)
