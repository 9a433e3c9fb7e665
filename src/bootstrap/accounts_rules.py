"""The rules an account follows whichever capability asks, made by the accounts' late step
(``lends_late``, bootstrap/accounts.py) once every unit lent: the challenge a signal asks, the
check of a new password, the rule an address follows, the door every new account passes; and
what the capabilities above lend the accounts for them and for the rules every capability's
use cases share (``Shared``): the hooks' ``before_sign_up`` (``SIGN_UP_HOOKS``) and sign-in's
parts (``SIGNIN_SHARES``), docs/decisions/0850-the-accounts-rules-made-by-their-units.md."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from application.accounts.accounts import AccountHold, PasswordCheck, ProfileSchemaSource
from application.accounts.addresses import AddressRule, DomainHolders
from application.accounts.breached import BreachPolicy, PasswordScreen
from application.accounts.challenge_gate import ChallengeGate, ChallengePolicy, ChallengeVerifier
from application.accounts.guest.upgrades import SignInCheck
from application.accounts.profile_schema import ProfileSchemas
from application.accounts.signups import InvitedAddresses, SignUpHook, Signups
from application.ports import AuditLog
from bootstrap.platform import Platform
from bootstrap.units import every_unit
from domain.accounts.parts import USER_PARTS, UserPart
from domain.accounts.signups import SignupMode, SignupPolicy, domains
from domain.slots import Slot, filled
from infrastructure.accounts.challenge_providers import (
    RECAPTCHA_VERIFY_URL,
    TURNSTILE_VERIFY_URL,
    NoChallenge,
    RecaptchaEnterpriseChallenge,
    TurnstileChallenge,
)
from infrastructure.accounts.disposable_domains import disposable_domains
from infrastructure.accounts.email_syntax import EmailValidatorSyntax
from infrastructure.settings import Settings
from infrastructure.settings.identity.accounts import AccountSettings

if TYPE_CHECKING:
    from bootstrap.accounts import AccountsAdapters


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


def user_parts(settings: Settings) -> tuple[type[UserPart], ...]:
    """The user parts of the units this service runs, in the units' order: what the export,
    the import, the admins' view and the door of every new account iterate (a part of a unit
    left out is kept on the documents as it is, read by nobody)."""
    return filled(every_unit(settings), USER_PARTS)


@dataclass(frozen=True, kw_only=True)
class AccountRules:
    """What the accounts' late step makes (``ACCOUNT_RULES``): the profile schemas, the
    challenge a signal asks, the rule an address follows (the orgs' verified domains) and
    the door every new account passes (the orgs' invitations, the hooks' before_sign_up)."""

    schemas: ProfileSchemas
    challenge_gate: ChallengeGate
    addresses: AddressRule
    signups: Signups


@dataclass(frozen=True, kw_only=True)
class SigninShares:
    """What sign-in's late step lends the accounts' shared rules (``SIGNIN_SHARES``): what an
    org that holds an account refuses of it, the check of a signed-in user's password, how
    long an unused guest lives, and the before_sign_in hooks asked of a guest's upgrade."""

    hold: AccountHold
    check_password: PasswordCheck
    guest_ttl: timedelta
    sign_in_check: SignInCheck


# The accounts' rules, offered by their late step to the late steps after it (sign-in's rules
# take the address rule and the door).
ACCOUNT_RULES = Slot[AccountRules]("the accounts' rules")
# The operator's before_sign_up hook, made on the profile schemas: filled by the hooks' lends.
SIGN_UP_HOOKS = Slot[Callable[[ProfileSchemaSource], SignUpHook]]("the before_sign_up hook")
# What sign-in lends the accounts' shared rules: filled by its late step (the last is read).
SIGNIN_SHARES = Slot[SigninShares]("what sign-in lends the shared rules")
