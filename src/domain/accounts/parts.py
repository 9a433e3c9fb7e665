"""User parts: the accounts' slot for what a unit keeps of a person on ``users/{uid}``
(docs/contributing.md, "User parts"; docs/decisions/0735-user-parts.md).

A part is a frozen record of the unit's own (``PhoneNumber``, ``Guest``, ``Legacy``) that
reads and writes its fields of the account's document itself, says what ``users export``
writes of it and ``users import`` reads back, and what the admins' view of the account shows.
``User`` holds every field of the document that is no core field of its own, as stored
(``User.parts``): a part is read from them (``user.part(PhoneNumber)``; its default record
when the document has none of its fields) and written into them
(``user.with_part(PhoneNumber(...))``), and the fields of a part nobody reads (its unit
taken out, or turned off) stay as they are.

The protocol is structural: a part's module imports nothing of the accounts', so it can
move with its unit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, Self

from domain.slots import Slot

# A row of the admins' view of an account: its label (a message of the pages' catalogue)
# and the value shown.
type Row = tuple[str, str]


class UserPart(Protocol):
    """What a part's record offers the kernel: its mapping to and from the account's
    document, its columns of the export and the import, and its rows of the admins' view."""

    @classmethod
    def read(cls, stored: Mapping[str, Any]) -> Self:
        """The part as ``stored`` (the account's document's fields) holds it; its default
        record when none of its fields is there."""
        ...

    def stored(self, user_id: str) -> dict[str, Any]:
        """Its fields on ``users/{user_id}``, each of them (a null where it has none), so
        that writing it leaves none of an earlier value behind."""
        ...

    @classmethod
    def imported(cls, line: Mapping[str, Any]) -> Self:
        """The part as a line of ``users import --format jsonl`` gives it (InvalidInput for
        a bad value); its default record when the line has none of its columns."""
        ...

    def exported(self) -> dict[str, Any]:
        """Its columns of a line of ``users export``: what ``imported`` reads back."""
        ...

    def shown(self) -> tuple[Row, ...]:
        """Its rows in the admins' view of the account (/admin/users/<id>); none for most."""
        ...


# The accounts' slot: the parts the running units keep of a person.
USER_PARTS = Slot[type[UserPart]]("user parts")
