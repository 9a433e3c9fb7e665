"""The accounts an org manages, deleted with it (docs/reference/orgs.md, "Deleting an org";
docs/decisions/0468-deleting-an-org-deletes-its-accounts.md).

An org **manages** an account that it made and that its holder never made their own:

- made by the org: its single sign-on made it (``Membership.managed``), or its directory did
  (a SCIM user the org manages: ``DirectoryAccounts``);
- and nothing of its own: no password, no passkey, no authenticator (an active second
  factor), no linked identity that opens it by something the org does not hold (Firebase's,
  an upstream provider's, another org's connection: ``OutsideWayIn``), and no membership of
  another org.

Such an account has no way in once the org is gone: it is deleted with the org, by the
account deletion every account goes through (its owned data, its departures, its event),
before the org's memberships and SCIM users are purged, so that a purge stopped half-way
finds the rest again when it runs once more. Any other member only loses the membership.

The directory's records and the connections are SCIM's and single sign-on's, capabilities
above this one: they answer through ``DirectoryAccounts`` and ``OutsideWayIn``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from application.accounts.accounts import UserRepository, delete_account
from application.accounts.ways_in import IdentityRepository
from application.orgs.ports import OrgRepository
from application.ports import AuditLog, Clock, OwnedData
from application.signin.factors.passkeys import PasskeyRepository
from application.signin.mfa import MfaRepository
from domain.accounts.users import User

HELD_MAX = 1000  # the memberships of one account read (as GET /orgs lists at most)
PURGE_BATCH = 200  # the memberships one read goes through


class DirectoryAccounts(Protocol):
    def __call__(self, org_id: str) -> Sequence[str]:
        """The ids of the accounts the org's directory made (its SCIM users it manages)."""
        ...


class OutsideWayIn(Protocol):
    def __call__(self, org_id: str, provider: str) -> bool:
        """Whether an identity linked under ``provider`` opens the account by something the
        org does not hold (not one of its connections, nor a connection gone)."""
        ...


@dataclass(frozen=True, kw_only=True, slots=True)
class ManagedAccounts:
    """The accounts an org manages: counted for its deletion's confirmation (``count``) and
    deleted with it (``delete_owned_by_org``, a part of its purge).

    ``directory``: the accounts the org's SCIM made; ``outside``: whether a linked
    identity opens an account by something the org does not hold; ``owned``: what the
    other capabilities keep per user, deleted with each account."""

    orgs: OrgRepository
    users: UserRepository
    identities: IdentityRepository
    passkeys: PasskeyRepository
    factors: MfaRepository
    directory: DirectoryAccounts
    outside: OutsideWayIn
    clock: Clock
    audit: AuditLog
    owned: Sequence[OwnedData]

    def _made(self, org_id: str, batch_size: int) -> list[str]:
        """The accounts the org made: its SSO's (the membership says so) and its
        directory's, each once, in id order."""
        made = set(self.directory(org_id))
        after: str | None = None
        while page := self.orgs.members_page(org_id, after, batch_size):
            made.update(m.user_id for m in page if m.managed)
            after = page[-1].user_id
        return sorted(made)

    def _own(self, user: User, org_id: str) -> bool:
        """Whether the account shows it is its holder's own, not only the org's."""
        if user.password_hash is not None or self.passkeys.list_for_user(user.id, 1):
            return True
        factor = self.factors.get(user.id)
        if factor is not None and factor.active:
            return True
        if any(self.outside(org_id, link.provider) for link in self.identities.list_for(user.id)):
            return True
        return any(org.id != org_id for org, _ in self.orgs.memberships_of(user.id, HELD_MAX))

    def _made_accounts(self, org_id: str, batch_size: int) -> list[User]:
        """The accounts the org made that still exist (tombstoned ones too), in id order."""
        made = self._made(org_id, batch_size)
        accounts = self.users.get_many(made) if made else {}
        return [accounts[user_id] for user_id in made if user_id in accounts]

    def managed(self, org_id: str, batch_size: int = PURGE_BATCH) -> list[User]:
        """The live accounts the org manages, in id order."""
        return [
            user
            for user in self._made_accounts(org_id, batch_size)
            if user.deleted_at is None and not self._own(user, org_id)
        ]

    def count(self, org_id: str) -> int:
        """How many accounts would be deleted with the org now."""
        return len(self.managed(org_id))

    def delete_owned_by_org(self, org_id: str, batch_size: int) -> None:
        """Delete the accounts the (deleted) org manages, and finish the deletion of any it
        made that a purge stopped half-way left tombstoned; idempotent."""
        for user in self._made_accounts(org_id, batch_size):
            if user.deleted_at is None and self._own(user, org_id):
                continue  # its holder's own: it only loses the membership
            # No departures: the account is in no other org (the rule), and its membership
            # of this one goes with the org's purge.
            delete_account(
                user.id, users=self.users, clock=self.clock, audit=self.audit, owned=self.owned
            )
