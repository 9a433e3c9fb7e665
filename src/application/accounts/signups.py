"""The one door every new account passes (``Signups``), whatever makes it: a person
(``POST /register`` and the seed clients' ``POST /users`` and ``POST /api/v1/auth/signup``, the
sign-up page, a mailed code or a passkey-first sign-up, a sign-in with Firebase or an upstream
provider), an org (its single sign-on just-in-time, its SCIM directory) or the operators (an
admin's invitation, the users import). ``check`` applies who may sign up (the mode by who makes
the account, the domain lists for all) and, where a person asks from a client address, the
challenge a signal asks for; ``asked`` then puts it to the operator's ``before_sign_up`` hook,
once the account's input is checked. A new account is made only with the verdict the door
gives (``User.register``'s ``admitted``), so a new way cannot go round it; an address an
account changes to passes the lists too (``address``). docs/security.md, "Who may sign up";
docs/decisions/0495-one-door-for-every-new-account.md.

The commands of the sign-ups ``Accounts`` makes through the door follow it (``Register``,
``RegisterProven``, ``RegisterGuest``), with the usernames a sign-up by a proven address or
number tries (``proven_usernames``).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Protocol

from application.accounts.addresses import EMAIL_NOT_ALLOWED
from application.accounts.challenge_gate import Challenged, ChallengeGate
from application.ports import Audit, AuditEvent, AuditLog
from domain.accounts.credentials import USERNAME_MAX, USERNAME_MIN, Email, Username, made_names
from domain.accounts.parts import UserPart
from domain.accounts.signups import (
    ALLOWED,
    Maker,
    Refusal,
    SignUpAttempt,
    SignUpDenied,
    SignupNotAllowed,
    SignupPolicy,
    SignUpVerdict,
)
from domain.errors import InvalidInput


class SignUpWay(StrEnum):
    """How an account is made: the ``via`` of ``signup_refused``, the ``method`` the hook
    is told."""

    REGISTER = "register"  # POST /register, POST /users, POST /api/v1/auth/signup
    PAGE = "page"  # /sign-up
    UPSTREAM = "upstream"  # an upstream provider's sign-in (its ExternalSignIn's via)
    FIREBASE = "firebase"  # POST /auth/firebase
    EMAIL_CODE = "email_code"  # a mailed code, and passkey-first sign-up (proven by a code)
    PHONE_CODE = "phone_code"  # a code sent by text message (POST /auth/phone-code/verify)
    SSO = "sso"  # an org's single sign-on, just in time
    SCIM = "scim"  # an org's directory
    INVITATION = "invitation"  # an admin's invitation (POST /users/invitations, /api/users)
    IMPORT = "import"  # the users import
    GUEST = "guest"  # POST /auth/guest: an account with no address yet (docs/guests.md)
    # POST /auth/guest/upgrade: a guest signs up in place with a password (docs/guests.md)
    GUEST_UPGRADE = "guest_upgrade"

    @property
    def maker(self) -> Maker:
        if self in (SignUpWay.SSO, SignUpWay.SCIM):
            return Maker.ORG
        if self in (SignUpWay.INVITATION, SignUpWay.IMPORT):
            return Maker.OPERATOR
        return Maker.PERSON


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
    """An account about to be made a given way, with the address it will hold (an ``Email``,
    the text a provider reported, or None without one); ``vouched``: an org's way for an
    address on one of its verified domains; ``ip`` and ``challenge_token``: the asking
    person's client address (None: no person asks from one, nothing is counted or
    challenged) and the challenge's token they sent; the rest is what the operator's hook is
    told."""

    way: str
    email: Email | str | None
    username: str | None = None
    provider: str | None = None
    org_id: str | None = None
    ip: str | None = None
    user_agent: str | None = None
    vouched: bool = False
    challenge_token: str = ""

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

    @property
    def maker(self) -> Maker:
        return SignUpWay(self.way).maker


@dataclass(frozen=True)
class Admitted:
    """A sign-up the rule let through (``Signups.check``): only such a one is put to the
    hook (``Signups.asked``), whose verdict makes the account."""

    sign_up: SignUp


def address_of(value: Email | str | None) -> Email | None:
    if value is None or isinstance(value, Email):
        return value
    try:
        return Email(value)
    except InvalidInput:
        return None


@dataclass(frozen=True, kw_only=True, slots=True)
class Signups:
    """``check`` refuses (403 ``signup_not_allowed`` with its ``reason``) a sign-up the
    policy does not allow, and records ``signup_refused``; nothing else is read first. A
    person asking from a client address then passes the challenge a signal asks for (401
    ``challenge_required``). ``asked`` puts an admitted sign-up to the operator's ``hook``,
    whose refusal is a 403 ``signup_denied`` with its message, and whose verdict (names,
    attributes) the new account takes (``User.register``'s ``admitted``).

    ``audit`` None: nothing recorded (the rule where no audit log is known yet); ``gate``
    None: no challenge is ever asked (the tests of one room); ``parts``: the user parts of
    the service, whose defaults every new account takes (``SignUpVerdict.parts``)."""

    policy: SignupPolicy
    audit: AuditLog | None
    invitations: InvitedAddresses = NO_INVITATIONS
    hook: SignUpHook = NO_SIGN_UP_HOOK
    gate: ChallengeGate | None = None
    parts: Sequence[type[UserPart]] = ()

    def check(self, attempt: SignUp) -> Admitted:
        reason = self.policy.refusal(
            address_of(attempt.email),
            invited=self.invitations.invited,
            maker=attempt.maker,
            vouched=attempt.vouched,
            guest=attempt.way == SignUpWay.GUEST,
        )
        if reason is not None:
            self._refused(attempt, reason.value)
            raise SignupNotAllowed(reason)
        gate = self.gate
        if gate is not None and attempt.ip and attempt.maker is Maker.PERSON:
            signal = gate.signup_signal(attempt.ip)
            gate.check(Challenged(signal, attempt.challenge_token, "register", attempt.ip))
        return Admitted(attempt)

    def asked(self, admitted: Admitted) -> SignUpVerdict:
        """The operator's hook's verdict on an admitted sign-up, once its input is checked."""
        attempt = admitted.sign_up
        verdict = self.hook.before_sign_up(attempt.attempt())
        if not verdict.allowed:
            self._refused(attempt, "hook_denied")
            raise SignUpDenied(verdict.message or SignUpDenied.title)
        return replace(verdict, parts=tuple(kind.read({}) for kind in self.parts))

    def admit(self, attempt: SignUp) -> SignUpVerdict:
        """``check`` then ``asked``, for a way that has no other input to check between."""
        return self.asked(self.check(attempt))

    def address(self, email: Email, field: str = "email") -> None:
        """An address an account changes to: 422 ``email_not_allowed`` (naming the list's
        reason) where the lists refuse it, as they would refuse it a new account."""
        reason = self.policy.address_refusal(email)
        if reason is not None:
            raise InvalidInput.field(field, _REFUSED[reason], EMAIL_NOT_ALLOWED)

    def _refused(self, attempt: SignUp, reason: str) -> None:
        if self.audit is not None:
            self.audit.record(
                AuditEvent(Audit.SIGNUP_REFUSED, outcome="failure", reason=reason, via=attempt.way)
            )


_REFUSED = {
    Refusal.DOMAIN_BLOCKED: "Addresses on this domain are not accepted here.",
    Refusal.DISPOSABLE_DOMAIN: "Addresses of disposable-mail services are not accepted here.",
    Refusal.DOMAIN_NOT_ALLOWED: "Only addresses on the allowed domains are accepted here.",
    Refusal.CLOSED: "This address is not accepted here.",
    Refusal.INVITATION_REQUIRED: "This address is not accepted here.",
}

ANYONE = Signups(policy=SignupPolicy(), audit=None)  # open sign-up (the tests of one room)


# -- the sign-ups' commands (``Accounts.register``, ``register_proven``, ``register_guest``)


@dataclass(frozen=True)
class Register:
    """``email`` None: an account without an address, which the mail flows leave out."""

    username: str
    email: str | None
    password: str
    name: str | None = None
    last_name: str | None = None
    locale: str | None = None  # the language the person's browser asked for, if supported
    way: str = SignUpWay.REGISTER  # what ``signup_refused`` names: the API, or the page
    challenge_token: str = ""  # the challenge's widget's, when one was asked
    # After the trusted proxy hops, that a sign-up's signal is counted and challenged:
    # required, so no way in forgets it; "" only where no person's request is behind it.
    client_ip: str = field(kw_only=True)


@dataclass(frozen=True)
class RegisterProven:
    """Sign-up by an address its holder has just proven (a mailed code): no password, the
    username made from the address's local part (docs/reference/email-code.md); or, with
    ``email`` None, by a phone number just proven (a code sent by text), the username a
    random one (docs/sign-in-with-a-phone-number.md)."""

    email: str | None
    locale: str | None = None
    way: str = SignUpWay.EMAIL_CODE  # what ``signup_refused`` names: a code, or a passkey's
    client_ip: str = ""  # the request's that proved the address; "" when unknown
    phone_number: str | None = None  # in E.164, proven; only without an address


@dataclass(frozen=True)
class RegisterGuest:
    """A guest's sign-up (``POST /auth/guest``): no address, username or password
    (docs/guests.md). ``client_ip``: the asking person's, whose sign-ups the challenge's
    signal counts, a guest as one; ``challenge_token``: the challenge's, when one was asked."""

    client_ip: str
    challenge_token: str = ""
    locale: str | None = None


SIGN_UP_NAMES = 8  # usernames tried for a sign-up by address before a 409


def proven_usernames(email: Email | None) -> list[str]:
    """The address's local part as a username, then with random numeric suffixes; without
    an address (a number's sign-up: no digit of it is shown), names made for the account
    (``made_names``), which its profile then invites the person to change."""
    if email is None:
        return made_names(SIGN_UP_NAMES)
    stem = Username.from_address(email)
    stem = stem if len(stem) >= USERNAME_MIN else f"user{stem}"
    suffixed = [
        f"{stem[: USERNAME_MAX - 5]}_{secrets.randbelow(10**4):04d}"
        for _ in range(SIGN_UP_NAMES - 1)
    ]
    return [stem, *suffixed]
