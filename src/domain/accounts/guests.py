"""Guests: accounts made before their person signs up, upgraded in place (docs/guests.md)."""

from __future__ import annotations

from domain.errors import Conflict


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


class NotAGuest(Conflict):
    """An upgrade in place asked for an account that is no guest: it signed up already (by
    this way or another, perhaps a moment ago), so nothing is upgraded (409
    ``not_a_guest``)."""

    code = "not_a_guest"
    title = "Not a guest"

    def __init__(self) -> None:
        super().__init__("This account has signed up already: it is no guest to upgrade.")
