"""The orgs' parts that take what the other capabilities lend: the accounts an org manages,
a deleted org's purge and an account's departures, made once every unit lent
(``lends_late``), and the orgs' slots the capabilities above fill."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from application.accounts.accounts import OWNED_DATA, EndsBeforeDeletion
from application.orgs.departures import OrgDepartures
from application.orgs.managed import DirectoryAccounts, ManagedAccounts, OutsideWayIn
from application.orgs.orgs import OrgPurge
from application.orgs.ports import OrgPart, ResourceScopes
from application.orgs.sso_policy import ConnectionNames, SsoReadiness
from application.ports import JobQueue, OwnedData
from bootstrap.accounts import DEPARTURES, AccountsAdapters
from bootstrap.platform import Platform
from bootstrap.signin_adapters import SigninAdapters
from bootstrap.unit import Kernel, Lent
from domain.slots import Slot

if TYPE_CHECKING:
    from bootstrap.orgs import OrgsAdapters


# The accounts an org's directory made (SCIM's), the other capabilities' data of an org its
# purge deletes (the clients', lent early, single sign-on's, SCIM's) and the API resources'
# scopes a role may carry (the clients'): the orgs' slots, filled by those capabilities.
DIRECTORY_ACCOUNTS = Slot[DirectoryAccounts]("the accounts an org's directory made")
ORG_DATA = Slot[OrgPart]("the others' data of an org")
RESOURCE_SCOPES = Slot[ResourceScopes]("the API resources' scopes a role may carry")
# Whether a linked identity opens an account by something an org does not hold, whether an
# org has an active connection, what its audit log calls its connections: single sign-on's.
OUTSIDE_WAYS_IN = Slot[OutsideWayIn]("whether an identity opens an account outside an org")
SSO_READINESS = Slot[SsoReadiness]("whether an org has an active connection")
CONNECTION_NAMES = Slot[ConnectionNames]("what an org's audit log calls its connections")


@dataclass(frozen=True, kw_only=True)
class OrgParts:
    """What the orgs' use cases take that is made before them (``lends_late``): an org's
    purge and the accounts it manages (which the account deletion also reaches), and what
    the capabilities above lend them."""

    purge: OrgPurge
    managed: ManagedAccounts
    sso_ready: SsoReadiness  # whether an org has an active connection (sso)
    connection_names: ConnectionNames  # what its audit log calls them (sso)
    scopes: ResourceScopes  # the API resources' scopes a role may carry (clients)


# The orgs' parts, offered to the core's ``runs`` and ``build``.
ORG_PARTS = Slot[OrgParts]("the orgs' parts")


def managed_accounts(
    own: OrgsAdapters,
    *,
    accounts: AccountsAdapters,
    signin: SigninAdapters,
    platform: Platform,
    directory: DirectoryAccounts,
    outside: OutsideWayIn,
    owned: Sequence[OwnedData],
) -> ManagedAccounts:
    """The accounts an org manages: ``directory``, those its SCIM made; ``outside``, whether
    a linked identity opens one by something the org does not hold; ``owned``, what the
    other capabilities keep per user, deleted with each
    (docs/decisions/0468-deleting-an-org-deletes-its-accounts.md)."""
    return ManagedAccounts(
        orgs=own.orgs,
        users=accounts.users,
        identities=accounts.identities,
        passkeys=signin.passkeys,
        factors=signin.factors,
        directory=directory,
        outside=outside,
        clock=platform.clock,
        audit=platform.audit,
        owned=owned,
    )


def org_purge(
    own: OrgsAdapters, managed: ManagedAccounts, others: Sequence[OrgPart] = ()
) -> OrgPurge:
    """What a deleted org owns, each kind a part its purge deletes before the org's
    memberships and its document: the accounts it ``managed`` first (what says it made them,
    its memberships and its SCIM users, is purged after them), then its own kinds; a new
    kind is added here, or, another capability's (the org's clients and tokens), in
    ``others`` (docs/decisions/0364-org-deletion.md)."""
    return OrgPurge(own.orgs, parts=(managed, own.invitations, own.domains, *others))


def departures(
    own: OrgsAdapters, *, platform: Platform, queue: JobQueue, purge: OrgPurge
) -> OrgDepartures:
    """An account's memberships, ended before it is deleted (the last owner's rule) and by
    its purge; ``queue``: where an org deleted with its only member is purged."""
    return OrgDepartures(own.orgs, platform.clock, platform.audit, queue, purge)


def lends_late(own: OrgsAdapters, kernel: Kernel) -> Lent:
    """What the orgs make once every unit lent: the accounts an org manages (those its
    directory made, ``DIRECTORY_ACCOUNTS``; whether an identity opens one outside it,
    ``OUTSIDE_WAYS_IN``), each deleted with what every capability keeps per user
    (``OWNED_DATA``: the units' and, lent late before the orgs, sign-in's and the provider's);
    a deleted org's purge, which deletes the accounts it manages, its own kinds, sign-in's
    org-scoped personal tokens and the others' data of an org (``ORG_DATA``: the clients',
    single sign-on's connections, SCIM's...); an account's departures, which the accounts'
    deletion ends first (``DEPARTURES``) and deletes last (``OWNED_DATA``); offered as their
    parts (``ORG_PARTS``)."""
    signin = kernel.adapters_of(SigninAdapters)
    managed = managed_accounts(
        own,
        accounts=kernel.adapters_of(AccountsAdapters),
        signin=signin,
        platform=kernel.platform,
        directory=kernel.last_filled(DIRECTORY_ACCOUNTS),
        outside=kernel.last_filled(OUTSIDE_WAYS_IN),
        owned=kernel.filled(OWNED_DATA),
    )
    purge = org_purge(own, managed, others=(signin.personal_tokens, *kernel.filled(ORG_DATA)))
    ending = departures(own, platform=kernel.platform, queue=kernel.queue, purge=purge)
    parts = OrgParts(
        purge=purge,
        managed=managed,
        sso_ready=kernel.last_filled(SSO_READINESS),
        connection_names=kernel.last_filled(CONNECTION_NAMES),
        scopes=kernel.last_filled(RESOURCE_SCOPES),
    )
    ends: EndsBeforeDeletion = ending
    return Lent(fills=(DEPARTURES(ends), OWNED_DATA(ending)), offers=(ORG_PARTS(parts),))
