"""Fakes of the resources' ports: dogs and their pictures."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from application.resources.dogs import PictureUnavailable
from domain.errors import Conflict
from domain.resources.dogs import Dog
from tests.fakes.kernel import after_position


class FakeDogRepository:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.dogs: dict[str, Dog] = {}
        self.names: dict[str, str] = {}  # name key -> dog id, like the claim documents

    def _taken(self) -> Conflict:
        return Conflict("A dog with this name exists already.", code="dog_name_taken", field="name")

    def add(self, dog: Dog) -> None:
        with self.lock:
            if dog.name.key in self.names:
                raise self._taken()
            self.dogs[dog.id] = dog
            self.names[dog.name.key] = dog.id

    def get(self, dog_id: str) -> Dog | None:
        return self.dogs.get(dog_id)

    def find_by_name(self, key: str) -> Dog | None:
        return self.dogs.get(self.names.get(key, ""))

    def update(self, dog_id: str, change: Callable[[Dog], Dog]) -> Dog | None:
        with self.lock:
            before = self.dogs.get(dog_id)
            if before is None:
                return None
            after = change(before)
            if after.name.key != before.name.key:
                if after.name.key in self.names:
                    raise self._taken()
                del self.names[before.name.key]
                self.names[after.name.key] = dog_id
            self.dogs[dog_id] = after
            return after

    def delete(self, dog_id: str, check: Callable[[Dog], None]) -> bool:
        with self.lock:
            dog = self.dogs.get(dog_id)
            if dog is None:
                return False
            check(dog)
            del self.dogs[dog_id]
            del self.names[dog.name.key]
            return True

    def list_page(
        self, adopted: bool | None, after: tuple[datetime, str] | None, limit: int
    ) -> list[Dog]:
        with self.lock:
            rows = sorted(
                (d for d in self.dogs.values() if adopted is None or d.is_adopted == adopted),
                key=lambda d: (d.created_at, d.id),
            )
        return [d for d in rows if after_position(d.created_at, d.id, after)][:limit]

    def delete_owned_by(self, user_id: str, batch_size: int) -> None:
        with self.lock:
            for dog in [d for d in self.dogs.values() if d.owner_id == user_id]:
                del self.dogs[dog.id]
                del self.names[dog.name.key]

    def move_owned(self, from_id: str, to_id: str, batch_size: int) -> None:
        with self.lock:  # the name claims name the dog, not its owner: they stay
            for dog in [d for d in self.dogs.values() if d.owner_id == from_id]:
                self.dogs[dog.id] = replace(dog, owner_id=to_id)


class FakePictureSource:
    """Answers ``url``, or fails with PictureUnavailable while ``failing`` is set."""

    def __init__(self, url: str = "https://images.dog.ceo/breeds/hound/1.jpg") -> None:
        self.url = url
        self.failing = False
        self.calls = 0

    def random_picture(self) -> str:
        self.calls += 1
        if self.failing:
            raise PictureUnavailable("the fake picture source is failing")
        return self.url
