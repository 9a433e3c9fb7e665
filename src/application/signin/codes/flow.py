"""What every channel's sign-in by a one-time code shares: the request that stores a flow and
queues its sending job, and the verification that counts a guess before it compares it,
spends the flow once and signs in its identifier's account, or makes one
(docs/decisions/0532-one-code-flow-for-every-channel.md). A channel (``email.py``,
``phone.py``) says what its identifier is, how it is proven and how the code goes out.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from application.accounts.accounts import UserRepository
from application.accounts.challenge_gate import Challenged, ChallengeGate, Signal
from application.accounts.guest.upgrades import GuestSignIn, Upgraded, UpgradeGuest
from application.accounts.signups import RegisterProven, SignUpWay
from application.ports import Audit, AuditEvent, AuditLog, Clock, Job, JobQueue
from application.signin.mfa import MfaRepository, require_second_factor
from application.signin.sign_in import SignIn, SignInRequest
from application.signin.throttle import LoginThrottle, reserve_guess, settled, wrong_guess
from application.signin.tokens import TokenPair
from domain.accounts.users import User
from domain.errors import DomainError, PermissionDenied, Unreadable
from domain.ids import new_id
from domain.request_limits import client_scope
from domain.signin.codes.flows import (
    FLOW_LIFETIME,
    Channel,
    CodeFlow,
    CodeRequests,
    code_of,
    secret_hash,
)
from domain.signin.throttling import TOO_MANY_LOGIN_FAILURES, LoginThrottlePolicy

log = logging.getLogger("firegate.codes")  # a code whose sending could not be queued

_FLOW_ID_MAX = 64
_LINK_TOKEN_MAX = 64  # secrets.token_urlsafe(32) is 43 characters
INVALID_GRANT = "invalid_grant"  # an app's link not redeemed (docs/reference/app-links.md)


class CodeFlowStore(Protocol):
    """Where one channel's flows and each identifier's requests live."""

    def requests(self, key: str) -> CodeRequests:
        """The identifier ``key``'s requests of the last hour, as stored (none: empty)."""
        ...

    def start(
        self, flow: CodeFlow, key: str, now: datetime, client: str, *, asker: str, challenged: bool
    ) -> None:
        """Store ``flow`` as the live one of the identifier ``key`` and ``asker``, and void
        that asker's one before (``CodeRequests.live_for``), in one commit, if its requests
        allow one more from ``client`` (``CodeRequests.requested``); else RateLimited and
        nothing stored."""
        ...

    def count(self, key: str, now: datetime, client: str, *, challenged: bool) -> None:
        """Count one request from ``client`` for the identifier ``key`` that starts none of
        its flows (an account's change to a number, counted on the number as a sign-in's
        request is), if its requests allow one more; else RateLimited and nothing stored."""
        ...

    def get(self, flow_id: str) -> CodeFlow | None:
        """The flow with this id, whatever its state; None if there is none."""
        ...

    def by_link(self, link_hash: str) -> CodeFlow | None:
        """The flow whose link token hashes to ``link_hash`` (``secret_hash``); None if none."""
        ...

    def update(self, flow_id: str, change: Callable[[CodeFlow], CodeFlow]) -> CodeFlow | None:
        """Apply ``change`` to the flow under compare-and-set; the flow after it (None if
        there is none)."""
        ...


@dataclass(frozen=True)
class Way:
    """What a channel's code is called: ``method`` in the sign-in events, the challenge's
    action and the new account's way in; ``amr`` in the tokens; ``job`` the kind of the job
    that sends it; ``refused`` the error of a flow that takes no code (``invalid_flow``) and of
    a wrong code (``invalid_code``)."""

    channel: Channel
    method: str
    amr: str
    job: str
    invalid_flow: str
    invalid_code: str
    refused: Callable[..., DomainError]
    sign_up: SignUpWay


@dataclass(frozen=True)
class CodeRequested:
    flow_id: str
    expires_in: int  # seconds


