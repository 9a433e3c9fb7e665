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
from domain.accounts.signups import SignupNotAllowed, SignupPolicy
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


@dataclass(frozen=True)
class SignUp:
    """Someone making their own account a given way, with the address they give (an
    ``Email``, the text a provider reported, or None without one)."""

    way: str
    email: Email | str | None


def address_of(value: Email | str | None) -> Email | None:
    if value is None or isinstance(value, Email):
        return value
    try:
        return Email(value)
    except InvalidInput:
        return None


class Signups:
    """``check`` refuses (403 ``signup_not_allowed`` with its ``reason``) a sign-up the
    policy does not allow, and records ``signup_refused``; nothing else is read first."""

    def __init__(
        self,
        *,
        policy: SignupPolicy,
        audit: AuditLog | None,
        invitations: InvitedAddresses = NO_INVITATIONS,
    ) -> None:
        """``audit`` None: nothing recorded (the rule where no audit log is known yet)."""
        self._policy = policy
        self._audit = audit
        self._invitations = invitations

    def check(self, attempt: SignUp) -> None:
        reason = self._policy.refusal(address_of(attempt.email), invited=self._invitations.invited)
        if reason is None:
            return
        if self._audit is not None:
            self._audit.record(
                AuditEvent(
                    Audit.SIGNUP_REFUSED, outcome="failure", reason=reason.value, via=attempt.way
                )
            )
        raise SignupNotAllowed(reason)


ANYONE = Signups(policy=SignupPolicy(), audit=None)  # open sign-up (the tests of one room)
