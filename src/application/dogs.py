"""Dogs: public records by unique name (``Dogs``); a picture comes from a job
(``DogPictures``)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from application.jobs import RetryJob
from application.pagination import (
    Page,
    decode_cursor,
    paginate,
    parse_time_position,
    time_position,
)
from application.ports import Clock, Job, JobQueue
from application.signin.authentication import Actor
from domain.accounts.users import Role
from domain.dogs import Dog, DogName, PictureStatus
from domain.errors import InvalidInput, NotFound, PermissionDenied
from domain.ids import new_id


class DogRepository(Protocol):
    def add(self, dog: Dog) -> None:
        """Store a new dog and claim its name in one commit; Conflict if the name is taken."""
        ...

    def get(self, dog_id: str) -> Dog | None:
        """The dog with this id, or None."""
        ...

    def find_by_name(self, key: str) -> Dog | None:
        """The dog whose name key (case-folded) is ``key``, or None."""
        ...

    def update(self, dog_id: str, change: Callable[[Dog], Dog]) -> Dog | None:
        """Apply a pure ``change`` atomically, moving the name claim on a rename.

        ``change`` may raise to refuse; Conflict if the new name is taken; None if absent.
        """
        ...

    def delete(self, dog_id: str, check: Callable[[Dog], None]) -> bool:
        """Delete the dog and its name claim if ``check`` lets it; False if absent."""
        ...

    def list_page(
        self, adopted: bool | None, after: tuple[datetime, str] | None, limit: int
    ) -> list[Dog]:
        """Up to ``limit`` dogs by (created_at, id) after that position; ``adopted`` filters."""
        ...

    def delete_owned_by(self, user_id: str, batch_size: int) -> None:
        """Delete every dog of the user with its name claim, in bounded batches (OwnedData)."""
        ...

    def move_owned(self, from_id: str, to_id: str, batch_size: int) -> None:
        """Give ``to_id`` every dog of ``from_id``, names and all, in bounded batches
        (MovableData): a dog's name is unique among all dogs, so none collides."""
        ...


class PictureSource(Protocol):
    def random_picture(self) -> str:
        """The URL of a random dog picture; PictureUnavailable when none can be had now."""
        ...


class PictureUnavailable(Exception):
    """The picture source failed or answered something unacceptable (worth a retry)."""


log = logging.getLogger("firegate.dogs")

FETCH_DOG_PICTURE = "fetch_dog_picture"


@dataclass(frozen=True)
class NewDog:
    owner_id: str
    name: str
    is_adopted: bool = False


@dataclass(frozen=True)
class GetDog:
    name: str


@dataclass(frozen=True)
class EditDog:
    """PUT gives is_adopted and/or a new name; only those change."""

    actor: Actor
    name: str  # the dog's current name, from the path
    changes: tuple[tuple[str, str | bool], ...]


@dataclass(frozen=True)
class DeleteDog:
    actor: Actor
    name: str


@dataclass(frozen=True)
class DogQuery:
    limit: int
    cursor: str | None = None
    adopted: bool | None = None


def _not_found() -> NotFound:
    return NotFound("No dog has this name.", code="dog_not_found")


def _find(name: str, dogs: DogRepository) -> Dog:
    key = DogName(name).key  # 422 for a name that cannot exist, before any I/O
    dog = dogs.find_by_name(key)
    if dog is None:
        raise _not_found()
    return dog


def _may_change(actor: Actor) -> Callable[[Dog], None]:
    def check(dog: Dog) -> None:
        if not dog.may_be_changed_by(actor.user_id, is_admin=actor.role == Role.ADMIN):
            raise PermissionDenied(
                "Only the dog's owner or an admin may change it.", code="not_dog_owner"
            )

    return check


@dataclass(frozen=True, kw_only=True, slots=True)
class Dogs:
    """The dog use cases: dogs are public, found by their unique name; only a dog's owner or
    an admin changes it. A new dog's picture is fetched by a job (``DogPictures``)."""

    dogs: DogRepository
    queue: JobQueue
    clock: Clock

    def list(self, query: DogQuery) -> Page[Dog]:
        """Dogs oldest first by (created_at, id); a page walk sees each existing dog once."""
        position = decode_cursor(query.cursor)
        after = parse_time_position(position) if position is not None else None
        rows = self.dogs.list_page(query.adopted, after, query.limit + 1)
        last = rows[query.limit - 1] if len(rows) > query.limit else None
        return paginate(
            rows, query.limit, time_position(last.created_at, last.id) if last else None
        )

    def get(self, cmd: GetDog) -> Dog:
        return _find(cmd.name, self.dogs)

    def create(self, cmd: NewDog) -> Dog:
        """A pending dog now, its picture later: the fetch job is queued after the commit."""
        clock, dogs = self.clock, self.dogs
        dog = Dog.create(
            id=new_id(),
            name=DogName(cmd.name),
            owner_id=cmd.owner_id,
            is_adopted=cmd.is_adopted,
            now=clock.now(),
        )
        dogs.add(dog)  # Conflict when the name is taken; nothing is queued then
        try:
            self.queue.enqueue(Job(FETCH_DOG_PICTURE, dog.id))
        except Exception:  # any queue failure: the dog stays, marked, never a 500
            log.warning("could not queue the picture job of dog %s", dog.id, exc_info=True)
            dog = dogs.update(dog.id, lambda d: d.picture_failed(clock.now())) or dog
        return dog

    def edit(self, cmd: EditDog) -> Dog:
        changes: dict[str, object] = dict(cmd.changes)
        new_name = changes.get("name")
        if isinstance(new_name, str):
            changes["name"] = DogName(new_name)  # 422 for a name that cannot be, before any I/O
        if not changes:
            raise InvalidInput.field("is_adopted", "Give is_adopted and/or name.", "missing")
        dog = _find(cmd.name, self.dogs)
        check = _may_change(cmd.actor)
        now = self.clock.now()

        def change(current: Dog) -> Dog:
            check(current)
            return current.edited(changes, now)

        updated = self.dogs.update(dog.id, change)
        if updated is None:
            raise _not_found()
        return updated

    def delete(self, cmd: DeleteDog) -> None:
        dog = _find(cmd.name, self.dogs)
        if not self.dogs.delete(dog.id, _may_change(cmd.actor)):
            raise _not_found()


@dataclass(frozen=True, kw_only=True, slots=True)
class DogPictures:
    """The FETCH_DOG_PICTURE job's handler: a job, not a use case (it takes the job)."""

    dogs: DogRepository
    pictures: PictureSource
    clock: Clock

    def fetch(self, job: Job, final: bool) -> None:
        """Idempotent: only a pending dog is changed; ``final``: the job's last attempt."""
        dogs, clock = self.dogs, self.clock
        dog = dogs.get(job.subject)
        if dog is None or dog.picture_status is not PictureStatus.PENDING:
            return  # deleted meanwhile, or an earlier delivery already finished it
        try:
            url = self.pictures.random_picture()
        except PictureUnavailable as exc:
            if not final:
                raise RetryJob(f"no picture yet: {exc}") from exc
            log.warning("giving up on the picture of dog %s: %s", dog.id, exc)
            dogs.update(dog.id, lambda d: d.picture_failed(clock.now()))
            return
        dogs.update(dog.id, lambda d: d.with_picture(url, clock.now()))
