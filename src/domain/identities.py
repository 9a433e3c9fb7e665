"""An account's links from external identities (a Firebase account, an upstream provider's),
and the rule that an account always keeps a way to sign in (docs/reference/identities.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from domain.errors import Conflict, NotFound
from domain.users import User


@dataclass(frozen=True)
class IdentityLink:
    """The identity ``subject`` at ``provider`` signs in to ``user_id``'s account; ``email``
    is the address the provider gave when it was linked (None: none, or linked before links
    kept it)."""

    provider: str
    subject: str
    user_id: str
    email: str | None
    linked_at: datetime


def unlinking(
    user: User, links: Sequence[IdentityLink], provider: str, passkeys: int
) -> list[IdentityLink]:
    """The account's links to ``provider``, which may go: NotFound when it has none;
    Conflict (last_sign_in_method) when the account would be left with no way to sign in:
    no password, no passkey and no other identity."""
    going = [link for link in links if link.provider == provider]
    if not going:
        raise NotFound("No identity of this provider is linked.", code="identity_not_found")
    if user.password_hash is None and passkeys == 0 and len(going) == len(links):
        raise Conflict(
            "This is the account's last way to sign in: set a password or add a passkey first.",
            code="last_sign_in_method",
        )
    return going


PENDING_FOR = timedelta(minutes=10)  # a pending link's life: a sign-in, its second step


@dataclass(frozen=True)
class PendingLink:
    """An identity waiting to be linked to an account its holder signs in to (rule 3 of
    docs/reference/identities.md): what the provider said of it, held under the hash of a
    secret only the browser that came back from the provider keeps."""

    provider: str
    subject: str
    email: str | None
    email_verified: bool
    display_name: str | None
    provider_name: str  # as people know it: "GitHub"
    expires_at: datetime

    def live(self, now: datetime) -> bool:
        return now < self.expires_at


def linked_to(user: User, now: datetime) -> User:
    """The account as a link to it is made or removed: its update time moves, so link changes
    to one account are made one after the other (each guarded by the time it read)."""
    return replace(user, updated_at=now)
