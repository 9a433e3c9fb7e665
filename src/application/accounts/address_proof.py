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

from dataclasses import dataclass

from application.accounts.accounts import DELETE_BATCH
from application.ports import Audit, AuditEvent, AuditLog, OwnedData


def remove_passkeys(user_id: str, *, passkeys: OwnedData) -> None:
    """What every password reset removes."""
    passkeys.delete_owned_by(user_id, DELETE_BATCH)


@dataclass(frozen=True, kw_only=True, slots=True)
class FirstProof:
    """What the first proof of an account's address takes from whoever set the account up
    before it, whatever the proof (a mailed link, a password reset, a mailed code, a
    provider's verified sign-in): one list, so that no proof leaves a part of it
    (docs/decisions/0496-one-first-proof.md). ``grants``: the apps the earlier holder
    allowed, their grants and consents (the provider's)."""

    passkeys: OwnedData
    factors: OwnedData
    identities: OwnedData
    grants: OwnedData
    audit: AuditLog

    def start_clean(self, user_id: str, *, identities: bool = True) -> None:
        """Remove what lets the account's earlier holder sign in or pass a second step: its
        passkeys, its authenticator with the recovery codes and (unless ``identities`` is
        False: a link just made stays) its links from external identities. Its sessions,
        device tokens and tokens of every kind end with the change of the user itself
        (``User.claimed``, ``User.reset_through_mail``), which moves its token version; the
        apps it allowed go with ``claimed``."""
        remove_passkeys(user_id, passkeys=self.passkeys)
        self.factors.delete_owned_by(user_id, DELETE_BATCH)
        if identities:
            self.identities.delete_owned_by(user_id, DELETE_BATCH)

    def claimed(self, user_id: str, *, reason: str, ip: str | None = None) -> None:
        """The ``account_claimed`` event every proof that takes an account records, then the
        apps the earlier holder allowed removed (their grants and consents): after the event,
        whose back-channel logout tells each of them first."""
        self.audit.record(AuditEvent(Audit.ACCOUNT_CLAIMED, user_id=user_id, ip=ip, reason=reason))
        self.grants.delete_owned_by(user_id, DELETE_BATCH)
