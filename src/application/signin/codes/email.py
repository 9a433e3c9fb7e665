"""Signing in by a code mailed to an address, and by the mail's link in the browser that
asked (docs/reference/email-code.md; docs/decisions/0474-email-codes.md).

The request for a code is the same work for every address: the flow is stored and a job is
queued; mail's job (application/mail/code_mail.py) gives the flow its link token and code and
mails them, to an account's address or to an address without one (whose code signs it up).
The verification spends the flow once, and its wrong codes count in the login throttle as
wrong passwords do.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from application.accounts.accounts import RegisterProven, UserRepository
from application.accounts.address_proof import FirstProof
from application.accounts.addresses import AddressRule
from application.accounts.challenge_gate import Challenged, ChallengeGate, Signal
from application.ports import Audit, AuditEvent, AuditLog, Clock, Job, JobQueue
from application.signin.mfa import MfaRepository, require_second_factor
from application.signin.sessions import SignIn, SignInRequest
from application.signin.throttle import LoginThrottle, reserve_guess, settled, wrong_guess
from application.signin.tokens import TokenPair
from domain.accounts.users import User, login_key
from domain.errors import NotFound, PermissionDenied, Unauthenticated
from domain.ids import new_id
from domain.request_limits import client_scope
from domain.signin.email_codes import (
    FLOW_LIFETIME,
    EmailCodeFlow,
    EmailCodeRequests,
    code_of,
    secret_hash,
)
from domain.signin.mfa import EMAIL
from domain.signin.throttling import TOO_MANY_LOGIN_FAILURES, LoginThrottlePolicy

log = logging.getLogger("firegate.mail")  # a code whose mail could not be queued

EMAIL_CODE_MAIL = "email_code_mail"
INVALID_EMAIL_CODE, INVALID_EMAIL_FLOW = "invalid_email_code", "invalid_email_flow"
EMAIL_CODE_DISABLED = "email_code_disabled"
METHOD = "email_code"  # what signin.succeeded and signin.failed call this way in
_FLOW_ID_MAX = 64
_LINK_TOKEN_MAX = 64  # secrets.token_urlsafe(32) is 43 characters


class EmailCodeFlowStore(Protocol):
    """Where the flows and each address's requests live."""

    def requests(self, key: str) -> EmailCodeRequests:
        """The address ``key``'s requests of the last hour, as stored (none: empty)."""
        ...

    def start(
        self, flow: EmailCodeFlow, key: str, now: datetime, client: str, *, challenged: bool
    ) -> None:
        """Store ``flow`` as the live one of the address ``key`` and void the one before, in
        one commit, if the address's requests allow one more from ``client``
        (``EmailCodeRequests.requested``); else RateLimited and nothing stored."""
        ...

    def get(self, flow_id: str) -> EmailCodeFlow | None:
        """The flow with this id, whatever its state; None if there is none."""
        ...

    def by_link(self, link_hash: str) -> EmailCodeFlow | None:
        """The flow whose link token hashes to ``link_hash`` (``secret_hash``); None if none."""
        ...

    def update(
        self, flow_id: str, change: Callable[[EmailCodeFlow], EmailCodeFlow]
    ) -> EmailCodeFlow | None:
        """Apply ``change`` to the flow under compare-and-set; the flow after it (None if
        there is none)."""
        ...


@dataclass(frozen=True)
class RequestEmailCode:
    email: str
    client_ip: str = ""
    locale: str | None = None  # the language the asking browser asked for
    browser_secret: str = ""  # the asking page's flow cookie; "" for an API client
    challenge_token: str = ""  # the challenge's widget's, when one was asked


@dataclass(frozen=True)
class EmailCodeRequested:
    flow_id: str
    expires_in: int  # seconds


@dataclass(frozen=True)
class VerifyEmailCode:
    flow_id: str
    code: str
    user_agent: str = ""
    client_ip: str = ""
    browser_secret: str = ""  # the page's flow cookie; "" for an API client


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


@dataclass(frozen=True)
class EmailCodeJob:
    """The mail of one flow: who gets what is decided in the job."""

    flow_id: str

    def job(self) -> Job:
        return Job(kind=EMAIL_CODE_MAIL, subject=json.dumps({"flow": self.flow_id}))

    @classmethod
    def parse(cls, subject: str) -> EmailCodeJob | None:
        try:
            return cls(str(json.loads(subject)["flow"]))
        except (ValueError, KeyError, TypeError):
            return None


