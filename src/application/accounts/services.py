"""The accounts capability's service objects: ``services().of(AccountServices)``
(docs/decisions/0526-services-by-capability.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from application.accounts.accounts import Accounts
    from application.accounts.admin import Administration
    from application.accounts.challenge_gate import ChallengeGate
    from application.accounts.guest.merges import GuestMerges
    from application.accounts.guest.upgrades import GuestUpgrades
    from application.accounts.profile_schema import ProfileSchemas


@dataclass(frozen=True, kw_only=True, slots=True)
class AccountServices:
    """The accounts' service objects: one's own account, the admins', the profile schema, the
    challenge."""

    accounts: Accounts  # register, read, change, delete one's own account
    admin: Administration  # the admins' (docs/reference/accounts.md)
    profile_schemas: ProfileSchemas  # docs/reference/accounts.md, "Profile attributes"
    challenge_gate: ChallengeGate  # asked when a signal fires (docs/security.md)
    guest_merges: GuestMerges  # a guest merged into another account (docs/guests.md)
    guest_upgrades: GuestUpgrades  # a guest become an account in place (docs/guests.md)
