"""Signing in by a code mailed to an address, and by the mail's link in the browser that
asked (docs/reference/email-code.md; docs/decisions/0474-email-codes.md).

The request for a code is the same work for every address: the flow is stored and a job is
queued; mail's job (application/mail/code_mail.py) gives the flow its link token and code and
mails them, to an account's address or to an address without one (whose code signs it up).
The verification spends the flow once, and its wrong codes count in the login throttle as
wrong passwords do: the steps every channel's code shares (``flow.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from application.accounts.address_proof import FirstProof
from application.accounts.addresses import AddressRule
from application.accounts.signups import SignUpWay
from application.signin.codes.flow import (
    Asked,
    CodeFlowStore,
    CodeRequested,
    CodeSteps,
    Holding,
    RedeemLink,
    VerifyCode,
    Way,
)
from application.signin.tokens import TokenPair
from domain.accounts.credentials import login_key
from domain.accounts.users import User
from domain.errors import NotFound, PermissionDenied, Unauthenticated
from domain.signin.codes.flows import Channel, CodeFlow, code_of
from domain.signin.mfa import EMAIL

EMAIL_CODE_MAIL = "email_code_mail"
INVALID_EMAIL_CODE, INVALID_EMAIL_FLOW = "invalid_email_code", "invalid_email_flow"
EMAIL_CODE_DISABLED = "email_code_disabled"
METHOD = "email_code"  # what signin.succeeded and signin.failed call this way in
EMAIL_WAY = Way(
    channel=Channel.EMAIL,
    method=METHOD,
    amr=EMAIL,
    job=EMAIL_CODE_MAIL,
    invalid_flow=INVALID_EMAIL_FLOW,
    invalid_code=INVALID_EMAIL_CODE,
    refused=Unauthenticated,
    sign_up=SignUpWay.EMAIL_CODE,
)
EmailCodeFlowStore = CodeFlowStore  # the e-mail channel's flows (``FirestoreEmailCodeFlows``)
EmailCodeRequested = CodeRequested
VerifyEmailCode = VerifyCode


@dataclass(frozen=True)
class RequestEmailCode:
    email: str
    client_ip: str = ""
    locale: str | None = None  # the language the asking browser asked for
    browser_secret: str = ""  # the asking page's flow cookie; "" for an API client
    challenge_token: str = ""  # the challenge's widget's, when one was asked
    guest_id: str | None = None  # the signed-in guest asking: the code upgrades it
    code_challenge: str | None = None  # an app's S256 challenge: the mail links to the app


@dataclass(frozen=True)
class OpenEmailLink:
    """A GET of the mail's link: spends nothing."""

    token: str
    browser_secret: str = ""


@dataclass(frozen=True)
class EmailLink:
    """What the link's page shows: a button that signs in (the browser that asked), else
    the code to type where the person asked."""

    same_browser: bool
    code: str


@dataclass(frozen=True)
class SignInByLink:
    token: str
    browser_secret: str
    user_agent: str = ""
    client_ip: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class EmailCodes:
    """Signing in by a mailed code or link (docs/reference/email-code.md). ``steps``: what
    every channel's code takes (its ``way`` is ``EMAIL_WAY``); ``first_proof``: what a first
    proof of an account's address removes
    (docs/decisions/0104-first-proof-of-address-wins.md); ``proven``: what follows an
    address a code proves; ``enabled``: PASSWORDLESS_EMAIL."""

    steps: CodeSteps
    addresses: AddressRule
    first_proof: FirstProof
    proven: Callable[[User], None]
    enabled: bool = True

    def request(self, cmd: RequestEmailCode) -> EmailCodeRequested:
        """A new flow for the address, the asker's one before it void, and its mail queued:
        the same work whether an account has the address or not (no account is read here).
        Codes asked from one client past their budget, or for one address by every client past
        its budget, ask for a challenge first (docs/security.md, "Per-address request
        limits")."""
        self._check_enabled()
        email = self.addresses.new(cmd.email)
        asked = Asked(
            to=email.value,
            key=login_key(email.value),
            client_ip=cmd.client_ip,
            locale=cmd.locale,
            browser_secret=cmd.browser_secret,
            challenge_token=cmd.challenge_token,
            guest_id=cmd.guest_id,
            code_challenge=cmd.code_challenge,
        )
        return self.steps.start(asked)

    def verify(self, cmd: VerifyEmailCode) -> TokenPair:
        """The token pair of the flow's address, for its right code, once (``CodeSteps``):
        MfaRequired where the account has a second factor, 403 sso_required where its org
        requires its single sign-on; an address without an account gets one."""
        self._check_enabled()
        return self.steps.verify(cmd, self._holding())

    def open_link(self, cmd: OpenEmailLink) -> EmailLink:
        """What the mail's link shows; nothing is written (mail scanners open links)."""
        self._check_enabled()
        flow = self._linked_flow(cmd.token)
        return EmailLink(same_browser=flow.asked_by(cmd.browser_secret), code=code_of(cmd.token))

    def sign_in_by_link(self, cmd: SignInByLink) -> TokenPair:
        """The token pair of the flow's address, in the browser that asked only (it holds
        the flow's cookie); anywhere else 403 ``email_link_elsewhere`` and nothing spent."""
        self._check_enabled()
        flow = self._linked_flow(cmd.token)
        if not flow.asked_by(cmd.browser_secret):
            raise PermissionDenied(
                "Type the code where you asked for it.", code="email_link_elsewhere"
            )
        if not self.steps.claimed(flow):
            raise self.steps.invalid_flow()
        return self.steps.signed_in(flow, self._holding(), cmd.user_agent, cmd.client_ip or None)

    def redeem(self, cmd: RedeemLink) -> TokenPair | None:
        """The token pair of the flow whose link an app redeems with its verifier, once
        (``CodeSteps.redeem``); None when no mailed link has that token (or codes by mail
        are off here)."""
        if not self.enabled:
            return None
        return self.steps.redeem(cmd, self._holding())

    def shown(self, token: str) -> str | None:
        """The code a live link's page shows; None when no mailed link has that token."""
        if not self.enabled or self.steps.linked(token) is None:
            return None
        return code_of(token)

    def _holding(self) -> Holding:
        users = self.steps.users
        return Holding(
            key=login_key, holder=lambda to: users.find_by_login(login_key(to)), prove=self._proven
        )

    def _linked_flow(self, token: str) -> CodeFlow:
        """The flow the link's token names (the link carries no flow id: docs/decisions/
        0494-codes-belong-to-who-asked.md)."""
        flow = self.steps.linked(token)
        if flow is None:
            raise self.steps.invalid_flow()
        return flow

    def _proven(self, user: User, ip: str | None) -> User:
        """The account whose address the code proved: the first proof of it wins it, and
        whoever set it up without proving the address loses every way in and the apps it
        allowed (docs/decisions/0104-first-proof-of-address-wins.md)."""
        if user.email_verified:
            return user
        self.first_proof.start_clean(user.id)
        now = self.steps.clock.now()
        taken: list[User] = []

        def claim(current: User) -> User:
            if current.email_verified:
                return current
            taken[:] = [current]
            return current.claimed(now)

        claimed = self.steps.users.update(user.id, claim)
        self.first_proof.start_clean(user.id)
        if taken:
            self.first_proof.claimed(user.id, reason=METHOD, ip=ip)
        self.proven(claimed)
        return claimed

    def _check_enabled(self) -> None:
        if not self.enabled:
            raise NotFound("Sign-in by e-mail code is off here.", code=EMAIL_CODE_DISABLED)