def invalid_flow() -> Unauthenticated:
    return Unauthenticated(
        "This code has expired or was replaced; ask for a new one.", code=INVALID_EMAIL_FLOW
    )


def _flow_id(value: str) -> bool:
    """Of the shape ``new_id`` makes (URL-safe base64): anything else is nobody's flow."""
    return (
        0 < len(value) <= _FLOW_ID_MAX
        and value.isascii()
        and value.replace("-", "").replace("_", "").isalnum()
    )


def client_of(client_ip: str) -> str:
    """How an address's requests name the client that asked: a hash of its address's scope
    (an IPv4 address, an IPv6 /64), so no address is stored; "" when unknown."""
    if not client_ip:
        return ""
    return hashlib.sha256(client_scope(client_ip).encode()).hexdigest()[:16]


@dataclass(frozen=True, kw_only=True, slots=True)
class EmailCodes:
    """Signing in by a mailed code or link (docs/reference/email-code.md). ``sign_up``: the
    accounts' sign-up by a proven address (``Accounts.register_proven``); ``first_proof``:
    what a first proof of an account's address removes
    (docs/decisions/0104-first-proof-of-address-wins.md); ``enabled``: PASSWORDLESS_EMAIL."""

    flows: EmailCodeFlowStore
    users: UserRepository
    sign_up: Callable[[RegisterProven], User]
    sign_in: SignIn
    addresses: AddressRule
    throttle: LoginThrottle
    throttle_policy: LoginThrottlePolicy
    factors: MfaRepository
    first_proof: FirstProof
    queue: JobQueue
    clock: Clock
    audit: AuditLog
    proven: Callable[[User], None]
    challenge_gate: ChallengeGate
    enabled: bool = True

    def request(self, cmd: RequestEmailCode) -> EmailCodeRequested:
        """A new flow for the address, the one before it void, and its mail queued: the same
        work whether an account has the address or not (no account is read here). Codes asked
        from one client past their budget, or for one address by every client past its
        budget, ask for a challenge first (docs/security.md, "Per-address request limits")."""
        self._check_enabled()
        email = self.addresses.new(cmd.email)
        key, now, gate = login_key(email.value), self.clock.now(), self.challenge_gate
        client = client_of(cmd.client_ip)
        signal = gate.email_codes_signal(cmd.client_ip) if cmd.client_ip else None
        if signal is None and self.flows.requests(key).crowded(now):
            signal = Signal.ADDRESS_CODES
        passed = gate.check(Challenged(signal, cmd.challenge_token, "email_code", cmd.client_ip))
        browser = secret_hash(cmd.browser_secret) if cmd.browser_secret else None
        flow = EmailCodeFlow.start(
            id=new_id(), email=email.value, now=now, browser_hash=browser, locale=cmd.locale
        )
        # Past the address's budget only what passed a challenge, or anything where no
        # challenge can be asked (then the address's wider bound alone holds).
        beyond = passed or not gate.policy.on
        self.flows.start(flow, key, now, client, challenged=beyond)
        try:
            self.queue.enqueue(EmailCodeJob(flow.id).job())
        except Exception:  # the answer must not depend on the queue (application/mail/sending.py)
            log.exception("could not queue the mail of an e-mail code")
        return EmailCodeRequested(flow.id, int(FLOW_LIFETIME.total_seconds()))

    def verify(self, cmd: VerifyEmailCode) -> TokenPair:
        """The token pair of the flow's address, for its right code, once; MfaRequired where
        the account has a second factor; 403 sso_required where its org requires its single
        sign-on. A flow a browser asked for is taken only with that browser's cookie. Each
        guess is counted in the flow before it is compared (five at most, whatever the
        concurrency), and a wrong one in the login throttle."""
        self._check_enabled()
        now, throttle, ip = self.clock.now(), self.throttle, cmd.client_ip or None
        flow = self.flows.get(cmd.flow_id) if _flow_id(cmd.flow_id) else None
        if (
            flow is None
            or not flow.usable(now)
            or flow.code_hash is None
            or not flow.taken_by(cmd.browser_secret)
        ):
            raise invalid_flow()
        key = login_key(flow.email)
        rules = self.throttle_policy.rules_for(key, cmd.client_ip)

        def failed(reason: str) -> None:
            # On the account's events where the address has one (signin.failed).
            holder = self.users.find_by_login(key)
            user_id = holder.id if holder is not None else None
            self.audit.record(
                AuditEvent(
                    Audit.LOGIN, "failure", user_id=user_id, ip=ip, reason=reason, method=METHOD
                )
            )

        reservation = reserve_guess(
            throttle, rules, now, refused=lambda: failed(TOO_MANY_LOGIN_FAILURES)
        )
        nonce = new_id()
        counted = self.flows.update(flow.id, lambda f: f.guessed(now, nonce))
        if counted is None or counted.last_guess != nonce:
            throttle.release(reservation)  # no guess left: nothing was compared
            raise invalid_flow()
        if not counted.accepts(cmd.code):
            wrong_guess(throttle, reservation, self.clock.now())
            failed("wrong_code")
            raise Unauthenticated("The code is not correct.", code=INVALID_EMAIL_CODE)
        if not self._claimed(flow):
            throttle.release(reservation)  # no guess was lost, only the race for the flow
            raise invalid_flow()
        clear = self.throttle_policy.success_keys(key, cmd.client_ip)
        with settled(throttle, reservation, clear):
            return self._signed_in(flow, cmd.user_agent, ip)

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
        if not self._claimed(flow):
            raise invalid_flow()
        return self._signed_in(flow, cmd.user_agent, cmd.client_ip or None)

    def _linked_flow(self, token: str) -> EmailCodeFlow:
        """The flow the link's token names (the link carries no flow id: docs/decisions/
        0494-codes-belong-to-who-asked.md)."""
        usable = 0 < len(token) <= _LINK_TOKEN_MAX and token.isascii()
        flow = self.flows.by_link(secret_hash(token)) if usable else None
        if flow is None or not flow.usable(self.clock.now()) or not flow.opens_with(token):
            raise invalid_flow()
        return flow

    def _claimed(self, flow: EmailCodeFlow) -> bool:
        """Spend the flow for this request; False when another request spent it first (or a
        new request voided it): of racing requests exactly one is told True."""
        now, nonce = self.clock.now(), new_id()
        after = self.flows.update(flow.id, lambda f: f.spent(now, nonce))
        return after is not None and after.spent_by == nonce

    def _signed_in(self, flow: EmailCodeFlow, user_agent: str, ip: str | None) -> TokenPair:
        """After the flow is spent: the address's account (made now if there is none, as a
        sign-up), proven by the code; then its second factor, else a new session."""
        key = login_key(flow.email)
        user = self.users.find_by_login(key)
        if user is None:
            user = self.sign_up(RegisterProven(flow.email, flow.locale, client_ip=ip or ""))
        if user.disabled:
            self.audit.record(
                AuditEvent(
                    Audit.LOGIN,
                    "failure",
                    user_id=user.id,
                    ip=ip,
                    reason="account_disabled",
                    method=METHOD,
                )
            )
            raise PermissionDenied("This account is disabled.", code="account_disabled")
        if not user.email_verified:
            user = self._first_proof(user, ip)
        require_second_factor(
            user,
            login_key=key,
            first_factor=(EMAIL,),
            device_id=None,
            ip=ip,
            factors=self.factors,
            clock=self.clock,
            audit=self.audit,
        )
        return self.sign_in(SignInRequest(user, (EMAIL,), user_agent, ip=ip, method=METHOD))

    def _first_proof(self, user: User, ip: str | None) -> User:
        """The first proof of the account's address wins it: whoever set it up without
        proving the address loses every way in and the apps it allowed
        (docs/decisions/0104-first-proof-of-address-wins.md)."""
        self.first_proof.start_clean(user.id)
        now = self.clock.now()
        taken: list[User] = []

        def claim(current: User) -> User:
            if current.email_verified:
                return current
            taken[:] = [current]
            return current.claimed(now)

        claimed = self.users.update(user.id, claim)
        self.first_proof.start_clean(user.id)
        if taken:
            self.first_proof.claimed(user.id, reason=METHOD, ip=ip)
        self.proven(claimed)
        return claimed

    def _check_enabled(self) -> None:
        if not self.enabled:
            raise NotFound("Sign-in by e-mail code is off here.", code=EMAIL_CODE_DISABLED)
