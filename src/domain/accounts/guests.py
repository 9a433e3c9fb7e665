"""Guests: accounts made before their person signs up, upgraded in place (docs/guests.md)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from domain.errors import Conflict, NotFound, PermissionDenied, Unreadable

if TYPE_CHECKING:  # users.py asks this module's rules of its guests
    from domain.accounts.users import User


class AccountExists(Conflict):
    """A guest's upgrade found its way in (an address, a username, an identity) belonging to
    another account: 409 ``account_exists``, whose answer carries a ``merge_token`` that the
    other account, signed in, redeems to take in what the guest owns. The ids stay here, out
    of the answer."""

    code = "account_exists"
    title = "Account exists"

    def __init__(self, *, guest_id: str, owner_id: str) -> None:
        super().__init__(
            "This way to sign in belongs to another account: sign in to it to bring this "
            "guest's data there."
        )
        self.guest_id = guest_id
        self.owner_id = owner_id


# -- the merge (docs/guests.md, "When the way in is someone else's") ---------------------------

MERGE_TOKEN_TTL = timedelta(minutes=15)


@dataclass(frozen=True)
class MergeOffer:
    """What a ``merge_token`` stands for: ``guest_id``'s data offered to ``owner_id``, the
    account whose way in the guest's upgrade found, until ``expires_at``."""

    guest_id: str
    owner_id: str
    expires_at: datetime

    @classmethod
    def of(cls, error: AccountExists, now: datetime) -> MergeOffer:
        return cls(error.guest_id, error.owner_id, now + MERGE_TOKEN_TTL)

    def redeemed_by(self, user_id: str, now: datetime) -> None:
        """Only the owner, signed in, redeems it, and only in time."""
        if now >= self.expires_at:
            raise InvalidMergeToken()
        if user_id != self.owner_id:
            raise MergeTokenNotYours()


class InvalidMergeToken(Unreadable):
    """A merge token that is malformed, forged, sealed by another key, or expired (400)."""

    code = "invalid_merge_token"
    title = "Invalid or expired merge token"

    def __init__(self) -> None:
        super().__init__(
            "This merge token is invalid or expired; sign up as the guest again for a new one."
        )


class MergeTokenNotYours(PermissionDenied):
    """A merge token redeemed by an account other than the one it offers the guest to."""

    code = "merge_token_not_yours"
    title = "Merge token of another account"

    def __init__(self) -> None:
        super().__init__("This merge token is for another account: sign in to that one.")


class GuestNotFound(NotFound):
    code = "guest_not_found"
    title = "Guest not found"

    def __init__(self) -> None:
        super().__init__("The guest of this merge token no longer exists.")


class NotAGuest(Conflict):
    """An upgrade in place or a merge of an account that is no guest (any more): a racing
    upgrade won, or it never was one (docs/guests.md, "Upgrading in place")."""

    code = "not_a_guest"
    title = "Not a guest"

    def __init__(self) -> None:
        super().__init__("This account is not a guest: it has signed up already.")


class GuestMergeStarted(Conflict):
    """The guest is being merged already: its data goes to one account only, once."""

    code = "guest_merge_started"
    title = "Merge started"

    def __init__(self) -> None:
        super().__init__("This guest is being merged already.")


def mergeable(user: User | None, owner_id: str) -> User:
    """The guest a merge into ``owner_id`` may take: live, still a guest, not being merged."""
    if user is None or user.deleted_at is not None:
        raise GuestNotFound()
    if user.merging_into is not None:
        raise GuestMergeStarted()
    if not user.guest:
        raise NotAGuest()
    if user.id == owner_id:
        raise NotAGuest()  # an account is never merged into itself
    return user


def not_merging(user: User) -> None:
    """What every upgrade of a guest asks first: a guest being merged stays as it is until
    its merge deletes it (409 ``guest_merge_started``)."""
    if user.merging_into is not None:
        raise GuestMergeStarted()


def merging(user: User, owner_id: str, now: datetime) -> User:
    """The guest marked as being merged into ``owner_id``; its sessions end at once."""
    return replace(
        user, merging_into=owner_id, token_version=user.token_version + 1, updated_at=now
    )
