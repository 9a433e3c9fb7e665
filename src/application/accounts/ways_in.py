"""The identities linked to an account, as a port: each is a way in that signing in,
federation and the "this wasn't me" mail all count (docs/reference/accounts.md)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from domain.accounts.identities import IdentityLink, PendingLink
from domain.accounts.users import User


class IdentityRepository(Protocol):
    def find_by_identity(self, provider: str, subject: str) -> User | None:
        """The live user linked to this external identity; None if unlinked or deleted."""
        ...

    def add_with_identity(
        self, user: User, provider: str, subject: str, email: str | None = None
    ) -> User:
        """Store a new user, its claims and its identity link (with the provider's ``email``)
        in one atomic commit.

        Returns the user the identity is linked to afterwards: ``user``, or the one a
        concurrent request linked first. Conflict if the username or email is taken.
        """
        ...

    def link_existing(
        self,
        user_id: str,
        provider: str,
        subject: str,
        change: Callable[[User], User | None],
        email: str | None = None,
    ) -> User | None:
        """Apply a pure ``change`` (which keeps the names and moves ``updated_at``) to the
        live user and link the identity to it, in one atomic commit guarded by what
        ``change`` was built from.

        Returns the user the identity is linked to afterwards: the changed user, or the one
        a concurrent request linked first. None, and nothing written, if the user is gone
        or ``change`` refuses (None).
        """
        ...

    def upgrade_with_identity(
        self,
        user_id: str,
        provider: str,
        subject: str,
        change: Callable[[User], User | None],
        email: str | None = None,
    ) -> User | None:
        """As ``link_existing``, for a ``change`` that gives a guest its username and address:
        their claims are taken in the same commit (docs/guests.md, "Upgrading in place").

        Returns the user the identity is linked to afterwards; None, and nothing written, if
        the user is gone or ``change`` refuses. Conflict (``username_taken``,
        ``email_taken``) when another account holds a name it takes.
        """
        ...

    def list_for(self, user_id: str) -> list[IdentityLink]:
        """The identities linked to the user, oldest link first."""
        ...

    def unlink(
        self,
        user_id: str,
        decide: Callable[[User, list[IdentityLink]], list[IdentityLink]],
        now: datetime,
    ) -> list[IdentityLink]:
        """Remove the links ``decide`` picks from the live user's (it raises to refuse), in
        one commit guarded by the user's update time (moved to ``now``), so that parallel
        unlinks each decide on what the one before left. NotFound (user_not_found) if the
        user is gone."""
        ...

    def hold(self, key: str, pending: PendingLink) -> None:
        """Keep ``pending`` under ``key`` (a secret's hash) until its ``expires_at``."""
        ...

    def pending(self, key: str) -> PendingLink | None:
        """The pending link under ``key``, if any (expired or not)."""
        ...

    def take(self, key: str) -> PendingLink | None:
        """The pending link under ``key``, removed: of parallel takes one gets it, the others
        None."""
        ...

    def delete_owned_by(self, user_id: str, batch_size: int) -> None:
        """Remove every identity link to the user (idempotent)."""
        ...
