"""The one rule for a person making their own account, asked by every way that makes one
(``Signups.check``): ``POST /register`` and the seed clients' ``POST /users``, the sign-up
page, a sign-in with Firebase or an upstream provider that would make an account, and any
new way in that makes one (docs/security.md, "Who may sign up"). Accounts an admin, an
import or an org (its single sign-on, its SCIM) makes are not a person's own and never ask.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from application.ports import Audit, AuditEvent, AuditLog
from domain.accounts.signups import (
    ALLOWED,
    SignUpAttempt,
    SignUpDenied,
    SignupNotAllowed,
    SignupPolicy,
    SignUpVerdict,
)
from domain.accounts.users import Email
from domain.errors import InvalidInput


class SignUpWay(StrEnum):
    """How a person makes their own account: the ``via`` of ``signup_refused``."""

    REGISTER = "register"  # POST /register, POST /users
    PAGE = "page"  # /sign-up
    UPSTREAM = "upstream"  # an upstream provider's sign-in (its ExternalSignIn's via)
    FIREBASE = "firebase"  # POST /auth/firebase
    EMAIL_CODE = "email_code"
    PASSKEY = "passkey"
    SSO = "sso"  # an org's single sign-on making its account (asks the hook alone)


class InvitedAddresses(Protocol):
    """The orgs' open invitations (the orgs sit above the accounts, so they answer through
    this)."""

    def invited(self, email: Email) -> bool:
        """Whether an org's invitation to ``email`` is pending and unexpired."""
        ...


class _NoInvitations:
    def invited(self, email: Email) -> bool:
        return False


NO_INVITATIONS: InvitedAddresses = _NoInvitations()


class SignUpHook(Protocol):
    """The operator's ``before_sign_up`` hook (the events call it: docs/hooks.md)."""

    def before_sign_up(self, attempt: SignUpAttempt) -> SignUpVerdict:
        """Whether the account may be made, and with which names and attributes."""
        ...


class _NoSignUpHook:
    def before_sign_up(self, attempt: SignUpAttempt) -> SignUpVerdict:
        return ALLOWED


NO_SIGN_UP_HOOK: SignUpHook = _NoSignUpHook()


@dataclass(frozen=True)
class SignUp:
    """Someone making their own account a given way, with the address they give (an
    ``Email``, the text a provider reported, or None without one); the rest is what the
    operator's hook is told (the request's address and user agent where left out)."""

    way: str
    email: Email | str | None
    username: str | None = None
    provider: str | None = None
    org_id: str | None = None
    ip: str | None = None
    user_agent: str | None = None

    def attempt(self) -> SignUpAttempt:
        email = self.email.value if isinstance(self.email, Email) else self.email
        return SignUpAttempt(
            email=email,
            username=self.username,
            method=self.way,
            provider=self.provider,
            org_id=self.org_id,
            ip=self.ip,
            user_agent=self.user_agent,
        )


def address_of(value: Email | str | None) -> Email | None:
    if value is None or isinstance(value, Email):
        return value
    try:
        return Email(value)
    except InvalidInput:
        return None


class Signups:
    """``check`` refuses (403 ``signup_not_allowed`` with its ``reason``) a sign-up the
    policy does not allow, and records ``signup_refused``; nothing else is read first. Then
    it asks the operator's ``hook``, whose refusal is a 403 ``signup_denied`` with its
    message, and whose verdict (names, attributes) the new account takes."""

    def __init__(
        self,
        *,
        policy: SignupPolicy,
        audit: AuditLog | None,
        invitations: InvitedAddresses = NO_INVITATIONS,
        hook: SignUpHook = NO_SIGN_UP_HOOK,
    ) -> None:
        """``audit`` None: nothing recorded (the rule where no audit log is known yet)."""
        self._policy = policy
        self._audit = audit
        self._invitations = invitations
        self._hook = hook

    def check(self, attempt: SignUp) -> SignUpVerdict:
        reason = self._policy.refusal(address_of(attempt.email), invited=self._invitations.invited)
        if reason is not None:
            self._refused(attempt, reason.value)
            raise SignupNotAllowed(reason)
        return self.asked(attempt)

    def asked(self, attempt: SignUp) -> SignUpVerdict:
        """The hook alone: for an account an org makes (its single sign-on), which follows
        the org's verified domains rather than the policy."""
        verdict = self._hook.before_sign_up(attempt.attempt())
        if not verdict.allowed:
            self._refused(attempt, "hook_denied")
            raise SignUpDenied(verdict.message or SignUpDenied.title)
        return verdict

    def _refused(self, attempt: SignUp, reason: str) -> None:
        if self._audit is not None:
            self._audit.record(
                AuditEvent(Audit.SIGNUP_REFUSED, outcome="failure", reason=reason, via=attempt.way)
            )


ANYONE = Signups(policy=SignupPolicy(), audit=None)  # open sign-up (the tests of one room)
