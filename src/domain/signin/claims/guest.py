"""Guests' claim source: ``guest`` in a guest's session tokens and Firebase custom token,
which the rules library's ``isGuest()`` reads; no claim for anyone else (docs/guests.md)."""

from __future__ import annotations

from domain.accounts.guest.part import Guest
from domain.signin.claims.sources import ClaimSource, Minting


def is_guest(minting: Minting) -> bool | None:
    return True if minting.user is not None and minting.user.part(Guest).is_guest else None


GUEST = ClaimSource(name="guest", kinds=frozenset({"access", "firebase_custom"}), value=is_guest)
