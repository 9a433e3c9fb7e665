"""A guest merged into another account: its merge offer and what refuses it (docs/guests.md,
"When the way in is someone else's"), the accounts' own operation."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from domain.accounts.guest.part import Guest
from domain.accounts.guest.refusals import AccountExists, GuestMergeStarted, NotAGuest
from domain.accounts.users import User
from domain.errors import NotFound, PermissionDenied, Unreadable

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


def mergeable(user: User | None, owner_id: str) -> User:
    """The guest a merge into ``owner_id`` may take: live, still a guest, not being merged."""
    if user is None or user.deleted_at is not None:
        raise GuestNotFound()
    guest = user.part(Guest)
    if guest.merging_into is not None:
        raise GuestMergeStarted()
    if not guest.is_guest:
        raise NotAGuest()
    if user.id == owner_id:
        raise NotAGuest()  # an account is never merged into itself
    return user


def merging(user: User, owner_id: str, now: datetime) -> User:
    """The guest marked as being merged into ``owner_id``; its sessions end at once."""
    marked = user.with_part(replace(user.part(Guest), merging_into=owner_id), now)
    return replace(marked, token_version=user.token_version + 1)
