"""Guests: accounts made before their person signs up, upgraded in place (docs/guests.md)."""

from __future__ import annotations

from datetime import timedelta

from domain.errors import Conflict

# A guest unused this long is deleted with what it owns (GUEST_TTL's default), and its use is
# written down at most this often: the expiry moves on with a refresh a day after the last
# (docs/decisions/0558-a-guests-expiry-and-its-sweep.md).
GUEST_TTL = timedelta(days=30)
GUEST_USE_NOTED_EVERY = timedelta(days=1)


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
