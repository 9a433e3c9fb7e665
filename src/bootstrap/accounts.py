"""Accounts: their adapters (the users, the ways in, the password hasher, and the reads of a
session's org the orgs hand in), made from their settings, and the objects of their use cases
built on them (``Accounts``, ``Administration``), each once; what one needs of another
capability is named in its ``bind_…``'s signature."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

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
from application.accounts.breached import BreachedPasswords, BreachPolicy, PasswordScreen
from application.accounts.challenge_gate import (
    ChallengeGate,
    ChallengePolicy,
    ChallengeVerifier,
    SpentChallenges,
)
from application.accounts.guest.expiry import GuestExpiry
from application.accounts.guest.merges import MERGE_GUEST, MOVABLE_DATA, GuestMerges
from application.accounts.guest.upgrades import GuestUpgrades, SignInCheck
from application.accounts.profile_schema import RELEASE_SCOPES, ProfileSchemas, ProfileSchemaStore
from application.accounts.services import AccountServices
from application.accounts.signups import NO_INVITATIONS, InvitedAddresses, SignUpHook, Signups
from application.accounts.ways_in import IdentityRepository
from application.jobs import JOBS, SWEEPS, JobHandler
from application.metrics import ARGON2_QUEUE_WAIT
from application.ports import (
    NO_METRICS,
    AuditLog,
    JobQueue,
    Metrics,
    MovableData,
    OwnedData,
    PasswordHasher,
    SecretBox,
    TokenVersionCopies,
)
from bootstrap.accounts_driving import challenge_pages
from bootstrap.drivers import PAGES_CONFIGURED
from bootstrap.platform import Platform
from bootstrap.unit import Built, Footing, Kernel, Lent, Unit
from bootstrap.units import every_unit
from domain.accounts.guest.part import Guest
from domain.accounts.identities import PhoneNumber
from domain.accounts.parts import USER_PARTS, UserPart
from domain.accounts.signups import SignupMode, SignupPolicy, domains
from domain.accounts.users import User
from domain.request_limits import Limit
from domain.slots import Fills, Slot, filled
from infrastructure.accounts.argon2_hasher import Argon2PasswordHasher
from infrastructure.accounts.challenge_providers import (
    RECAPTCHA_VERIFY_URL,
    TURNSTILE_VERIFY_URL,
    NoChallenge,
    RecaptchaEnterpriseChallenge,
    TurnstileChallenge,
)
from infrastructure.accounts.disposable_domains import disposable_domains
from infrastructure.accounts.email_syntax import EmailValidatorSyntax
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
        ),
        profile_schemas=FirestoreProfileSchemaStore(client),
    )


def challenge(settings: Settings) -> ChallengeVerifier:
    """CHALLENGE_PROVIDER's verifier, which expects tokens issued on PUBLIC_URL's host
    (docs/decisions/0483-challenge-providers-and-their-settings.md)."""
    own = settings.group(AccountSettings)
    secret = own.challenge_secret.get_secret_value() if own.challenge_secret else ""
    hostname = urlsplit(settings.service.public_url).hostname or ""
    if own.challenge_provider == "turnstile":
        url = own.challenge_verify_url or TURNSTILE_VERIFY_URL
        return TurnstileChallenge(secret=secret, hostname=hostname, url=url)
    if own.challenge_provider == "recaptcha_enterprise":
        project = settings.service.google_cloud_project
        url = own.challenge_verify_url or RECAPTCHA_VERIFY_URL.format(project=project)
        return RecaptchaEnterpriseChallenge(
            api_key=secret,
            site_key=own.challenge_site_key,
            hostname=hostname,
            url=url,
            min_score=own.challenge_min_score,
        )
    return NoChallenge()


def challenge_policy(settings: Settings) -> ChallengePolicy:
    own = settings.group(AccountSettings)
    return ChallengePolicy(
        provider=own.challenge_provider,
        site_key=own.challenge_site_key,
        fail_open=own.challenge_fail == "open",
        fail_open_per_hour=own.challenge_fail_open_per_hour,
        failures_per_hour=own.challenge_failures_per_hour,
        signups_per_hour=own.challenge_signups_per_hour,
        email_codes_per_hour=own.challenge_email_codes_per_hour,
    )


def bind_challenge_gate(
    own: AccountsAdapters, settings: Settings, *, platform: Platform
) -> ChallengeGate:
    """The gate of the ways in a signal guards (docs/security.md, "A challenge on signals")."""
    return ChallengeGate(
        challenge=own.challenge,
        spent=own.spent_challenges,
        policy=challenge_policy(settings),
        counter=platform.request_counter,
        clock=platform.clock,
        audit=platform.audit,
        metrics=platform.metrics,
    )


def password_screen(
    own: AccountsAdapters, settings: Settings, *, platform: Platform
) -> PasswordScreen:
    """The check of a new password against breached ones (BREACHED_PASSWORDS), for every use
    case that sets one; the answers it keeps are the adapter's, shared by all."""
    accounts = settings.group(AccountSettings)
    return PasswordScreen(
        breaches=own.breaches,
        policy=BreachPolicy(
            mode=accounts.breached_passwords or "off",
            min_count=accounts.breached_passwords_min_count,
        ),
        metrics=platform.metrics,
        audit=platform.audit,
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


def signups(
    settings: Settings,
    *,
    audit: AuditLog,
    invitations: InvitedAddresses,
    hook: SignUpHook,
    gate: ChallengeGate,
) -> Signups:
    """The door every new account passes, from SIGNUP_*; ``invitations``: the orgs' open
    ones, which let an address sign up where sign-up is by invitation only; ``gate``: the
    challenge a person's sign-up passes when a signal fires; ``hook``: the operator's
    ``before_sign_up`` hook, asked once the rule allows (docs/hooks.md)."""
    own = settings.group(AccountSettings)
    return Signups(
        policy=SignupPolicy(
            mode=SignupMode(own.signup_mode),
            allow=domains(own.signup_domains_allow),
            block=domains(own.signup_domains_block),
            disposable=disposable_domains() if own.signup_block_disposable else frozenset(),
        ),
        audit=audit,
        invitations=invitations,
        hook=hook,
        gate=gate,
        parts=user_parts(settings),
    )


@dataclass(frozen=True, kw_only=True)
class Shared:
    """What every capability's use cases share, made once before any of them is bound
    (``bootstrap/loans.py``): the platform, whose audit log is the events' trail, the job
    queue, and the rules an account follows whichever capability changes it, some of them
    lent by the capabilities above (docs/contributing.md, "Wiring")."""

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
# What every capability keeps per user, which an org's managed accounts delete too, and what
# ends before an account is deleted (the orgs' departures, filled by their ``lends_late``).
OWNED = Slot[Sequence[OwnedData]]("what every capability keeps per user")
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


# The core unit: its blueprints and pages (its adapters, use cases: ``build``, ``wire`` above).
def built(own: AccountsAdapters, kernel: Kernel) -> Built:
    """The accounts' use cases (``wire``) on the rules the kernel offers (``SHARED``),
    offered the units built after them (``SIGNUPS``: sign-in's and the units' ways in by a
    code sign up and upgrade through them)."""
    services = wire(own, kernel.settings, kernel.offered(SHARED))
    return Built(services=(services,), offers=(SIGNUPS(services),))


UNIT = Unit[AccountsAdapters](
    name="accounts",
    makes=build,
    build=built,
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
    ),
)


def user_parts(settings: Settings) -> tuple[type[UserPart], ...]:
    """The user parts of the units this service runs, in the units' order: what the export,
    the import, the admins' view and the door of every new account iterate (a part of a unit
    left out is kept on the documents as it is, read by nobody)."""
    return filled(every_unit(settings), USER_PARTS)
