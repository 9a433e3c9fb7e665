"""Dogs: adoption records with a unique name and a picture fetched in the background."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from domain.accounts.credentials import fold
from domain.errors import InvalidInput

NAME_MAX = 64
_NAME_PUNCTUATION = frozenset(" _-.'")
# Paths of the dogs API that a dog's name would shadow.
RESERVED_NAMES = frozenset({"is_adopted"})
EDITABLE = frozenset({"name", "is_adopted"})


class PictureStatus(StrEnum):
    PENDING = "pending"
    READY = "ready"
    FAILED = "failed"


def _invalid_name(message: str) -> InvalidInput:
    return InvalidInput.field("name", message, "invalid_dog_name")


@dataclass(frozen=True)
class DogName:
    """A dog's name as shown (after NFKC) and the key that makes it unique, case-insensitively.

    Checked before a name is used for any lookup: 1-64 characters of letters, digits, space,
    ``_ - . '``, starting and ending with a letter or digit (so never ``.`` or ``..``).
    """

    value: str
    key: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        display = unicodedata.normalize("NFKC", self.value)
        if not 1 <= len(display) <= NAME_MAX:
            raise _invalid_name(f"A dog's name is 1 to {NAME_MAX} characters long.")
        for ch in display:
            category = unicodedata.category(ch)
            if not (category.startswith("L") or category == "Nd" or ch in _NAME_PUNCTUATION):
                raise _invalid_name(
                    "A dog's name may contain only letters, digits, spaces and _ - . '"
                )
        if display[0] in _NAME_PUNCTUATION or display[-1] in _NAME_PUNCTUATION:
            raise _invalid_name("A dog's name starts and ends with a letter or digit.")
        key = fold(display)
        if key in RESERVED_NAMES:
            raise _invalid_name(f"'{display}' is reserved.")
        object.__setattr__(self, "value", display)
        object.__setattr__(self, "key", key)


@dataclass(frozen=True)
class Dog:
    id: str
    name: DogName
    owner_id: str  # whoever created the record
    is_adopted: bool
    created_at: datetime
    updated_at: datetime
    picture: str | None = None
    picture_status: PictureStatus = PictureStatus.PENDING

    @classmethod
    def create(
        cls, *, id: str, name: DogName, owner_id: str, is_adopted: bool, now: datetime
    ) -> Dog:
        return cls(
            id=id,
            name=name,
            owner_id=owner_id,
            is_adopted=is_adopted,
            created_at=now,
            updated_at=now,
        )

    def may_be_changed_by(self, user_id: str, is_admin: bool) -> bool:
        return is_admin or self.owner_id == user_id

    def edited(self, changes: Mapping[str, object], now: datetime) -> Dog:
        """The dog with ``changes`` (name as a str or DogName, is_adopted)."""
        unknown = set(changes) - EDITABLE
        if unknown:
            raise InvalidInput.field(sorted(unknown)[0], "Not an editable field.", "unknown_field")
        dog = self
        if "name" in changes:
            name = changes["name"]
            if isinstance(name, str):
                name = DogName(name)
            if not isinstance(name, DogName):
                raise InvalidInput.field("name", "A name is required.", "null_not_allowed")
            dog = replace(dog, name=name)
        if "is_adopted" in changes:
            adopted = changes["is_adopted"]
            if not isinstance(adopted, bool):
                raise InvalidInput.field("is_adopted", "Must be true or false.", "null_not_allowed")
            dog = replace(dog, is_adopted=adopted)
        return replace(dog, updated_at=now)

    def with_picture(self, url: str, now: datetime) -> Dog:
        """The fetched picture; only a pending dog changes (a job may run twice)."""
        if self.picture_status is not PictureStatus.PENDING:
            return self
        return replace(self, picture=url, picture_status=PictureStatus.READY, updated_at=now)

    def picture_failed(self, now: datetime) -> Dog:
        if self.picture_status is not PictureStatus.PENDING:
            return self
        return replace(self, picture_status=PictureStatus.FAILED, updated_at=now)
