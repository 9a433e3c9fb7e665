"""What makes an account a guest: a user part (docs/contributing.md, "User parts"), its
fields ``guest``, ``guest_expires_at``, ``merging_into`` and the sweep's ``shard`` and
``expires_at`` on ``users/{uid}`` (docs/guests.md)."""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Self

# A guest unused this long is deleted with what it owns (GUEST_TTL's default), and its use is
# written down at most this often: the expiry moves on with a refresh a day after the last
# (docs/decisions/0558-a-guests-expiry-and-its-sweep.md).
GUEST_TTL = timedelta(days=30)
GUEST_USE_NOTED_EVERY = timedelta(days=1)

# A guest's document carries a ``shard``, 0 to GUEST_SHARDS - 1, from its id: the guest
# sweep's index (``shard``, ``guest_expires_at``) then grows at as many places, not at the one
# end where every new guest would land (docs/decisions/0558-a-guests-expiry-and-its-sweep.md).
GUEST_SHARDS = 16  # at most 30: the sweep asks for them all in one ``in`` filter
EVERY_GUEST_SHARD = list(range(GUEST_SHARDS))
# ``expires_at``, the field of the users' TTL policy: a week past the guest's expiry, by
# when the sweep has deleted it with what it owns; Firestore removes a document left there
# only when no sweep ran for that week (docs/operations.md, "Guests' expiry").
GUEST_PURGE_GRACE = timedelta(days=7)


@dataclass(frozen=True)
class Guest:
    """An account made for someone who has not signed up yet (``is_guest``): no address,
    username or password until it is upgraded in place, keeping its id (docs/guests.md)."""

    is_guest: bool = False
    # When a guest unused since is deleted with what it owns (docs/guests.md, "Expiry")
    expires_at: datetime | None = None
    # The account a guest's merge gives its data to, from the merge's acceptance until the
    # merge deletes the guest (docs/guests.md, "When the way in is someone else's")
    merging_into: str | None = None

    def use_to_note(self, now: datetime, ttl: timedelta) -> Guest | None:
        """The guest with its expiry moved to ``ttl`` from ``now``, when its use was last
        noted ``GUEST_USE_NOTED_EVERY`` ago or more; None when nothing is to be written (a
        guest used within it, or an account that is no guest)."""
        expires = self.expires_at
        if not self.is_guest or (
            expires is not None and expires - ttl > now - GUEST_USE_NOTED_EVERY
        ):
            return None
        return replace(self, expires_at=now + ttl)

    @classmethod
    def read(cls, stored: Mapping[str, Any]) -> Self:
        return cls(
            stored.get("guest", False), stored.get("guest_expires_at"), stored.get("merging_into")
        )

    def stored(self, user_id: str) -> dict[str, Any]:
        """The guest's expiry, its shard and its TTL policy's time; nulls for every other
        account, so an upgrade leaves none of them behind."""
        expires = self.expires_at if self.is_guest else None
        return {
            "guest": self.is_guest,
            "guest_expires_at": expires,
            "expires_at": expires + GUEST_PURGE_GRACE if expires is not None else None,
            "shard": zlib.crc32(user_id.encode()) % GUEST_SHARDS if self.is_guest else None,
            "merging_into": self.merging_into,
        }

    @classmethod
    def imported(cls, line: Mapping[str, Any]) -> Self:
        return cls()  # no column: an export's guest is Firebase's anonymous user's to make

    def exported(self) -> dict[str, Any]:
        return {}

    def shown(self) -> tuple[tuple[str, str], ...]:
        return ()
