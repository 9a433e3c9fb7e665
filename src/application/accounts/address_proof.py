"""The first proof of an address wins the account.

Anybody can register somebody else's address and set the account up with a passkey, an
authenticator or a Firebase link. Whoever later proves the address (a password reset through
the mailed link, a Firebase sign-in with the address verified) gets the account without
them; every reset removes the passkeys
(docs/decisions/0104-first-proof-of-address-wins.md).

The factors live in documents of their own, beside the user's. They are removed before the
change that hands the account over (the reset's spend, the Firebase link), so that a process
that dies between the two never leaves them to their earlier holder; and again after it, for
what that holder's sessions, which the change ends, added meanwhile.
"""

from __future__ import annotations

from application.accounts.accounts import DELETE_BATCH
from application.ports import OwnedData


def remove_passkeys(user_id: str, *, passkeys: OwnedData) -> None:
    """What every password reset removes."""
    passkeys.delete_owned_by(user_id, DELETE_BATCH)


def start_clean(
    user_id: str, *, passkeys: OwnedData, factors: OwnedData, identities: OwnedData | None
) -> None:
    """Remove what lets the account's earlier holder sign in or pass a second step: its
    passkeys, its authenticator with the recovery codes, and (unless ``identities`` is
    None) its links from external identities. Its sessions and device tokens end with the
    change of the user itself (``User.reset_through_mail``, ``User.claimed``)."""
    remove_passkeys(user_id, passkeys=passkeys)
    factors.delete_owned_by(user_id, DELETE_BATCH)
    if identities is not None:
        identities.delete_owned_by(user_id, DELETE_BATCH)
