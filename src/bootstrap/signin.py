"""Sign-in: its service objects, built over its adapters (``SigninAdapters``, made in
bootstrap/signin_adapters.py) and its policies (``SigninPolicies``, made from its settings in
bootstrap/signin_policies.py): logins, sessions, passkeys, TOTP, personal tokens, sign-in by
e-mail code (whose mail job is mail's, bootstrap/mail.py), and the sign-in step the features
that sign people in share; and its unit's record: its blueprints, pages and commands.

Each ``bind_*`` builds one object with its ports; what it needs of another capability is
named in its signature (docs/decisions/0042-wiring-per-feature.md). The hook kinds sign-in
asks are its own (domain/signin/hook_kinds.py): its unit lends them, and its builders ask
the hooks (``HookCalls``) for each one's caller."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING

from application.accounts.accounts import OWNED_DATA
from application.accounts.address_proof import FirstProof
from application.accounts.breached import PasswordScreen
from application.accounts.challenge_gate import ChallengeGate
from application.accounts.guest.upgrades import Upgraded, UpgradeGuest
from application.accounts.services import AccountServices
from application.accounts.signups import RegisterProven
from application.hooks.caller import HOOK_CALLERS, HookCalls
from application.ports import JobQueue, OwnedData
from application.signin.authentication import Authentication, SessionGuard
from application.signin.codes.email import EMAIL_WAY, EmailCodes
from application.signin.codes.flow import CodeFlowStore, CodeSteps, Way
from application.signin.codes.links import mailed_links
from application.signin.codes.ways import CODE_WAYS, CodeWays, app_link_page
from application.signin.factors.passkeys import Passkeys
from application.signin.factors.totp import TotpFactors
from application.signin.login import Logins
from application.signin.personal_tokens import PersonalTokens
from application.signin.ports import TokenIssuer
from application.signin.services import SigninServices
from application.signin.sessions import SIGNIN_STORES, Sessions, SigninStores
from application.signin.sign_in import SignIn
from bootstrap import signin_adapters
from bootstrap.accounts import (
    RESERVED_CLAIMS,
    SECRET_BOXES,
    SHARED,
    SIGNUPS,
    AccountsAdapters,
    Shared,
)
from bootstrap.accounts_rules import ACCOUNT_RULES, SIGNIN_SHARES, SigninShares
from bootstrap.drivers import PAGES_CONFIGURED
from bootstrap.platform import Platform
from bootstrap.signin_adapters import SigninAdapters
from bootstrap.signin_driving import OUTLASTING, pages, signin_pages
from bootstrap.signin_policies import (
    SIGNIN_POLICIES,
    SIGNIN_RULES,
    SigninPolicies,
    lent_gate,
    lent_hold,
    lent_legacy,
    lent_passkey_origins,
    password_check,
    policies,
    sign_in_hook,
    token_hook,
    upgrade_sign_ins,
)
from bootstrap.unit import EVERY_UNIT, Built, Kernel, Lent, Unit
from domain.accounts.users import User
from domain.hooks.kinds import HOOK_KINDS
from domain.signin.claims.acr import ACR
from domain.signin.claims.guest import GUEST
from domain.signin.claims.sources import CLAIM_SOURCES
from domain.signin.hook_kinds import BEFORE_SIGN_IN, BEFORE_TOKEN, PASSWORD_VERIFICATION
from domain.slots import Filling, Slot
from infrastructure.settings import Settings
from infrastructure.settings.identity.accounts import AccountSettings
from infrastructure.settings.identity.signin import SignInSettings
from interfaces.cli import Commands
from interfaces.http.routes.signin import limited, problems
from interfaces.http.routes.signin.limited import authenticate, renew
from interfaces.shared.acting import AUTHENTICATE, RENEW_SESSION, REQUEST_ACTING
from interfaces.shared.problems import PROBLEM_PARTS
from interfaces.shared.shell import API_LIMITED_BY, API_PUBLIC_KEYS

if TYPE_CHECKING:
    import click
    from flask import Blueprint


def first_proof(
    accounts: AccountsAdapters, own: SigninAdapters, platform: Platform, *, grants: OwnedData
) -> FirstProof:
    """What the first proof of an address takes from an account's earlier holder, for every
    way a proof comes (``grants``: the provider's)."""
    return FirstProof(
        passkeys=own.passkeys,
        factors=own.factors,
        identities=accounts.identities,
        grants=grants,
        audit=platform.audit,
    )


def sign_in_step(
    own: SigninAdapters,
    rules: SigninPolicies,
    *,
    accounts: AccountsAdapters,
    platform: Platform,
    hooks: HookCalls,
) -> SignIn:
    """The sign-in step, for the bindings of the features that sign people in."""
    return SignIn(
        sessions=own.sessions,
        tokens=own.tokens,
        clock=platform.clock,
        policy=rules.token_policy,
        audit=platform.audit,
        users=accounts.users,
        gate=rules.gate,
        hook=token_hook(hooks),
        sign_in_hook=sign_in_hook(hooks),
        factors=own.factors,
        passkeys=own.passkeys,
    )


def bind_sessions(
    own: SigninAdapters,
    rules: SigninPolicies,
    *,
    accounts: AccountsAdapters,
    platform: Platform,
    hooks: HookCalls,
) -> Sessions:
    return Sessions(
        users=accounts.users,
        sessions=own.sessions,
        tokens=own.tokens,
        clock=platform.clock,
        policy=rules.token_policy,
        audit=platform.audit,
        orgs=own.active_orgs,
        hook=token_hook(hooks),
        guest_ttl=rules.guest_ttl,
    )


def bind_login(
    own: SigninAdapters,
    rules: SigninPolicies,
    *,
    accounts: AccountsAdapters,
    platform: Platform,
    hooks: HookCalls,
    challenge_gate: ChallengeGate,
    passwords: PasswordScreen,
) -> Logins:
    """``challenge_gate``: the gate a login passes when a signal fires (docs/security.md);
    ``passwords``: the check of a password against breached ones (a new one; a sign-in's)."""
    return Logins(
        users=accounts.users,
        sign_in=sign_in_step(own, rules, accounts=accounts, platform=platform, hooks=hooks),
        hasher=accounts.hasher,
        clock=platform.clock,
        lookup=own.login_lookup,
        throttle=own.throttle,
        throttle_policy=rules.throttle_policy,
        devices=rules.device_policy,
        audit=platform.audit,
        factors=own.factors,
        otp=own.otp,
        box=own.secret_box,
        passwords=passwords,
        counter=platform.request_counter,
        password_changes=rules.password_changes,
        require_verified_email=rules.require_verified_email,
        hold=rules.hold,
        challenge_gate=challenge_gate,
        legacy=rules.legacy,
    )


def bind_passkeys(
    own: SigninAdapters,
    rules: SigninPolicies,
    *,
    accounts: AccountsAdapters,
    platform: Platform,
    hooks: HookCalls,
    upgrade: Callable[[UpgradeGuest], Upgraded],
) -> Passkeys:
    return Passkeys(
        users=accounts.users,
        passkeys=own.passkeys,
        challenges=own.challenges,
        ceremonies=own.ceremonies,
        identities=accounts.identities,
        sign_in_step=sign_in_step(own, rules, accounts=accounts, platform=platform, hooks=hooks),
        devices=rules.device_policy,
        clock=platform.clock,
        audit=platform.audit,
        upgrade=upgrade,
        origins=rules.passkey_origins,
        upgrade_window=rules.passkey_upgrade_window,
        metrics=platform.metrics,
    )


def bind_totp(
    own: SigninAdapters,
    rules: SigninPolicies,
    *,
    accounts: AccountsAdapters,
    platform: Platform,
    hooks: HookCalls,
) -> TotpFactors:
    return TotpFactors(
        users=accounts.users,
        hasher=accounts.hasher,
        clock=platform.clock,
        throttle=own.throttle,
        throttle_policy=rules.throttle_policy,
        audit=platform.audit,
        factors=own.factors,
        otp=own.otp,
        box=own.secret_box,
        passkeys=own.passkeys,
        issuer=rules.mfa_issuer,
        legacy=rules.legacy,
    )


def bind_personal_tokens(
    own: SigninAdapters, *, accounts: AccountsAdapters, platform: Platform
) -> PersonalTokens:
    """``accounts``: the memberships an org-scoped token is made in."""
    return PersonalTokens(
        tokens=own.personal_tokens,
        orgs=own.active_orgs,
        clock=platform.clock,
        audit=platform.audit,
    )


def bind_authentication(
    own: SigninAdapters,
    *,
    platform: Platform,
    tokens: TokenIssuer,
    reauth_max_age: timedelta,
    guards: Sequence[SessionGuard] = (),
) -> Authentication:
    """``tokens``: sign-in's access tokens, which every request presents; ``guards``: the
    session guards the units lend."""
    return Authentication(
        tokens=tokens,
        principals=own.principals,
        clock=platform.clock,
        reauth_max_age=reauth_max_age,
        note=REQUEST_ACTING,  # the events of a session someone else acts in name them
        guards=guards,
    )


def code_steps(
    own: SigninAdapters,
    rules: SigninPolicies,
    *,
    accounts: AccountsAdapters,
    platform: Platform,
    hooks: HookCalls,
    queue: JobQueue,
    sign_up: Callable[[RegisterProven], User],
    upgrade: Callable[[UpgradeGuest], Upgraded],
    challenge_gate: ChallengeGate,
) -> Callable[[Way, CodeFlowStore], CodeSteps]:
    """The steps every channel's code takes, for the channel a ``Way`` names over its flows:
    ``queue`` takes its sending jobs, ``sign_up`` is the accounts' sign-up by a proven
    identifier (``Accounts.register_proven``), ``upgrade`` a guest's upgrade in place by it
    (``GuestUpgrades.upgrade_guest``), ``challenge_gate`` what a request passes when
    its identifier asks for too many."""
    sign_in = sign_in_step(own, rules, accounts=accounts, platform=platform, hooks=hooks)
    return lambda way, flows: CodeSteps(
        way=way,
        flows=flows,
        users=accounts.users,
        sign_up=sign_up,
        upgrade=upgrade,
        sign_in=sign_in,
        throttle=own.throttle,
        throttle_policy=rules.throttle_policy,
        factors=own.factors,
        queue=queue,
        clock=platform.clock,
        audit=platform.audit,
        challenge_gate=challenge_gate,
    )


def bind_email_codes(
    steps: CodeSteps,
    own: SigninAdapters,
    rules: SigninPolicies,
    settings: Settings,
    *,
    accounts: AccountsAdapters,
    platform: Platform,
    grants: OwnedData,
    proven: Callable[[User], None],
) -> EmailCodes:
    """``grants``: the provider's, ended with a takeover's proof; ``proven``: what follows
    an address a code proves (an org's auto_join). The mail is mail's job;
    PASSWORDLESS_EMAIL is in sign-in's settings group."""
    return EmailCodes(
        steps=steps,
        addresses=rules.addresses,
        first_proof=first_proof(accounts, own, platform, grants=grants),
        proven=proven,
        enabled=settings.group(SignInSettings).passwordless_email,
    )


def code_ways(
    own: SigninAdapters,
    rules: SigninPolicies,
    shared: Shared,
    *,
    accounts: AccountsAdapters,
    hooks: HookCalls,
    signups: AccountServices,
) -> Callable[[Way, CodeFlowStore], CodeSteps]:
    """The one code flow's steps for a channel's ``Way`` over its flows: the e-mail's here,
    and a unit's way in by a code (``CODE_WAYS``, application/signin/codes/ways.py)."""
    return code_steps(
        own,
        rules,
        accounts=accounts,
        platform=shared.platform,
        hooks=hooks,
        queue=shared.queue,
        sign_up=signups.accounts.register_proven,
        upgrade=signups.guest_upgrades.upgrade_guest,
        challenge_gate=shared.challenge_gate,
    )


def wire(
    own: SigninAdapters,
    settings: Settings,
    rules: SigninPolicies,
    shared: Shared,
    *,
    accounts: AccountsAdapters,
    hooks: HookCalls,
    grants: OwnedData,
    signups: AccountServices,
) -> SigninServices:
    """Sign-in's use cases. ``hooks``: what its kinds' callers are asked of; ``grants``: the
    provider's, ended with a takeover's proof;
    ``signups``: the accounts' sign-ups by a proven address (``Accounts.register_proven``),
    and a guest's upgrade in place (``GuestUpgrades.upgrade_guest``)."""
    platform, upgrades = shared.platform, signups.guest_upgrades
    steps = code_ways(own, rules, shared, accounts=accounts, hooks=hooks, signups=signups)
    return SigninServices(
        authentication=bind_authentication(
            own,
            platform=platform,
            tokens=own.tokens,
            reauth_max_age=timedelta(seconds=settings.group(SignInSettings).reauth_max_age),
            guards=rules.session_guards,
        ),
        email_codes=bind_email_codes(
            steps(EMAIL_WAY, own.email_codes),
            own,
            rules,
            settings,
            accounts=accounts,
            platform=platform,
            grants=grants,
            proven=shared.hooks.proven,
        ),
        login=bind_login(
            own,
            rules,
            accounts=accounts,
            platform=platform,
            hooks=hooks,
            challenge_gate=shared.challenge_gate,
            passwords=shared.passwords,
        ),
        passkeys=bind_passkeys(
            own,
            rules,
            accounts=accounts,
            platform=platform,
            hooks=hooks,
            upgrade=upgrades.upgrade_guest,
        ),
        personal_tokens=bind_personal_tokens(own, accounts=accounts, platform=platform),
        sessions=bind_sessions(own, rules, accounts=accounts, platform=platform, hooks=hooks),
        totp=bind_totp(own, rules, accounts=accounts, platform=platform, hooks=hooks),
        sign_in=sign_in_step(own, rules, accounts=accounts, platform=platform, hooks=hooks),
    )


def api() -> Sequence[Blueprint]:
    """The signin unit's blueprints of the JSON API, in the order they are registered."""
    from interfaces.http.routes.signin import (  # noqa: PLC0415 - loaded with the app
        email_code,
        guest,
        login,
        mfa,
        passkeys,
        personal_tokens,
        sessions,
    )

    return (
        login.bp,
        email_code.bp,
        guest.bp,
        sessions.bp,
        personal_tokens.bp,
        passkeys.bp,
        passkeys.well_known_bp,
        mfa.bp,
    )


def compat_api() -> Sequence[Blueprint]:
    """The replaced systems' sign-in routes (docs/migrating.md)."""
    from interfaces.http.routes.signin import login_api  # noqa: PLC0415 - loaded with the app

    return (login_api.bp,)


def _signin_commands() -> Sequence[click.Command]:
    from interfaces.cli import signin  # noqa: PLC0415 - when the command line asks

    return signin.COMMANDS


def limits(settings: Settings) -> dict[tuple[str, str], str]:
    """The per-address request limits of its JSON API routes (docs/security.md)."""
    register, login = (
        settings.group(AccountSettings).rate_limit_register,
        settings.group(SignInSettings).rate_limit_login,
    )
    passkeys = settings.group(SignInSettings).rate_limit_passkeys
    return {
        ("POST", "/auth/guest/upgrade"): register,  # a guest's upgrade in place is a sign-up
        ("POST", "/login"): login,
        ("POST", "/login/mfa"): login,  # a budget of its own, as large
        ("POST", "/auth/refresh"): settings.group(SignInSettings).rate_limit_refresh,
        # a code by mail: a budget of its own per client; its check as a login
        ("POST", "/auth/email-code"): settings.group(SignInSettings).rate_limit_email_code,
        ("POST", "/auth/email-code/verify"): login,
        ("POST", "/auth/passkeys/authentication/options"): passkeys,
        ("POST", "/auth/passkeys/authentication"): passkeys,
    }


# The core unit: its blueprints and pages (adapters: signin_adapters.build; use cases: wire).
# The provider's grants, which a takeover's proof ends: offered by the provider's ``lends``,
# read as sign-in's own port (and deleted with an account: sign-in's ``lends_late``).
ENDED_GRANTS = Slot[OwnedData]("the grants a takeover's proof ends")


def lends_early(own: SigninAdapters, kernel: Kernel) -> Lent:
    """What the settings and every unit's slots decide for signing in (``SIGNIN_POLICIES``),
    and what the accounts and the hooks below take of them: the claims no profile attribute
    nor hook answer may set (``RESERVED_CLAIMS``) and sign-in's secret box (``SECRET_BOXES``)."""
    units = kernel.offered(EVERY_UNIT)
    made = policies(kernel.settings, units=units)
    return Lent(
        fills=(RESERVED_CLAIMS(made.token_policy.claims.reserved), SECRET_BOXES(own.secret_box)),
        offers=(SIGNIN_POLICIES(made),),
    )


def lends(own: SigninAdapters, kernel: Kernel) -> Lent:
    """What signin offers the units that lend after it, and every unit then: a way in by a
    code's accounts, ways in, passkeys and an app's link's page (``CODE_WAYS``, ``offers``)."""
    units = kernel.offered(EVERY_UNIT)
    return Lent(offers=(offers(kernel.adapters_of(AccountsAdapters), own, app_link_page(units)),))


def lends_late(own: SigninAdapters, kernel: Kernel) -> Lent:
    """Sign-in's rules, made once every unit lent (``SIGNIN_RULES``): what the settings and
    the units' slots decide (``SIGNIN_POLICIES``) with the gate single sign-on lends (an org's
    members held to its single sign-on where it requires it, docs/reference/sso.md), the
    hold, the legacy passwords' check (the migration's), and the accounts' address rule and
    door (``ACCOUNT_RULES``). And what it lends the accounts: their shared rules' parts
    (``SIGNIN_SHARES``) and what it keeps per user, deleted with an account after the units'
    data, the provider's grants among it (``OWNED_DATA``)."""
    accounts, base = kernel.adapters_of(AccountsAdapters), kernel.platform
    made = kernel.offered(ACCOUNT_RULES)
    rules = replace(
        kernel.offered(SIGNIN_POLICIES),
        gate=lent_gate((kernel,)),
        hold=lent_hold((kernel,)),
        addresses=made.addresses,
        legacy=lent_legacy((kernel,)),
        signups=made.signups,
        passkey_origins=lent_passkey_origins(
            kernel.offered(SIGNIN_POLICIES).passkey_origins, (kernel,)
        ),
    )
    hooks = kernel.offered(HOOK_CALLERS)
    shares = SigninShares(
        hold=rules.hold,
        check_password=password_check(
            own.throttle, rules, accounts=accounts, platform=base, hooks=hooks
        ),
        guest_ttl=rules.guest_ttl,
        sign_in_check=upgrade_sign_ins(hooks, platform=base),
    )
    kept = (own.passkeys, own.factors, kernel.offered(ENDED_GRANTS), own.personal_tokens)
    return Lent(
        fills=(SIGNIN_SHARES(shares), OWNED_DATA(*kept)),
        offers=(SIGNIN_RULES(rules),),
    )


def built(own: SigninAdapters, kernel: Kernel) -> Built:
    """Sign-in's use cases (``wire``) on what the kernel offers and the accounts' use cases
    (``SIGNUPS``); offered the units built after it: the code flow's steps (``CODE_WAYS``), its
    stores (``SIGNIN_STORES``), the links an app redeems (``APP_LINKS``: a unit adds its own)."""
    rules, shared = kernel.offered(SIGNIN_RULES), kernel.offered(SHARED)
    signups = kernel.offered(SIGNUPS)
    accounts, hooks = kernel.adapters_of(AccountsAdapters), kernel.offered(HOOK_CALLERS)
    services = wire(
        own,
        kernel.settings,
        rules,
        shared,
        accounts=accounts,
        hooks=hooks,
        grants=kernel.offered(ENDED_GRANTS),
        signups=signups,
    )
    steps = code_ways(own, rules, shared, accounts=accounts, hooks=hooks, signups=signups)
    ways = CODE_WAYS(replace(kernel.offered(CODE_WAYS), steps=steps))
    links = mailed_links(services.email_codes)
    return Built(services=(services,), offers=(ways, stores(accounts, own, rules), links))


UNIT = Unit[SigninAdapters](
    name="signin",
    makes=signin_adapters.build,
    lends_early=lends_early,
    lends=lends,
    lends_late=lends_late,
    build=built,
    limits=limits,
    optional=False,
    settings=(SignInSettings,),
    api=api,
    pages=pages,
    compat_api=compat_api,
    cli=(Commands("users", _signin_commands),),
    # Its claim (acr), and those of the features it holds until each is a unit of its own
    # (a unit's line here moves to its own record, no minting touched).
    fills=(
        HOOK_KINDS(BEFORE_TOKEN, BEFORE_SIGN_IN, PASSWORD_VERIFICATION),
        CLAIM_SOURCES(ACR, GUEST),
        API_LIMITED_BY(*limited.LIMITED_BY),
        API_PUBLIC_KEYS(limited.public_keys),
        PROBLEM_PARTS(*problems.PROBLEM_PARTS),  # the step-up challenge
        AUTHENTICATE(authenticate),  # a request's credentials become its Actor
        RENEW_SESSION(renew),  # the pages' session, its access token expired
        PAGES_CONFIGURED(signin_pages),  # the pages' CSRF key, the passkeys' origins
        OUTLASTING,  # its routes a session of support access is refused
    ),
)


def offers(accounts: AccountsAdapters, own: SigninAdapters, app: str | None) -> Filling[CodeWays]:
    """What signin offers the units as they lend: a way in by a code's accounts, ways in and
    passkeys (``CODE_WAYS``; its steps once signin is built, ``built``), an app's link's page."""
    users, ids = accounts.users, accounts.identities
    return CODE_WAYS(CodeWays(users=users, identities=ids, passkeys=own.passkeys, app_link=app))


def stores(
    accounts: AccountsAdapters, own: SigninAdapters, rules: SigninPolicies
) -> Filling[SigninStores]:
    """What signin offers the units as they are built: the accounts, its sessions, access
    tokens and token policy (``SIGNIN_STORES``)."""
    return SIGNIN_STORES(
        SigninStores(
            users=accounts.users,
            sessions=own.sessions,
            tokens=own.tokens,
            token_policy=rules.token_policy,
        )
    )
