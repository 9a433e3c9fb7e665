"""Signing in by a code sent by text message to a phone number (docs/sign-in-with-a-phone-number.md;
docs/decisions/0532-one-code-flow-for-every-channel.md).

The e-mail code's flow with another channel (``flow.py``): the request stores the flow, spends
one SMS of the number's budget and queues a job; the job (``PhoneCodeTextJob``) gives the flow
its code and hands the text to the operator's ``send_sms`` hook. On only with PHONE_SIGN_IN
and such a hook, else 404 ``phone_disabled``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from application.accounts.accounts import UserRepository
from application.accounts.challenge_gate import Signal
from application.accounts.signups import SignUpWay
from application.jobs import RetryJob
from application.phone.ports import PhoneNumbers, SmsBudget
from application.ports import (
    Audit,
    AuditEvent,
    AuditLog,
    Clock,
    Job,
    TextMessage,
    TextRenderer,
    TextSender,
    TextUndelivered,
)
from application.signin.codes.flow import (
    Asked,
    CodeFlowStore,
    CodeRequested,
    CodeSteps,
    Holding,
    RedeemLink,
    VerifyCode,
    Way,
    issued,
)
from application.signin.tokens import TokenPair
from domain.accounts.users import User
from domain.errors import NotFound, Unreadable
from domain.phone.numbers import PhoneNumber
from domain.signin.codes.flows import Channel, CodeFlow, code_of
from domain.signin.mfa import SMS

log = logging.getLogger("firegate.codes")

PHONE_CODE_TEXT = "phone_code_text"
PHONE_CODE = "phone_code"  # the text's kind, the sign-in events' method
INVALID_PHONE_CODE, INVALID_PHONE_FLOW = "invalid_phone_code", "invalid_phone_flow"
PHONE_DISABLED = "phone_disabled"
PHONE_WAY = Way(
    channel=Channel.PHONE,
    method=PHONE_CODE,
    amr=SMS,
    job=PHONE_CODE_TEXT,
    invalid_flow=INVALID_PHONE_FLOW,
    invalid_code=INVALID_PHONE_CODE,
    refused=Unreadable,  # 400, as the API names these two
    sign_up=SignUpWay.PHONE_CODE,
)


@dataclass(frozen=True)
class RequestPhoneCode:
    phone_number: str  # as typed
    client_ip: str = ""
    locale: str | None = None  # the language the asking client asked for
    challenge_token: str = ""  # the challenge's widget's, when one was asked
    browser_secret: str = ""  # the asking page's flow cookie: the flow is that browser's
    guest_id: str | None = None  # the signed-in guest asking: the code upgrades it
    code_challenge: str | None = None  # an app's S256 challenge: the text links to the app


def _number_key(number: str) -> str:
    """What names a number in the login throttle and its requests: itself, in E.164."""
    return number


@dataclass(frozen=True, kw_only=True, slots=True)
class PhoneCodes:
    """Signing in by a code sent by text message. ``steps``: what every channel's code takes
    (its ``way`` is ``PHONE_WAY``); ``numbers``: the parser of a number as typed;
    ``budget``: what an SMS may cost; ``texts``: whether a text can go (a send_sms hook);
    ``enabled``: PHONE_SIGN_IN; ``region``: PHONE_DEFAULT_REGION."""

    steps: CodeSteps
    numbers: PhoneNumbers
    budget: SmsBudget
    texts: TextSender
    enabled: bool = False
    region: str = ""

    def request(self, cmd: RequestPhoneCode) -> CodeRequested:
        """A new flow for the number, the asker's one before it void, one SMS spent of its
        budget and its text queued: the same work whether an account has the number or not. 422
        ``invalid_phone_number`` (or ``phone_number_type``) for a number that cannot be, 429
        ``phone_code_rate_limited`` past the number's requests, 429 ``sms_budget`` past what
        SMS may cost (the flow then void, nothing sent). Past half of its prefix's budget in
        the hour, 401 ``challenge_required`` until the request passes a challenge (where a
        provider is configured; else the budget alone holds)."""
        self.check_enabled()
        number = self.numbers.parse(cmd.phone_number, region=self.region or None)
        asked = Asked(
            to=number.e164,
            key=_number_key(number.e164),
            client_ip=cmd.client_ip,
            locale=cmd.locale,
            browser_secret=cmd.browser_secret,
            challenge_token=cmd.challenge_token,
            signal=Signal.PREFIX_TEXTS if self.budget.crowded(number) else None,
            guest_id=cmd.guest_id,
            code_challenge=cmd.code_challenge,
        )
        return self.steps.start(asked, paid=lambda _: self.spend(number))

    def verify(self, cmd: VerifyCode) -> TokenPair:
        """The token pair of the flow's number, for its right code, once (``CodeSteps``):
        401 mfa_required where the account has a second factor, 403 sso_required where its
        org requires its single sign-on; a number without an account gets one where sign-up
        is allowed. 400 ``invalid_phone_code`` / ``invalid_phone_flow``."""
        self.check_enabled()
        return self.steps.verify(cmd, self._holding())

    def redeem(self, cmd: RedeemLink) -> TokenPair | None:
        """The token pair of the flow whose texted link an app redeems with its verifier,
        once (``CodeSteps.redeem``); None when no text's link has that token (or phone
        sign-in is off here)."""
        if not self.available():
            return None
        return self.steps.redeem(cmd, self._holding())

    def shown(self, token: str) -> str | None:
        """The code a live texted link's page shows; None when no text's link has it."""
        if not self.available() or self.steps.linked(token) is None:
            return None
        return code_of(token)

    def _holding(self) -> Holding:
        users = self.steps.users
        return Holding(key=_number_key, holder=users.find_by_phone_number, prove=_proven_already)

    def spend(self, number: PhoneNumber) -> None:
        """One text to ``number`` spent of its prefix's budget, from the share kept for
        numbers with an account where one has it (read for every number alike: the same
        work whoever holds it; docs/decisions/0652-a-share-of-the-sms-budget-kept-for-accounts.md).
        429 ``sms_budget`` when it may not go."""
        held = self.steps.users.find_by_phone_number(number.e164) is not None
        self.budget.spend(number, held=held)

    def available(self) -> bool:
        """Whether codes can be texted now: PHONE_SIGN_IN and a send_sms hook (the sign-in
        page offers "Text me a code" only then)."""
        return self.enabled and self.texts.ready()

    def number(self, typed: str) -> PhoneNumber:
        """``typed`` parsed and typed, while phone sign-in is on: 404 ``phone_disabled``, 422
        ``invalid_phone_number`` or ``phone_number_type`` (an account's change of number
        parses its number as a sign-in's does)."""
        self.check_enabled()
        return self.numbers.parse(typed, region=self.region or None)

    def check_enabled(self) -> None:
        """404 ``phone_disabled`` unless phone sign-in is ``available``."""
        if not self.available():
            raise NotFound("Sign-in by phone is off here.", code=PHONE_DISABLED)


def _proven_already(user: User, ip: str | None) -> User:
    """An account holds a number only once a code proved it: nothing more to prove."""
    return user


@dataclass(frozen=True)
class TextSettings:
    """What a code's text says of the service: its name, and the host its WebOTP line binds
    the code to (PUBLIC_URL's); ``app_link``, the path of the page an app's link opens, where
    a unit serves one (a flow asked with a code_challenge is texted a link there)."""

    product: str
    public_url: str
    app_link: str | None = None

    @property
    def host(self) -> str:
        """PUBLIC_URL's host, lower-cased, without its port: the origin-bound one-time code's
        line is ``@`` and a domain (https://wicg.github.io/sms-one-time-codes/), and its
        readers find no code in ``@host:port #code``
        (docs/decisions/0655-the-webotp-line-names-the-host-without-its-port.md)."""
        return urlsplit(self.public_url).hostname or ""


@dataclass(frozen=True, kw_only=True, slots=True)
class PhoneCodeTextJob:
    """The PHONE_CODE_TEXT job: give the flow its code, then text it to the flow's number in
    the person's language, ending with the line ``@host #code`` (WebOTP, Apple's autofill).
    A flow voided or spent since the request gets nothing; a text not handed over is tried
    again while the job has attempts, then recorded as failed. ``kind``: the text's, and its
    template's name: ``phone_change`` for the code of an account's new number, which goes
    in the language the account asked in (the flow's) and names no account of the number."""

    flows: CodeFlowStore
    users: UserRepository
    renderer: TextRenderer
    sender: TextSender
    clock: Clock
    audit: AuditLog
    settings: TextSettings
    kind: str = PHONE_CODE

    def run(self, job: Job, final: bool) -> None:
        sending = issued(self.flows, job, self.clock.now())
        if sending is None:
            return
        flow = sending.flow
        user = self.users.find_by_phone_number(flow.to) if self.kind == PHONE_CODE else None
        message = self._message(flow, sending.token, user)
        user_id = user.id if user is not None else None
        try:
            self.sender.send(message)
        except TextUndelivered as exc:
            if not final:
                raise RetryJob(f"text not delivered yet: {exc}") from exc
            log.warning("giving up on the text of phone code flow %s: %s", flow.id, exc)
            self.audit.record(
                AuditEvent(Audit.TEXT, "failure", user_id=user_id, reason="delivery_failed")
            )
            return
        self.audit.record(AuditEvent(Audit.TEXT, user_id=user_id, reason=self.kind))

    def _message(self, flow: CodeFlow, token: str, user: User | None) -> TextMessage:
        code = code_of(token)
        locale = (user.locale if user is not None else None) or flow.locale or "en"
        left = flow.expires_at - self.clock.now()
        context = {
            "locale": locale,
            "product": self.settings.product,
            "code": code,
            "host": self.settings.host,
            "expires_minutes": str(max(1, round(left.total_seconds() / 60))),
            # An app asked (its code_challenge): the text carries its link too
            # (docs/reference/app-links.md)
            "link": self._link(flow, token),
        }
        text = self.renderer.render_text(self.kind, context)
        return TextMessage(to=flow.to, kind=self.kind, locale=locale, code=code, text=text)

    def _link(self, flow: CodeFlow, token: str) -> str:
        path = self.settings.app_link
        if flow.code_challenge is None or path is None:
            return ""
        return f"{self.settings.public_url}{path}?token={token}"
