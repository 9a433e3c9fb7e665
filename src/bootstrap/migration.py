"""Migration: its adapter (users moved in and out in batches), and ``UserMigration``, the
import and export of users (docs/migrating.md), built on it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from application.accounts.accounts import UserRepository
from application.federation.providers import UpstreamProviders
from application.hooks.caller import HOOK_CALLERS, HookCalls
from application.migration.legacy_gauge import LegacyGauge
from application.migration.legacy_passwords import LegacyPasswordCheck
from application.migration.ports import UserMoves
from application.migration.services import MigrationServices, UserMigration
from application.ports import Clock, Metrics, PasswordHasher
from bootstrap.accounts import SHARED, AccountsAdapters, Shared
from bootstrap.drivers import API_CONFIGURED
from bootstrap.federation import FederationAdapters
from bootstrap.metrics import GAUGES
from bootstrap.migration_driving import compat_routes
from bootstrap.platform import Platform
from bootstrap.signin_policies import LEGACY_PASSWORDS
from bootstrap.unit import Built, Footing, Kernel, Lent, Unit
from domain.accounts.outlasting import OUTLASTING_ROUTES, Outlasting
from domain.accounts.parts import USER_PARTS
from domain.migration.legacy import Legacy
from domain.signin.hook_kinds import PASSWORD_VERIFICATION
from infrastructure.firestore.migration.user_moves import FirestoreUserMoves
from infrastructure.settings.orgs_and_apps.migration import MigrationSettings
from interfaces.cli import Commands

if TYPE_CHECKING:
    import click
    from flask import Blueprint

    from application.services import Services


@dataclass(frozen=True)
class MigrationAdapters:
    user_moves: UserMoves  # users import and export


def build(footing: Footing) -> MigrationAdapters:
    """Its adapters (``Unit.makes``) on ``footing``."""
    client = footing.client
    return MigrationAdapters(user_moves=FirestoreUserMoves(client))


def wire(
    own: MigrationAdapters,
    shared: Shared,
    *,
    accounts: AccountsAdapters,
    providers: UpstreamProviders,
) -> MigrationServices:
    """The import and export of users; ``providers``: federation's upstream providers, whose
    identities an import links. An imported address follows the accounts' rule and passes
    their door (``shared``)."""
    return MigrationServices(
        users=UserMigration(
            moves=own.user_moves,
            users=accounts.users,
            hasher=accounts.hasher,
            clock=shared.platform.clock,
            providers=providers,
            addresses=shared.addresses,
            schemas=shared.schemas,
            signups=shared.signups,
            guest_ttl=shared.guest_ttl,
            parts=shared.signups.parts,
        )
    )


def legacy_passwords(
    hooks: HookCalls, *, users: UserRepository, hasher: PasswordHasher, platform: Platform
) -> LegacyPasswordCheck:
    """The password_verification hooks (signin's kind), as signin checks a legacy account's
    password."""
    return LegacyPasswordCheck(
        caller=hooks.caller_for(PASSWORD_VERIFICATION),
        users=users,
        hasher=hasher,
        clock=platform.clock,
    )


def legacy_gauge(services: Services, metrics: Metrics, clock: Clock) -> Callable[[], None]:
    """``firegate_legacy_accounts_remaining``, counted after a response at most once a minute
    (docs/decisions/0576-legacy-accounts-counted.md)."""
    return LegacyGauge(
        services.of(MigrationServices).users.legacy_remaining, metrics, clock
    ).refresh


def _migration_commands() -> Sequence[click.Command]:
    from interfaces.cli import migration  # noqa: PLC0415 - when the command line asks

    return migration.COMMANDS


def compat_api() -> Sequence[Blueprint]:
    """The replaced dogs API's users (docs/migrating.md)."""
    from interfaces.http.routes.migration import dogs_api  # noqa: PLC0415 - loaded with the app

    return (dogs_api.bp,)


def lends(_own: MigrationAdapters, kernel: Kernel) -> Lent:
    """What the migration lends sign-in: the check of a legacy account's password
    (``LEGACY_PASSWORDS``), by the password_verification hooks."""
    accounts = kernel.adapters_of(AccountsAdapters)
    check = legacy_passwords(
        kernel.offered(HOOK_CALLERS),
        users=accounts.users,
        hasher=accounts.hasher,
        platform=kernel.platform,
    )
    return Lent(fills=(LEGACY_PASSWORDS(check),))


# The core unit: its commands and the replaced systems' routes (its adapters and use cases:
# ``build`` and ``wire`` above).
def built(own: MigrationAdapters, kernel: Kernel) -> Built:
    """The migration's use cases (``wire``), on the accounts' and federation's adapters the
    kernel holds."""
    services = wire(
        own,
        kernel.offered(SHARED),
        accounts=kernel.adapters_of(AccountsAdapters),
        providers=kernel.adapters_of(FederationAdapters).upstream_providers,
    )
    return Built(services=(services,))


# Its routes that make or change what outlasts a session (the replaced API's deletion of an
# account), by kind: a session of support access is refused them (``OUTLASTING_ROUTES``, sign-
# in's).
_OUTLASTING = OUTLASTING_ROUTES(
    (
        Outlasting.DELETION,
        (("DELETE", "/api/users/<user_id:user_id>"),),
    ),
)


UNIT = Unit[MigrationAdapters](
    name="migration",
    makes=build,
    build=built,
    lends=lends,
    optional=False,
    settings=(MigrationSettings,),
    compat_api=compat_api,
    cli=(Commands("users", _migration_commands),),
    fills=(
        USER_PARTS(Legacy),  # a legacy account's password, checked by the hook once
        GAUGES(legacy_gauge),
        API_CONFIGURED(compat_routes),  # COMPAT_ROUTES
        _OUTLASTING,
    ),
)
