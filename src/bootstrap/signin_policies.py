"""What the settings decide for signing in, made once (``SigninPolicies``, by ``policies``):
the tokens' lifetimes, the login throttle, the device tokens, the limits of a password's
changes, the rule a new address follows; and the slots the capabilities above fill as
they are made (the sign-in gate, the door every new account passes). The use cases
bootstrap/signin.py binds read them. And the hooks sign-in asks, of its own kinds
(domain/signin/hook_kinds.py), each from the caller the hooks unit gives it for its kind
(``HookCalls.caller_for``), with what sign-in lends the accounts of them: a password asked
again, and a guest's upgrade checked as a sign-in."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from application.accounts.accounts import NO_HOLD, AccountHold, PasswordCheck
from application.accounts.addresses import AddressRule
from application.accounts.signups import ANYONE, Signups
from application.hooks.caller import HookCalls
from application.hooks.hooked import SignInCheckHook, TokenClaimsHook
from application.signin.authentication import SESSION_GUARDS, SessionGuard
from application.signin.factors.passkeys import (
    APP_PASSKEY_ORIGINS,
    PASSKEY_ORIGINS,
    PasskeyOrigins,
)
from application.signin.login import check_current_password
from application.signin.ports import NO_LEGACY_PASSWORDS, LegacyPasswords
from application.signin.sign_in import SignInGate, UpgradeSignIns, any_way_in
from application.signin.throttle import LoginThrottle
from application.signin.tokens import TokenPolicy
from bootstrap.accounts import AccountsAdapters
from bootstrap.accounts_rules import address_rule
from bootstrap.keys import derived_key
from bootstrap.platform import Platform
from domain.accounts.outlasting import OUTLASTING_ROUTES, outlasting_routes
from domain.accounts.users import User
from domain.request_limits import Limit
from domain.signin.claims.sources import CLAIM_SOURCES, ClaimSources
from domain.signin.devices import DevicePolicy
from domain.signin.hook_kinds import BEFORE_SIGN_IN, BEFORE_TOKEN
from domain.signin.passkeys import DEFAULT_UPGRADE_WINDOW
from domain.signin.throttling import LoginThrottlePolicy, ThrottleRule
from domain.slots import Fills, Slot, filled
from infrastructure.settings import Settings
from infrastructure.settings.identity.accounts import AccountSettings
from infrastructure.settings.identity.signin import SignInSettings
from interfaces.shared.limits import request_client, request_origin

NO_PASSKEY_ORIGINS = PasskeyOrigins(())


@dataclass(frozen=True)
class SigninPolicies:
    """What the settings decide for signing in, made once."""

    token_policy: TokenPolicy
    throttle_policy: LoginThrottlePolicy
    device_policy: DevicePolicy
    password_changes: Limit  # changes of password per account (count, seconds)
    require_verified_email: bool
    mfa_issuer: str
    guest_ttl: timedelta  # a guest unused this long is deleted; a refresh moves it on
    # The rule an address given now follows: the orgs' verified domains are set with the gate
    addresses: AddressRule
    # Who may not sign in a given way: set once the orgs' single sign-on is known (bind)
    gate: SignInGate = any_way_in
    # What an org that holds an account refuses the person (a new address, a first
    # password): set with the gate
    hold: AccountHold = NO_HOLD
    # Who may make their own account: set once the audit log and the orgs' invitations are
    # known (bind)
    signups: Signups = ANYONE
    # A legacy account's password, checked by the password_verification hooks, and what ends
    # its legacy: the migration's (bootstrap/migration.py), set with the gate (none by
    # default: no account is legacy)
    legacy: LegacyPasswords = NO_LEGACY_PASSWORDS
    # The session guards the units lend (``SESSION_GUARDS``, made of the routes the units
    # say outlast a session), asked where the actor of each request is built
    session_guards: Sequence[SessionGuard] = ()
    # The origins whose passkey answers count (the configured ones, then those the units'
    # sources in ``PASSKEY_ORIGINS`` answer): the units' records' sources, then, once every
    # unit lent, those they lend (``lent_passkey_origins``)
    passkey_origins: PasskeyOrigins = NO_PASSKEY_ORIGINS
    # How long after a sign-in by password or code a browser may make a passkey by itself
    # (PASSKEY_UPGRADE_WINDOW)
    passkey_upgrade_window: timedelta = DEFAULT_UPGRADE_WINDOW


# The check of a legacy account's password: sign-in's slot, filled by the migration's
# ``lends`` (the last one lent is asked).
LEGACY_PASSWORDS = Slot[LegacyPasswords]("the legacy passwords' check")
# The rules of signing in, made by sign-in's late step (``lends_late``, bootstrap/signin.py),
# offered the core's units as they run and are built.
SIGNIN_RULES = Slot[SigninPolicies]("the rules of signing in")
# What the settings and every unit's slots decide for signing in, offered by sign-in's early
# lend (``policies``), before its late step completes them into its rules.
SIGNIN_POLICIES = Slot[SigninPolicies]("what decides signing in")
# The gate every way of signing in passes, and what an org that holds an account refuses
# the person: sign-in's and the accounts' slots, filled by single sign-on's ``lends``.
SIGN_IN_GATES = Slot[SignInGate]("the sign-in gate")
ACCOUNT_HOLDS = Slot[AccountHold]("the account holds")


def lent_gate(lent: Iterable[Fills]) -> SignInGate:
    """The sign-in gates the units lend, each asked in their order (the first that refuses
    refuses), else any way in is open."""
    gates = filled(lent, SIGN_IN_GATES)
    if len(gates) <= 1:
        return gates[0] if gates else any_way_in

    def every_gate(user: User, *, amr: tuple[str, ...], via: str | None) -> None:
        for gate in gates:
            gate(user, amr=amr, via=via)

    return every_gate


def lent_hold(lent: Iterable[Fills]) -> AccountHold:
    """What an org that holds an account refuses, as a unit lends it (the last), else
    nothing."""
    holds = filled(lent, ACCOUNT_HOLDS)
    return holds[-1] if holds else NO_HOLD


def lent_legacy(lent: Iterable[Fills]) -> LegacyPasswords:
    """The legacy passwords' check a unit lends (the last), else none (no account is
    legacy)."""
    checks = filled(lent, LEGACY_PASSWORDS)
    return checks[-1] if checks else NO_LEGACY_PASSWORDS


def passkey_origins(settings: Settings, *, units: Iterable[Fills]) -> PasskeyOrigins:
    """The origins whose passkey answers count, as /.well-known/webauthn lists them: the
    public origin, WEBAUTHN_ORIGINS, WEBAUTHN_RELATED_ORIGINS, then the units' sources
    (``PASSKEY_ORIGINS``) of ``units``."""
    signin, public = settings.group(SignInSettings), urlsplit(settings.service.public_url)
    return PasskeyOrigins(
        configured=tuple(
            dict.fromkeys(
                (
                    f"{public.scheme}://{public.netloc}",
                    *signin.webauthn_origins,
                    *signin.webauthn_related_origins,
                )
            )
        ),
        sources=filled(units, PASSKEY_ORIGINS),
        apps=filled(units, APP_PASSKEY_ORIGINS),
    )


def lent_passkey_origins(made: PasskeyOrigins, lent: Iterable[Fills]) -> PasskeyOrigins:
    """``made`` with the origin sources the units lend (``PASSKEY_ORIGINS``, and the native
    apps' ``APP_PASSKEY_ORIGINS``) after their records' own."""
    return PasskeyOrigins(
        made.configured,
        (*made.sources, *filled(lent, PASSKEY_ORIGINS)),
        (*made.apps, *filled(lent, APP_PASSKEY_ORIGINS)),
    )


def claim_sources(units: Iterable[Fills]) -> ClaimSources:
    """The claim sources the units put in signin's slot, in their order: what every minting
    iterates (docs/contributing.md, "Units")."""
    return ClaimSources.of(filled(units, CLAIM_SOURCES))


def session_guards(units: Iterable[Fills]) -> tuple[SessionGuard, ...]:
    """The session guards the units lend (``SESSION_GUARDS``), each made of every route the
    units say outlasts a session (``OUTLASTING_ROUTES``), collected once."""
    units = tuple(units)
    routes = outlasting_routes(filled(units, OUTLASTING_ROUTES))
    return tuple(make(routes) for make in filled(units, SESSION_GUARDS))


def policies(settings: Settings, *, units: Iterable[Fills]) -> SigninPolicies:
    """``units``: every unit the service runs, whose claim sources (``CLAIM_SOURCES``) every
    token's policy mints and whose session guards (``SESSION_GUARDS``) every request's actor
    is held to."""
    signin = settings.group(SignInSettings)
    units = tuple(units)

    def rule(max_failures: int) -> ThrottleRule:
        return ThrottleRule(
            max_failures=max_failures,
            window=timedelta(seconds=signin.login_failure_window),
            backoff=timedelta(seconds=signin.login_backoff),
            max_backoff=timedelta(seconds=signin.login_backoff_max),
        )

    return SigninPolicies(
        token_policy=TokenPolicy(
            access_ttl=timedelta(seconds=signin.access_token_ttl),
            refresh_ttl=timedelta(seconds=signin.refresh_token_ttl),
            session_lifetime=timedelta(seconds=signin.session_lifetime),
            refresh_grace=timedelta(seconds=signin.refresh_grace_seconds),
            reauth_max_age=timedelta(seconds=signin.reauth_max_age),
            successor_key=derived_key(signin, b"refresh-token successor"),
            generation_key=derived_key(signin, b"refresh-token generation"),
            claims=claim_sources(units),
        ),
        throttle_policy=LoginThrottlePolicy(
            per_account_ip=rule(signin.login_failures_per_account_ip),
            per_account=rule(signin.login_failures_per_account),
            per_ip=rule(signin.login_failures_per_ip),
        ),
        device_policy=DevicePolicy(key=derived_key(signin, b"device token")),
        password_changes=Limit(signin.password_change_limit, signin.password_change_window),
        require_verified_email=settings.group(AccountSettings).require_verified_email,
        mfa_issuer=signin.mfa_issuer,
        guest_ttl=timedelta(seconds=settings.group(AccountSettings).guest_ttl),
        addresses=address_rule(settings),
        session_guards=session_guards(units),
        passkey_origins=passkey_origins(settings, units=units),
        # Never longer than a new way in may be added after a sign-in
        passkey_upgrade_window=timedelta(
            seconds=min(signin.passkey_upgrade_window, signin.reauth_max_age)
        ),
    )


def token_hook(hooks: HookCalls) -> TokenClaimsHook:
    """The before_token hooks, as sign-in, the provider, Firebase and the orgs ask them for
    every token's claims."""
    return TokenClaimsHook(caller=hooks.caller_for(BEFORE_TOKEN))


def sign_in_hook(hooks: HookCalls) -> SignInCheckHook:
    """The before_sign_in hooks, asked at the end of every way in, with the request's
    client address, user agent and the OpenID client its page signs in for."""
    caller = hooks.caller_for(BEFORE_SIGN_IN)
    return SignInCheckHook(caller=caller, origin=request_origin, client_of=request_client)


def password_check(
    throttle: LoginThrottle,
    rules: SigninPolicies,
    *,
    accounts: AccountsAdapters,
    platform: Platform,
    hooks: HookCalls,
) -> PasswordCheck:
    """``check_current_password`` bound to the login ``throttle`` (sign-in's), for the
    features that ask a signed-in user's password again (deleting the account)."""

    def check(user: User, password: str, *, session_id: str, client_ip: str) -> None:
        check_current_password(
            user,
            password,
            session_id=session_id,
            client_ip=client_ip,
            hasher=accounts.hasher,
            clock=platform.clock,
            throttle=throttle,
            throttle_policy=rules.throttle_policy,
            legacy=rules.legacy,
        )

    return check


def upgrade_sign_ins(hooks: HookCalls, *, platform: Platform) -> UpgradeSignIns:
    """The ``before_sign_in`` hooks as a guest's upgrade asks them, before its commit."""
    return UpgradeSignIns(hook=sign_in_hook(hooks), audit=platform.audit)
