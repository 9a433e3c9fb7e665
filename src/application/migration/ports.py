"""What moving users in and out reads and writes (docs/migrating.md)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from domain.accounts.users import User
from domain.errors import Conflict

FIREBASE = "firebase"  # the provider of Firebase identities (application/federation/firebase.py)


@dataclass(frozen=True)
class Link:
    """An external identity linked to the account (``identities/{provider}:{subject}``)."""

    provider: str
    subject: str
    email: str | None = None


@dataclass(frozen=True)
class ImportedUser:
    """A user an import brings: the account as it will be stored, its links."""

    user: User
    links: tuple[Link, ...] = ()


@dataclass(frozen=True)
class Holders:
    """Who holds what a batch of arrivals asks for."""

    users: dict[str, User] = field(default_factory=dict)  # by id, tombstones included
    usernames: dict[str, str] = field(default_factory=dict)  # normalized key -> user id
    emails: dict[str, str] = field(default_factory=dict)
    phone_numbers: dict[str, str] = field(default_factory=dict)  # proven E.164 -> user id


class UserMoves(Protocol):
    """The accounts as users move in (an import) and out (an export): read and written in
    batches, each new user whole with its claims and links."""

    def holders(
        self,
        ids: Sequence[str],
        usernames: Sequence[str],
        emails: Sequence[str],
        phone_numbers: Sequence[str] = (),
    ) -> Holders:
        """The users with these ids and the holders of these username and e-mail keys and
        proven phone numbers."""
        ...

    def add_all(self, arrivals: Sequence[ImportedUser]) -> list[Conflict | None]:
        """Store each new user with its claims and links, each whole or not at all (in as
        few commits as Firestore allows); per arrival the Conflict that kept it out."""
        ...

    def link(self, user_id: str, links: Sequence[Link]) -> None:
        """Link these identities to the user, those not linked yet (to anybody)."""
        ...

    def stream(self, page_size: int) -> Iterator[tuple[User, tuple[Link, ...]]]:
        """Every live user by id, with its links, reading ``page_size`` at a time."""
        ...

    def legacy_remaining(self) -> int:
        """How many live accounts are still ``legacy`` (one count, no document read)."""
        ...