@dataclass(frozen=True)
class VerifyCode:
    flow_id: str
    code: str
    user_agent: str = ""
    client_ip: str = ""
    browser_secret: str = ""  # the page's flow cookie; "" for an API client


@dataclass(frozen=True)
class RedeemLink:
    """An app's redemption of its flow's link: the link's token and the verifier of the
    ``code_challenge`` it asked with (docs/reference/app-links.md)."""

    token: str
    code_verifier: str
    user_agent: str = ""
    client_ip: str = ""


def invalid_grant() -> Unreadable:
    """400 ``invalid_grant``: a link no app may redeem (unknown, spent, expired, without a
    challenge) or a verifier that is not its challenge's; the same answer for each."""
    return Unreadable(
        "This link cannot be redeemed with this verifier; ask for a new code.", code=INVALID_GRANT
    )


@dataclass(frozen=True)
class SendCode:
    """The job that sends one flow's code: who gets what is decided in the job."""

    kind: str
    flow_id: str

    def job(self) -> Job:
        return Job(kind=self.kind, subject=json.dumps({"flow": self.flow_id}))

    @classmethod
    def parse(cls, job: Job) -> SendCode | None:
        try:
            return cls(job.kind, str(json.loads(job.subject)["flow"]))
        except (ValueError, KeyError, TypeError):
            return None


@dataclass(frozen=True)
class Issued:
    """A flow given its secret token by its sending job: what the message carries."""

    flow: CodeFlow
    token: str  # a mail's link carries it

    @property
    def code(self) -> str:
        return code_of(self.token)


def issued(flows: CodeFlowStore, job: Job, now: datetime) -> Issued | None:
    """The first step of every sending job: the flow its job names, given a new secret token
    (so its code; a retried job replaces the earlier one, whose message never went out);
    None for an unreadable job or a flow voided, spent or expired since the request."""
    request = SendCode.parse(job)
    if request is None:
        log.warning("unreadable %s job dropped", job.kind)
        return None
    token = secrets.token_urlsafe(32)
    flow = flows.update(request.flow_id, lambda f: f.issued(token, now))
    if flow is None or not flow.usable(now) or not flow.opens_with(token):
        return None
    return Issued(flow, token)


def flow_id_shaped(value: str) -> bool:
    """Of the shape ``new_id`` makes (URL-safe base64): anything else is nobody's flow."""
    return (
        0 < len(value) <= _FLOW_ID_MAX
        and value.isascii()
        and value.replace("-", "").replace("_", "").isalnum()
    )


