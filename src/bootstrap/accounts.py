"""Accounts: their adapters (the users, the ways in, the password hasher, and the reads of a
session's org the orgs hand in), made from their settings, and the objects of their use cases
built on them (``Accounts``, ``Administration``), each once; what one needs of another
capability is named in its ``bind_…``'s signature."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from application.accounts.accounts import (
    AccountHold,
    AccountHooks,
    Accounts,
    EndsBeforeDeletion,
    PasswordCheck,
    UserRepository,
)
from application.accounts.addresses import AddressRule, DomainHolders
from application.accounts.admin import Administration
from application.accounts.profile_schema import ProfileSchemas, ProfileSchemaStore
from application.accounts.ways_in import IdentityRepository
from application.metrics import ARGON2_QUEUE_WAIT
from application.ports import (
    NO_METRICS,
    ActiveOrgs,
    Metrics,
    OwnedData,
    PasswordHasher,
)
from bootstrap.platform import Platform
from domain.request_limits import Limit
from infrastructure.accounts.argon2_hasher import Argon2PasswordHasher
from infrastructure.accounts.email_syntax import EmailValidatorSyntax
from infrastructure.accounts.foreign_hashes import mismatch_reporter
from infrastructure.firestore.accounts.identities import FirestoreIdentityRepository
from infrastructure.firestore.accounts.profile_schema import FirestoreProfileSchemaStore
from infrastructure.firestore.accounts.users import FirestoreUserRepository, StagedWriter
from infrastructure.settings import Settings
from infrastructure.settings.accounts import load_profile_schema

if TYPE_CHECKING:
    from google.cloud.firestore import Client


@dataclass(frozen=True)
class AccountsAdapters:
    users: UserRepository
    # A session's active org, read for its tokens (docs/reference/orgs.md)
    active_orgs: ActiveOrgs
    identities: IdentityRepository  # the ways in: linked providers (docs/reference/identities.md)
    hasher: PasswordHasher
    profile_schemas: ProfileSchemaStore  # as admins stored it (docs/reference/accounts.md)


def build(
    settings: Settings,
    client: Client,
    *,
    active_orgs: ActiveOrgs,
    write_staged: StagedWriter,
    hash_waited: Callable[[float], None] | None = None,
    metrics: Metrics = NO_METRICS,
) -> AccountsAdapters:
    """``active_orgs``: the orgs' reads of a session's org (bootstrap/orgs.py);
    ``write_staged``: events' part of a change's commit (bootstrap/events.py);
    ``hash_waited`` is told each argon2 hash's wait for a slot, as ``metrics`` are."""
    signin = settings.signin
    return AccountsAdapters(
        users=FirestoreUserRepository(client, write_staged=write_staged),
        active_orgs=active_orgs,
        identities=FirestoreIdentityRepository(client),
        hasher=Argon2PasswordHasher(
            time_cost=signin.argon2_time_cost,
            memory_kib=signin.argon2_memory_kib,
            parallelism=signin.argon2_parallelism,
            max_concurrent=signin.hash_concurrency,
            waited=_told(hash_waited, None if metrics is NO_METRICS else _queue_wait(metrics)),
            mismatched=mismatch_reporter(metrics),
        ),
        profile_schemas=FirestoreProfileSchemaStore(client),
    )


class _NoDomains:
    def org_for(self, domain: str) -> str | None:
        return None


NO_DOMAINS: DomainHolders = _NoDomains()  # until the orgs' verified domains are known (bind)


def address_rule(settings: Settings, *, domains: DomainHolders = NO_DOMAINS) -> AddressRule:
    """The one rule for an address given now (docs/decisions/0463-one-address-rule.md):
    ``domains``, the orgs' verified ones, hold special-use names outside the local profile."""
    return AddressRule(
        syntax=EmailValidatorSyntax(),
        domains=domains,
        local=settings.service.app_profile == "local",
    )


def bind_accounts(
    own: AccountsAdapters,
    settings: Settings,
    *,
    platform: Platform,
    owned: Sequence[OwnedData],
    departures: Sequence[EndsBeforeDeletion],
    hooks: AccountHooks,
    check_password: PasswordCheck,
    hold: AccountHold,
    addresses: AddressRule,
    schemas: ProfileSchemas,
) -> Accounts:
    """``owned``: what the other capabilities keep per user, deleted with the account;
    ``departures``: what ends before it and may refuse it (an org's last owner);
    ``hooks``: the mails that follow; ``check_password``: sign-in's check of a signed-in
    user's password; ``hold``: what an org that holds an account refuses of a new address;
    ``addresses``: the rule a new address follows; ``schemas``: the profile schema."""
    return Accounts(
        users=own.users,
        hasher=own.hasher,
        clock=platform.clock,
        audit=platform.audit,
        hooks=hooks,
        counter=platform.request_counter,
        identity_changes=Limit(
            settings.accounts.identity_change_limit, settings.accounts.identity_change_window
        ),
        hold=hold,
        addresses=addresses,
        owned=owned,
        departures=departures,
        check_password=check_password,
        schemas=schemas,
    )


def bind_admin(
    own: AccountsAdapters,
    *,
    platform: Platform,
    owned: Sequence[OwnedData],
    departures: Sequence[EndsBeforeDeletion],
    schemas: ProfileSchemas,
) -> Administration:
    """``owned``: what the other capabilities keep per user, deleted with the account;
    ``departures``: what ends before it and may refuse it (an org's last owner);
    ``schemas``: the profile schema."""
    return Administration(
        users=own.users,
        clock=platform.clock,
        audit=platform.audit,
        owned=owned,
        departures=departures,
        schemas=schemas,
    )


def bind_profile_schemas(own: AccountsAdapters, settings: Settings) -> ProfileSchemas:
    """The schema of the ``PROFILE_SCHEMA`` file when it names one, else the stored one."""
    path = settings.accounts.profile_schema
    return ProfileSchemas(
        store=own.profile_schemas, pinned=load_profile_schema(path) if path else None
    )


def _queue_wait(metrics: Metrics) -> Callable[[float], None]:
    """What tells ``metrics`` of an argon2 hash's wait for a slot."""

    def observe(seconds: float) -> None:
        metrics.observe(ARGON2_QUEUE_WAIT, seconds)

    return observe


def _told(
    *listeners: Callable[[float], None] | None,
) -> Callable[[float], None] | None:
    """One callable telling each of ``listeners`` that are not None; None if none is."""
    present = [listener for listener in listeners if listener is not None]
    if len(present) <= 1:
        return present[0] if present else None

    def tell(value: float) -> None:
        for listener in present:
            listener(value)

    return tell
