"""Accounts: their adapters (the users, the ways in, the password hasher, and the reads of a
session's org the orgs hand in), made from their settings, and the objects of their use cases
built on them (``Accounts``, ``Administration``), each once; what one needs of another
capability is named in its ``bind_…``'s signature."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING

from application.accounts.accounts import (
    OWNED_DATA,
    AccountHold,
    AccountHooks,
    Accounts,
    EndsBeforeDeletion,
    PasswordCheck,
    UserRepository,
    nothing_follows,
)
from application.accounts.addresses import AddressRule, DomainHolders
from application.accounts.admin import Administration
from application.accounts.breached import BreachedPasswords, PasswordScreen
from application.accounts.challenge_gate import (
    ChallengeGate,
    ChallengeVerifier,
    SpentChallenges,
)
from application.accounts.guest.expiry import GuestExpiry
from application.accounts.guest.merges import MERGE_GUEST, MOVABLE_DATA, GuestMerges
from application.accounts.guest.upgrades import GuestUpgrades, SignInCheck
from application.accounts.profile_schema import RELEASE_SCOPES, ProfileSchemas, ProfileSchemaStore
from application.accounts.services import AccountServices
from application.accounts.signups import NO_INVITATIONS, InvitedAddresses, Signups
from application.accounts.ways_in import IdentityRepository
from application.jobs import JOBS, SWEEPS, JobHandler
from application.metrics import ARGON2_QUEUE_WAIT
from application.ports import (
    NO_METRICS,
    JobQueue,
    Metrics,
    MovableData,
    OwnedData,
    PasswordHasher,
    SecretBox,
    TokenVersionCopies,
)
from bootstrap.accounts_driving import challenge_pages
from bootstrap.accounts_rules import (
    ACCOUNT_RULES,
    NO_DOMAINS,
    SIGN_UP_HOOKS,
    SIGNIN_SHARES,
    AccountRules,
    address_rule,
    bind_challenge_gate,
    challenge,
    password_screen,
    signups,
)
from bootstrap.drivers import PAGES_CONFIGURED
from bootstrap.platform import Platform
from bootstrap.unit import EVERY_UNIT, MADE_LAST, Built, Footing, Kernel, Lent, Unit
from domain.accounts.guest.part import Guest
from domain.accounts.identities import PhoneNumber
from domain.accounts.outlasting import OUTLASTING_ROUTES, Outlasting
from domain.accounts.parts import USER_PARTS
from domain.accounts.users import User
from domain.request_limits import Limit
from domain.slots import Fills, Slot, filled
from infrastructure.accounts.argon2_hasher import Argon2PasswordHasher
from infrastructure.accounts.foreign_hashes import mismatch_reporter
from infrastructure.accounts.hibp_range import HibpRangeBreaches
from infrastructure.firestore.accounts.identities import FirestoreIdentityRepository
from infrastructure.firestore.accounts.profile_schema import FirestoreProfileSchemaStore
from infrastructure.firestore.accounts.spent_challenges import FirestoreSpentChallenges
from infrastructure.firestore.accounts.users import FirestoreUserRepository, StagedWriter
from infrastructure.re2_patterns import re2_matcher
from infrastructure.settings import Settings
from infrastructure.settings.identity.accounts import AccountSettings, load_profile_schema
from interfaces.cli import CommandGroup, Commands
from interfaces.http.routes.accounts import problems
from interfaces.shared.problems import PROBLEM_PARTS

if TYPE_CHECKING:
    import click
    from flask import Blueprint

    from interfaces.web.parts import Pages


@dataclass(frozen=True)
class AccountsAdapters:
    users: UserRepository
    identities: IdentityRepository  # the ways in: linked providers (docs/reference/identities.md)
    hasher: PasswordHasher
    # The challenge asked when a signal fires, and the tokens spent (docs/security.md)
    challenge: ChallengeVerifier
    spent_challenges: SpentChallenges
    # Breached passwords: the range API, its answers kept per prefix in this process
    breaches: BreachedPasswords
    profile_schemas: ProfileSchemaStore  # as admins stored it (docs/reference/accounts.md)


# What the accounts' adapters take of the capabilities above them, prepared by those before
# any adapters are made (``Unit.prepares``) and read from the footing (``Footing.offered``):
# events' part of a change's commit (signin's sessions take it too) and the memberships'
# copies of an account's token_version (mail's password reset moves them too),
# docs/decisions/0845-the-core-makes-its-own-adapters.md.
STAGED_WRITES = Slot[StagedWriter]("a change's security events, staged in its commit")
TOKEN_VERSION_COPIES = Slot[TokenVersionCopies]("the memberships' copies of token_version")


def build(footing: Footing) -> AccountsAdapters:
    """Its adapters (``Unit.makes``) on ``footing``: the memberships' copies of an account's
    token_version (bootstrap/orgs.py), events' part of a change's commit (bootstrap/events.py),
    each read by its key declared here; ``hash_waited`` is told each argon2 hash's wait for a
    slot, as ``metrics`` are."""
    settings, client, metrics = footing.settings, footing.client, footing.metrics
    copies, write_staged = footing.offered(TOKEN_VERSION_COPIES), footing.offered(STAGED_WRITES)
    hash_waited = footing.hash_waited
    hashing = settings.group(AccountSettings)
    return AccountsAdapters(
        users=FirestoreUserRepository(client, write_staged=write_staged, copies=copies),
        identities=FirestoreIdentityRepository(client, copies=copies),
        hasher=Argon2PasswordHasher(
            time_cost=hashing.argon2_time_cost,
            memory_kib=hashing.argon2_memory_kib,
            parallelism=hashing.argon2_parallelism,
            max_concurrent=hashing.hash_concurrency,
            waited=_told(hash_waited, None if metrics is NO_METRICS else _queue_wait(metrics)),
            mismatched=mismatch_reporter(metrics),
        ),
        challenge=challenge(settings),
        spent_challenges=FirestoreSpentChallenges(client),
        breaches=HibpRangeBreaches(
            settings.group(AccountSettings).breached_passwords_url,
            cache_bytes=settings.group(AccountSettings).breached_passwords_cache_bytes,
            ca_certs=footing.platform.outbound.ca_certs,
        ),
        profile_schemas=FirestoreProfileSchemaStore(client),
    )


@dataclass(frozen=True, kw_only=True)
class Shared:
    """What every capability's use cases share, made once before any of them is bound (by
    ``shared``, the maker the accounts' late step lends, once every unit lent late): the
    platform, whose audit log is the events' trail, the job queue, and the rules an account
    follows whichever capability changes it, some of them lent by the capabilities above
    (docs/contributing.md, "Wiring")."""

    platform: Platform
    queue: JobQueue  # every capability's jobs (the webhooks' have their own: events)
    schemas: ProfileSchemas  # the profile schema; the provider's scopes and claims
    challenge_gate: ChallengeGate  # asked when a signal fires (docs/security.md)
    passwords: PasswordScreen  # a new password against breached ones
    addresses: AddressRule  # the rule an address follows; the orgs' verified domains
    hold: AccountHold  # what an org that holds an account refuses of it (sso)
    signups: Signups  # the door every new account passes (orgs' invitations, hooks)
    owned: Sequence[OwnedData]  # what the others keep per user, deleted with the account
    # What the others keep per user that a merged guest's account is given (docs/guests.md)
    movable: Sequence[MovableData]
    box: SecretBox  # what seals the merge tokens of guests (signin's secret box)
    departures: Sequence[EndsBeforeDeletion]  # what ends first and may refuse (orgs)
    hooks: AccountHooks  # what follows a change: mails, an org's auto_join
    check_password: PasswordCheck  # sign-in's check of a signed-in user's password
    guest_ttl: timedelta  # a guest unused this long is deleted (GUEST_TTL)
    sign_in_check: SignInCheck  # sign-in's before_sign_in hooks, asked of a guest's upgrade


# The rules every capability's use cases share, offered to the core units' ``runs``.
SHARED = Slot[Shared]("the accounts' shared rules")


# What the accounts take of the orgs, the accounts' slots the orgs' ``lends`` fill: the
# verified domains that hold an address's special-use name, the open invitations that let
# an address sign up by invitation only, what follows an address newly proven (auto_join).
DOMAIN_HOLDERS = Slot[DomainHolders]("the domains that hold addresses")
INVITED_ADDRESSES = Slot[InvitedAddresses]("the invited addresses")
PROVEN_HOOKS = Slot[Callable[[User], None]]("what follows an address proven")
# The accounts' use cases, offered the units built after them (``Built.offers``): a sign-up
# by a proven address, a guest's upgrade in place.
SIGNUPS = Slot[AccountServices]("the accounts' sign-ups")
# What follows a new account and a profile change (mail's): the accounts' slot, filled by
# mail's ``lends``.
CHANGE_HOOKS = Slot[AccountHooks]("what follows a new account and a profile change")
# What sign-in lends early the capabilities below it (the accounts, the hooks): the claims no
# profile attribute nor hook answer may set, and its secret box (read with ``last_filled``).
RESERVED_CLAIMS = Slot[frozenset[str]]("the reserved claims")
SECRET_BOXES = Slot[SecretBox]("sign-in's secret box")
# What ends before an account is deleted (the orgs' departures, filled by their
# ``lends_late``).
DEPARTURES = Slot[EndsBeforeDeletion]("what ends before an account is deleted")


def lent_domains(lent: Iterable[Fills]) -> DomainHolders:
    """The domains a unit lends as holding addresses (the last), else none."""
    found = filled(lent, DOMAIN_HOLDERS)
    return found[-1] if found else NO_DOMAINS


def lent_invitations(lent: Iterable[Fills]) -> InvitedAddresses:
    """The invited addresses a unit lends (the last), else none."""
    found = filled(lent, INVITED_ADDRESSES)
    return found[-1] if found else NO_INVITATIONS


def lent_proven(lent: Iterable[Fills]) -> Callable[[User], None]:
    """What follows an address newly proven, as a unit lends it (the last), else nothing."""
    found = filled(lent, PROVEN_HOOKS)
    return found[-1] if found else nothing_follows


def lent_change_hooks(lent: Iterable[Fills]) -> AccountHooks:
    """What follows a new account and a profile change, as the last unit lending it makes
    it (mail's), with what follows an address newly proven (``lent_proven``)."""
    found = filled(lent, CHANGE_HOOKS)
    if not found:
        raise LookupError("no unit lends what follows a new account")
    return replace(found[-1], proven=lent_proven(lent))


def lent_owned(lent: Iterable[Fills]) -> tuple[OwnedData, ...]:
    """What the units lend the accounts as kept per user, deleted with the account."""
    return filled(lent, OWNED_DATA)


def lent_movable(lent: Iterable[Fills]) -> tuple[MovableData, ...]:
    """What the units lend the accounts as kept per user, given to a merged guest's account."""
    return filled(lent, MOVABLE_DATA)


def guest_expiry(own: AccountsAdapters, shared: Shared) -> GuestExpiry:
    """The sweep that deletes the guests unused for GUEST_TTL, with what they own."""
    return GuestExpiry(
        users=own.users,
        clock=shared.platform.clock,
        audit=shared.platform.audit,
        owned=shared.owned,
        departures=shared.departures,
    )


def wire(own: AccountsAdapters, settings: Settings, shared: Shared) -> AccountServices:
    """The accounts' use cases."""
    platform, schemas = shared.platform, shared.schemas
    return AccountServices(
        accounts=Accounts(
            users=own.users,
            hasher=own.hasher,
            clock=platform.clock,
            audit=platform.audit,
            hooks=shared.hooks,
            counter=platform.request_counter,
            identity_changes=Limit(
                settings.group(AccountSettings).identity_change_limit,
                settings.group(AccountSettings).identity_change_window,
            ),
            hold=shared.hold,
            addresses=shared.addresses,
            owned=shared.owned,
            departures=shared.departures,
            check_password=shared.check_password,
            signups=shared.signups,
            passwords=shared.passwords,
            schemas=schemas,
            guest_ttl=shared.guest_ttl,
        ),
        admin=Administration(
            users=own.users,
            clock=platform.clock,
            audit=platform.audit,
            owned=shared.owned,
            departures=shared.departures,
            schemas=schemas,
            parts=shared.signups.parts,
        ),
        profile_schemas=schemas,
        challenge_gate=shared.challenge_gate,
        guest_merges=guest_merges(own, shared),
        guest_upgrades=guest_upgrades(own, shared),
    )


def guest_upgrades(own: AccountsAdapters, shared: Shared) -> GuestUpgrades:
    """The one place a guest becomes an account, whatever way it signs up by
    (docs/guests.md, "Upgrading in place")."""
    platform = shared.platform
    return GuestUpgrades(
        users=own.users,
        identities=own.identities,
        hasher=own.hasher,
        clock=platform.clock,
        audit=platform.audit,
        hooks=shared.hooks,
        addresses=shared.addresses,
        passwords=shared.passwords,
        signups=shared.signups,
        sign_in=shared.sign_in_check,
    )


def guest_merges(own: AccountsAdapters, shared: Shared) -> GuestMerges:
    """A guest merged into the account its way in belongs to: the use case and its job."""
    platform = shared.platform
    return GuestMerges(
        users=own.users,
        clock=platform.clock,
        audit=platform.audit,
        box=shared.box,
        queue=shared.queue,
        movable=shared.movable,
        owned=shared.owned,
        departures=shared.departures,
    )


def handlers(own: AccountsAdapters, shared: Shared) -> dict[str, JobHandler]:
    """The jobs of this capability by kind: a guest's merge."""
    return {MERGE_GUEST: guest_merges(own, shared).job}


def runs(own: AccountsAdapters, kernel: Kernel) -> Lent:
    """What the accounts run once the core's loans are made (``SHARED``): a guest's merge
    (a job) and the guests' expiry (a sweep, the scheduler's only: docs/operations.md)."""
    shared = kernel.offered(SHARED)
    return Lent(
        fills=(
            JOBS(*handlers(own, shared).items()),
            SWEEPS(("guests", guest_expiry(own, shared).sweep)),
        )
    )


def bind_profile_schemas(
    own: AccountsAdapters,
    settings: Settings,
    *,
    units: Iterable[Fills],
    claims: Collection[str],
) -> ProfileSchemas:
    """The schema of the ``PROFILE_SCHEMA`` file when it names one, else the stored one;
    the scopes an attribute is released under (``RELEASE_SCOPES``, which the OpenID provider
    fills) and ``claims``: the reserved ones, which no attribute may be released as."""
    path = settings.group(AccountSettings).profile_schema
    return ProfileSchemas(
        store=own.profile_schemas,
        pinned=load_profile_schema(path) if path else None,
        scopes=filled(units, RELEASE_SCOPES),
        claims=claims,
        patterns=re2_matcher,
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


def api() -> Sequence[Blueprint]:
    """The accounts unit's blueprints of the JSON API, in the order they are registered."""
    from interfaces.http.routes.accounts import accounts, guest_merges, profile_schema, users  # noqa: PLC0415 - loaded with the app

    return (accounts.bp, guest_merges.bp, users.bp, profile_schema.bp)


def _accounts_commands() -> Sequence[click.Command]:
    from interfaces.cli import accounts  # noqa: PLC0415 - when the command line asks

    return accounts.COMMANDS


def limits(settings: Settings) -> dict[tuple[str, str], str]:
    """The per-address request limits of its JSON API routes (docs/security.md)."""
    return {("POST", "/register"): settings.group(AccountSettings).rate_limit_register}


def pages() -> Pages:
    """The accounts unit's pages: the account area's own sections (Profile first, Delete
    last), the area and /admin, the frames that gather every unit's sections and parts."""
    from interfaces.web.accounts import account, admin, messages  # noqa: F401, PLC0415 - loaded with the app
    from interfaces.web.parts import At, Pages  # noqa: PLC0415 - loaded with the app

    return Pages(
        fills=(account.ACCOUNT_SECTIONS(At(10, account.PROFILE), At(100, account.DELETE)),),
        messages=messages.MESSAGES,  # the profile texts' refusals
        frames=(_account_frames,),
    )


def _account_frames(every: Pages) -> None:
    """The account area's sections (by their place) and /admin's parts and actions."""
    from interfaces.web.accounts import account, admin  # noqa: PLC0415 - loaded with the app
    from interfaces.web.parts import in_place  # noqa: PLC0415 - loaded with the app

    area = in_place(every.of(account.ACCOUNT_SECTIONS))
    header, profile = every.of(account.HEADER_PARTS), every.of(account.PROFILE_PARTS)
    account.install_area(area, header=header, profile=profile)
    admin.install_admin(
        page_parts=every.of(admin.ADMIN_PARTS),
        user_parts=every.of(admin.ADMIN_USER_PARTS),
        actions=every.of(admin.ADMIN_ACTIONS),
    )


def lends_late(own: AccountsAdapters, kernel: Kernel) -> Lent:
    """The accounts' rules, made once every unit lent (``ACCOUNT_RULES``, offered sign-in's
    late step): the profile schemas (no attribute released as a reserved claim, sign-in's,
    under the scopes the provider offers: ``RELEASE_SCOPES``); the challenge a sign-in, a
    sign-up or an e-mail code passes when a signal fires (docs/security.md); the rule an
    address follows (the orgs' verified domains); the door every new account passes, whoever
    makes it (who may sign up, its refusals in the audit log; the challenge; then the
    operator's before_sign_up hook, the hooks'). And the maker of the rules every
    capability's use cases share (``SHARED``), called once every late step is made."""
    settings, base = kernel.settings, kernel.platform
    units, reserved = kernel.offered(EVERY_UNIT), kernel.last_filled(RESERVED_CLAIMS)
    schemas = bind_profile_schemas(own, settings, units=units, claims=reserved)
    gate = bind_challenge_gate(own, settings, platform=base)
    rules = AccountRules(
        schemas=schemas,
        challenge_gate=gate,
        addresses=address_rule(settings, domains=lent_domains((kernel,))),
        signups=signups(
            settings,
            audit=base.audit,
            invitations=lent_invitations((kernel,)),
            hook=kernel.last_filled(SIGN_UP_HOOKS)(schemas),
            gate=gate,
        ),
    )
    return Lent(
        fills=(MADE_LAST(lambda made: SHARED(shared(own, made))),),
        offers=(ACCOUNT_RULES(rules),),
    )


def shared(own: AccountsAdapters, kernel: Kernel) -> Shared:
    """The rules every capability's use cases share, once every unit made its late part: the
    accounts' (``ACCOUNT_RULES``), sign-in's (``SIGNIN_SHARES``, its secret box), what every
    capability keeps per user (the units', sign-in's and the provider's, the orgs'
    memberships last: ``OWNED_DATA``) and what ends first (the orgs' ``DEPARTURES``)."""
    rules, signin = kernel.offered(ACCOUNT_RULES), kernel.last_filled(SIGNIN_SHARES)
    base = kernel.platform
    return Shared(
        platform=base,
        queue=kernel.queue,
        schemas=rules.schemas,
        challenge_gate=rules.challenge_gate,
        passwords=password_screen(own, kernel.settings, platform=base),
        addresses=rules.addresses,
        hold=signin.hold,
        signups=rules.signups,
        owned=lent_owned((kernel,)),
        movable=lent_movable((kernel,)),
        box=kernel.last_filled(SECRET_BOXES),
        departures=kernel.filled(DEPARTURES),
        hooks=lent_change_hooks((kernel,)),
        check_password=signin.check_password,
        guest_ttl=signin.guest_ttl,
        # A guest's upgrade is a sign-in too: the before_sign_in hooks have their say on it,
        # before its commit (docs/guests.md, "Upgrading in place").
        sign_in_check=signin.sign_in_check,
    )


# The core unit: its blueprints and pages (its adapters, use cases: ``build``, ``wire`` above).
def built(own: AccountsAdapters, kernel: Kernel) -> Built:
    """The accounts' use cases (``wire``) on the rules the kernel offers (``SHARED``),
    offered the units built after them (``SIGNUPS``: sign-in's and the units' ways in by a
    code sign up and upgrade through them)."""
    services = wire(own, kernel.settings, kernel.offered(SHARED))
    return Built(services=(services,), offers=(SIGNUPS(services),))


# Its routes that make or change what outlasts a session (the account's deletion), by kind, in
# its own slot (``OUTLASTING_ROUTES``): a session of support access is refused them. The e-mail
# address is the profile's field: its change is refused by the use case, which the same routes
# make beside changes of the names (docs/support-access.md).
_OUTLASTING = OUTLASTING_ROUTES(
    (
        Outlasting.DELETION,
        (
            ("DELETE", "/user"),
            ("POST", "/account/delete"),
        ),
    ),
)


UNIT = Unit[AccountsAdapters](
    name="accounts",
    makes=build,
    build=built,
    lends_late=lends_late,
    runs=runs,
    limits=limits,
    optional=False,
    settings=(AccountSettings,),
    api=api,
    pages=pages,
    cli_groups=(CommandGroup("users", "Manage user accounts (no default admin exists)."),),
    cli=(Commands("users", _accounts_commands),),
    fills=(
        # The phone number and what makes an account a guest: the phone and guests units'
        # parts, which their records take over once they are units
        # (docs/decisions/0735-user-parts.md).
        USER_PARTS(PhoneNumber, Guest),
        PAGES_CONFIGURED(challenge_pages),  # the challenge's widget on the pages
        PROBLEM_PARTS(*problems.PROBLEM_PARTS),  # a signup's reason, a merge token
        _OUTLASTING,
    ),
)
