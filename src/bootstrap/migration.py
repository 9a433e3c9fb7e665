"""Migration: its adapter (users moved in and out in batches), and its use cases bound to
it: the import and export of users (docs/migrating.md).

A use case is bound here (docs/decisions/0042-wiring-per-feature.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from application.migration.exporting import export_users
from application.migration.importing import check_password, import_users
from application.migration.ports import UserMoves
from application.migration.services import MoveServices
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


def bind_moves(
    own: MigrationAdapters,
    *,
    accounts: AccountsAdapters,
    platform: Platform,
    providers: Callable[[], frozenset[str]],
) -> MoveServices:
    """``providers``: the ids of federation's upstream providers configured now."""
    return MoveServices(
        import_users=lambda cmd, records, progress, check_address: import_users(
            cmd,
            records,
            moves=own.user_moves,
            users=accounts.users,
            clock=platform.clock,
            providers=providers(),
            check_address=check_address,
            progress=progress,
        ),
        export_users=partial(export_users, moves=own.user_moves),
        check_password=lambda check, records, check_address: check_password(
            check,
            records,
            hasher=accounts.hasher,
            clock=platform.clock,
            providers=providers(),
            check_address=check_address,
        ),
    )