def client_of(client_ip: str) -> str:
    """How an identifier's requests name the client that asked: a hash of its address's
    scope (an IPv4 address, an IPv6 /64), so no address is stored; "" when unknown."""
    if not client_ip:
        return ""
    return hashlib.sha256(client_scope(client_ip).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Asked:
    """A request for a code to ``to`` (its channel's identifier, checked), whose requests are
    counted under ``key``."""

    to: str
    key: str
    client_ip: str = ""
    locale: str | None = None
    browser_secret: str = ""
    challenge_token: str = ""
    # The channel's own signal, if one fired (a number's prefix at half its SMS budget)
    signal: Signal | None = None
    guest_id: str | None = None  # the signed-in guest that asked: its code upgrades it
    code_challenge: str | None = None  # an app's S256 challenge: its link goes to the app
    # Who asked, whose flow before this one the request voids: None for the browser that
    # asked (its flow's cookie), else the client; the account, for a change of its number
    asker: str | None = None
    # Another record the request is counted in: the number's among the sign-in's, for an
    # account's change of number (docs/decisions/0650-a-numbers-texts-counted-on-the-number.md)
    counted_on: CountedOn | None = None


@dataclass(frozen=True)
class CountedOn:
    """The record of identifier ``key`` in ``flows``, which a request counts in too."""

    flows: CodeFlowStore
    key: str


Proof = Callable[[User, str | None], User]  # what a code proves of the account it signs in


@dataclass(frozen=True)
class Holding:
    """How a channel finds the account of a flow's identifier: ``key`` names it in the login
    throttle, ``holder`` finds its account (None: it has none), ``prove`` is what the code
    proves of the account."""

    key: Callable[[str], str]
    holder: Callable[[str], User | None]
    prove: Proof


def _free(flow: CodeFlow) -> None:
    """A code that costs nothing to send (a mail)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class CodeSteps:
    """The steps every channel's code takes. ``sign_up``: the accounts' sign-up by a proven
    identifier (``Accounts.register_proven``); ``upgrade``: a guest's upgrade in place by
    it (``GuestUpgrades.upgrade_guest``); ``queue``: where the sending job goes."""

    way: Way
    flows: CodeFlowStore
    users: UserRepository
    sign_up: Callable[[RegisterProven], User]
    upgrade: Callable[[UpgradeGuest], Upgraded]
    sign_in: SignIn
    throttle: LoginThrottle
    throttle_policy: LoginThrottlePolicy
    factors: MfaRepository
    queue: JobQueue
    clock: Clock
    audit: AuditLog
    challenge_gate: ChallengeGate

    def start(self, asked: Asked, *, paid: Callable[[CodeFlow], None] = _free) -> CodeRequested:
        """A new flow for the identifier, the asker's one before it void, what its sending
        costs ``paid`` (which raises, its flow voided, when it may not go), and its sending
        job queued: the same work whether an account holds the identifier or not. Codes asked
        from one client past their budget, the channel's own signal (``asked.signal``), or
        codes for one identifier by every client past its budget ask for a challenge first;
        the record the request is ``counted_on`` too has its own budget, as the identifier's."""
        now, gate, ip = self.clock.now(), self.challenge_gate, asked.client_ip
        signal = gate.email_codes_signal(ip) if ip else None  # codes of any kind, one client
        signal = signal or asked.signal
        # The identifier's record is read for its signal only where a challenge can be asked:
        # without a provider no signal is, and the store's own commit reads it anyway.
        if signal is None and gate.policy.on and self._crowded(asked, now):
            signal = Signal.ADDRESS_CODES
        passed = gate.check(Challenged(signal, asked.challenge_token, self.way.method, ip))
        browser = secret_hash(asked.browser_secret) if asked.browser_secret else None
        client = client_of(ip)
        asker = asked.asker if asked.asker is not None else (browser or client)
        flow = CodeFlow.begin(
            id=new_id(),
            channel=self.way.channel,
            to=asked.to,
            now=now,
            browser_hash=browser,
            locale=asked.locale,
            guest_id=asked.guest_id,
            code_challenge=asked.code_challenge,
        )
        # Past the identifier's budget only what passed a challenge, or anything where no
        # challenge can be asked (then the identifier's wider bound alone holds).
        beyond = passed or not gate.policy.on
        self.flows.start(flow, asked.key, now, client, asker=asker, challenged=beyond)
        try:
            if asked.counted_on is not None:
                # After the flow's own commit: a request its own record refuses costs the
                # other record nothing (a change refused by the account's own limits leaves
                # the number's budget to its holder).
                asked.counted_on.flows.count(asked.counted_on.key, now, client, challenged=beyond)
            paid(flow)
        except DomainError:
            self.flows.update(flow.id, lambda f: f.voided())  # nothing goes: no code to take
            raise
        try:
            self.queue.enqueue(SendCode(self.way.job, flow.id).job())
        except Exception:  # the answer must not depend on the queue (application/mail/sending.py)
            log.exception("could not queue the sending of a %s", self.way.method)
        return CodeRequested(flow.id, int(FLOW_LIFETIME.total_seconds()))

    def _crowded(self, asked: Asked, now: datetime) -> bool:
        """Whether the identifier's requests of the last hour by every client, or those of
        the record the request is counted on too, are at their budget."""
        records = [(self.flows, asked.key)]
        if asked.counted_on is not None:
            records.append((asked.counted_on.flows, asked.counted_on.key))
        return any(flows.requests(key).crowded(now) for flows, key in records)

    def invalid_flow(self) -> DomainError:
        return self.way.refused(
            "This code has expired or was replaced; ask for a new one.",
            code=self.way.invalid_flow,
        )

    def verify(self, cmd: VerifyCode, holding: Holding) -> TokenPair:
        """The token pair of the flow's identifier (its account as ``holding`` finds it), for its
        right code, once; MfaRequired where the account has a second factor; 403
        sso_required where its org requires its single sign-on. A flow a browser asked for is
        taken only with that browser's cookie."""
        flow = self.flows.get(cmd.flow_id) if flow_id_shaped(cmd.flow_id) else None
        if flow is None or not flow.taken_by(cmd.browser_secret):
            raise self.invalid_flow()
        ip = cmd.client_ip or None
        return self.taken(
            flow,
            cmd.code,
            cmd.client_ip,
            holding,
            lambda: self.signed_in(flow, holding, cmd.user_agent, ip),
        )

    def linked(self, token: str) -> CodeFlow | None:
        """The usable flow of this channel whose link carries ``token`` (the link carries no
        flow id: docs/decisions/0494-codes-belong-to-who-asked.md); None if there is none."""
        usable = 0 < len(token) <= _LINK_TOKEN_MAX and token.isascii()
        flow = self.flows.by_link(secret_hash(token)) if usable else None
        if flow is None or not flow.usable(self.clock.now()) or not flow.opens_with(token):
            return None
        return flow

    def redeem(self, cmd: RedeemLink, holding: Holding) -> TokenPair | None:
        """The token pair of the flow whose link the app redeems, with the verifier of the
        challenge it asked with, once (``signed_in``: its second factor, its org's single
        sign-on, a sign-up by code where allowed); None when no flow of this channel has
        that link. A link spent, expired or voided, a flow asked without a challenge, a
        verifier not its challenge's: 400 ``invalid_grant``, and nothing spent. A wrong
        verifier is no guess of the code: it counts in neither the flow's five nor the login
        throttle, and the route's request limit bounds it
        (docs/decisions/0924-a-wrong-verifier-voids-nothing.md)."""
        usable = 0 < len(cmd.token) <= _LINK_TOKEN_MAX and cmd.token.isascii()
        flow = self.flows.by_link(secret_hash(cmd.token)) if usable else None
        if flow is None or not flow.opens_with(cmd.token):
            return None
        ip = cmd.client_ip or None
        if not flow.usable(self.clock.now()) or not flow.redeemable_by(cmd.code_verifier):
            holder = holding.holder(flow.to)
            self._failed(holder.id if holder is not None else None, ip, INVALID_GRANT)
            raise invalid_grant()
        if not self.claimed(flow):
            raise invalid_grant()  # another request spent it first
        return self.signed_in(flow, holding, cmd.user_agent, ip)

    def taken[T](
        self, flow: CodeFlow, code: str, client_ip: str, holding: Holding, then: Callable[[], T]
    ) -> T:
        """What ``then`` makes once ``code`` proved ``flow``, spent by this request alone:
        each guess is counted in the flow before it is compared (five at most, whatever the
        concurrency), and a wrong one in the login throttle under ``holding``'s key."""
        now, throttle, ip = self.clock.now(), self.throttle, client_ip or None
        if not flow.usable(now) or flow.code_hash is None:
            raise self.invalid_flow()
        login = holding.key(flow.to)
        rules = self.throttle_policy.rules_for(login, client_ip)

        def failed(reason: str) -> None:
            # On the account's events where the identifier has one (signin.failed).
            holder = holding.holder(flow.to)
            self._failed(holder.id if holder is not None else None, ip, reason)

        reservation = reserve_guess(
            throttle, rules, now, refused=lambda: failed(TOO_MANY_LOGIN_FAILURES)
        )
        nonce = new_id()
        counted = self.flows.update(flow.id, lambda f: f.guessed(now, nonce))
        if counted is None or counted.last_guess != nonce:
            throttle.release(reservation)  # no guess left: nothing was compared
            raise self.invalid_flow()
        if not counted.accepts(code):
            wrong_guess(throttle, reservation, self.clock.now())
            failed("wrong_code")
            raise self.way.refused("The code is not correct.", code=self.way.invalid_code)
        if not self.claimed(flow):
            throttle.release(reservation)  # no guess was lost, only the race for the flow
            raise self.invalid_flow()
        clear = self.throttle_policy.success_keys(login, client_ip)
        with settled(throttle, reservation, clear):
            return then()

    def claimed(self, flow: CodeFlow) -> bool:
        """Spend the flow for this request; False when another request spent it first (or a
        new request voided it): of racing requests exactly one is told True."""
        now, nonce = self.clock.now(), new_id()
        after = self.flows.update(flow.id, lambda f: f.spent(now, nonce))
        return after is not None and after.spent_by == nonce

    def signed_in(
        self, flow: CodeFlow, holding: Holding, user_agent: str, ip: str | None
    ) -> TokenPair:
        """After the flow is spent: the identifier's account (made now if there is none, as a
        sign-up), proven by the code; then its second factor, else a new session. A flow a
        signed-in guest asked for upgrades that guest instead, keeping its id, the
        ``before_sign_in`` hooks asked once, by the upgrade, before its commit
        (docs/guests.md, "Upgrading in place")."""
        if flow.guest_id is not None:
            way = self.way
            upgraded = self.upgrade(self._upgrade(flow, flow.guest_id, ip or "", user_agent))
            return self.sign_in(
                SignInRequest(
                    upgraded.user,
                    (way.amr,),
                    user_agent,
                    ip=ip,
                    method=way.method,
                    hooks_said=upgraded.session_claims,
                )
            )
        user = holding.holder(flow.to)
        if user is None:
            user = self.sign_up(self._registration(flow, ip or ""))
        if user.disabled:
            self._failed(user.id, ip, "account_disabled")
            raise PermissionDenied("This account is disabled.", code="account_disabled")
        user = holding.prove(user, ip)
        way = self.way
        require_second_factor(
            user,
            login_key=holding.key(flow.to),
            first_factor=(way.amr,),
            device_id=None,
            ip=ip,
            factors=self.factors,
            clock=self.clock,
            audit=self.audit,
        )
        return self.sign_in(SignInRequest(user, (way.amr,), user_agent, ip=ip, method=way.method))

    def _upgrade(self, flow: CodeFlow, guest_id: str, ip: str, user_agent: str) -> UpgradeGuest:
        way = self.way.sign_up
        signing_in = GuestSignIn(self.way.method, (self.way.amr,), user_agent)
        if flow.channel is Channel.PHONE:
            return UpgradeGuest(
                guest_id, way, phone_number=flow.to, client_ip=ip, sign_in=signing_in
            )
        return UpgradeGuest(
            guest_id, way, email=flow.to, proven=True, client_ip=ip, sign_in=signing_in
        )

    def _registration(self, flow: CodeFlow, ip: str) -> RegisterProven:
        if flow.channel is Channel.PHONE:
            return RegisterProven(
                None, flow.locale, way=self.way.sign_up, client_ip=ip, phone_number=flow.to
            )
        return RegisterProven(flow.to, flow.locale, way=self.way.sign_up, client_ip=ip)

    def _failed(self, user_id: str | None, ip: str | None, reason: str) -> None:
        self.audit.record(
            AuditEvent(
                Audit.LOGIN,
                "failure",
                user_id=user_id,
                ip=ip,
                reason=reason,
                method=self.way.method,
            )
        )
