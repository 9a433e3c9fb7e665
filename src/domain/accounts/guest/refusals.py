"""What refuses a guest's upgrade or merge (docs/guests.md): the accounts' own, as a guest's
state is (docs/decisions/0760-the-guest-way-in-is-a-unit.md), so
that ``domain/accounts/users.py`` asks them of its own upgrades and
``domain/accounts/merges.py`` of a merge."""

from __future__ import annotations

from domain.errors import Conflict, PermissionDenied


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


GUEST_UPGRADE = "/auth/guest/upgrade"  # where a guest signs up in place by a password


class GuestUpgradeRequired(PermissionDenied):
    """A guest asked for a way in of its own (a username, an address, a password, a phone
    number, a connected identity) by a route that changes an account's: it takes its first
    ones only by signing up, which every rule of a sign-up passes (docs/guests.md, "Upgrading
    in place"; docs/decisions/0632-a-guest-signs-up-rather-than-edits-its-ways-in.md)."""

    code = "guest_upgrade_required"
    title = "Sign up first"

    def __init__(self) -> None:
        super().__init__(
            "A guest signs up before it has a username, an address, a password or a phone "
            f"number of its own: POST {GUEST_UPGRADE}, or another way of signing up while "
            "signed in as the guest."
        )
