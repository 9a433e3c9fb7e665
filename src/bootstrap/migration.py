"""Migration: its adapter (users moved in and out in batches), and ``UserMigration``, the
import and export of users (docs/migrating.md), built on it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from application.accounts.accounts import ProfileSchemaSource
from application.accounts.addresses import AddressRule
from application.accounts.signups import Signups
from application.federation.providers import UpstreamProviders
from application.migration.ports import UserMoves
from application.migration.services import UserMigration
from bootstrap.accounts import AccountsAdapters
from bootstrap.platform import Platform
from infrastructure.firestore.migration.user_moves import FirestoreUserMoves

if TYPE_CHECKING:
    from google.cloud.firestore import Client


@dataclass(frozen=True)
class MigrationAdapters:
    user_moves: UserMoves  # users import and export


def build(client: Client) -> MigrationAdapters:
    return MigrationAdapters(user_moves=FirestoreUserMoves(client))


def bind_migration(
    own: MigrationAdapters,
    *,
    accounts: AccountsAdapters,
    platform: Platform,
    providers: UpstreamProviders,
    addresses: AddressRule,
    schemas: ProfileSchemaSource,
    signups: Signups,
) -> UserMigration:
    """``providers``: federation's upstream providers, whose identities an import links;
    ``addresses``: the rule an imported address follows; ``schemas``: the profile schema;
    ``signups``: the door every new account passes."""
    return UserMigration(
        moves=own.user_moves,
        users=accounts.users,
        hasher=accounts.hasher,
        clock=platform.clock,
        providers=providers,
        addresses=addresses,
        schemas=schemas,
        signups=signups,
    )
