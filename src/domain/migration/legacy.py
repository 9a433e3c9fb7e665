"""Legacy accounts: imported with no password hash, their password the old system's, checked
once by the ``password_verification`` hook and then stored (docs/recipes/legacy-passwords.md,
docs/decisions/0575-legacy-passwords-checked-once.md). ``Legacy`` is a user part
(docs/contributing.md, "User parts"): its fields ``legacy``, ``legacy_claim`` and
``legacy_claim_until`` on ``users/{uid}``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Self

from domain.accounts.users import User
from domain.errors import InvalidInput


@dataclass(frozen=True)
class Legacy:
    """Whether the account's password is still the old system's (``is_legacy``), and the
    sign-in that holds the account's one call of the hook (``claim``), until when."""

    is_legacy: bool = False
    claim: str | None = None
    claim_until: datetime | None = None

    @classmethod
    def read(cls, stored: Mapping[str, Any]) -> Self:
        return cls(
            stored.get("legacy", False),
            stored.get("legacy_claim"),
            stored.get("legacy_claim_until"),
        )

    def stored(self, user_id: str) -> dict[str, Any]:
        return {
            "legacy": self.is_legacy,
            "legacy_claim": self.claim,
            "legacy_claim_until": self.claim_until,
        }

    @classmethod
    def imported(cls, line: Mapping[str, Any]) -> Self:
        """``"legacy": true``: a password the old system keeps to itself, checked by the
        hook at the first sign-in (docs/migrating.md, "Hashes you cannot export")."""
        legacy = line.get("legacy", False)
        if not isinstance(legacy, bool):
            raise InvalidInput.field("legacy", "Must be true or false.", "boolean_type")
        if legacy and line.get("password_hash"):
            raise InvalidInput.field(
                "legacy", "A legacy account has no password hash.", "legacy_with_password_hash"
            )
        return cls(is_legacy=legacy)

    def exported(self) -> dict[str, Any]:
        return {"legacy": True} if self.is_legacy else {}  # its password still the old system's

    def shown(self) -> tuple[tuple[str, str], ...]:
        return ()


def claimed(user: User, claim: str, now: datetime, lease: timedelta) -> User:
    """The legacy account with its one hook call held by ``claim`` until ``now + lease``;
    unchanged when it is no legacy account or another claim holds it still (the caller reads
    the claim back to know whether it won)."""
    legacy = user.part(Legacy)
    held = legacy.claim_until is not None and now < legacy.claim_until
    if not legacy.is_legacy or held:
        return user
    return user.with_part(Legacy(True, claim, now + lease))


def released(user: User, claim: str) -> User:
    """The claim given back (the hook said no, or failed): the next sign-in may ask."""
    legacy = user.part(Legacy)
    if legacy.claim != claim:
        return user
    return user.with_part(Legacy(legacy.is_legacy))


def own_password(user: User) -> User:
    """The account whose password is its own now, however it was set (the hook vouched for
    it, a reset, a change): no legacy one any more."""
    return user.with_part(Legacy()) if user.part(Legacy) != Legacy() else user


def migrated(user: User, password_hash: str, now: datetime) -> User:
    """The password the hook vouched for, stored, and ``legacy`` cleared; unchanged when the
    account is no legacy one any more (a reset or another sign-in got there first)."""
    if not user.part(Legacy).is_legacy:
        return user
    return own_password(user.with_password_hash(password_hash, now))
