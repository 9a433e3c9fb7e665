"""The hooks as the lower rooms call them: signin's ``TokenHook`` (``before_token``) and
``SignInHook`` (``before_sign_in``), mail's
``Mailer`` (``send_mail``) and the phone codes' ``TextSender`` (``send_sms``), each asking its
kind's hook through one ``HookCaller`` (docs/hooks.md,
docs/decisions/0487-before-token-and-send-mail.md,
docs/decisions/0532-one-code-flow-for-every-channel.md)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from application.hooks.caller import HookCaller
from application.ports import Mail, Mailer, MailUndelivered, TextMessage, TextUndelivered
from domain.errors import PermissionDenied
from domain.hooks.auth_hooks import (
    HookKind,
    SignInDecision,
    checked_claims,
    checked_mail_answer,
    checked_sign_in_answer,
)
from domain.hooks.before_sign_in import SignInHookRequest, SignInVerdict, joined_verdict
from domain.hooks.before_token import NO_CLAIMS, TokenHookRequest

HOOK_FAILED = "hook_failed"


def hook_failed() -> PermissionDenied:
    """A hook set to ``on_failure: deny`` failed: what it was asked about is refused."""
    return PermissionDenied(
        "The sign-in was refused: a check this service makes before it issues a token failed. "
        "Try again shortly.",
        code=HOOK_FAILED,
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class TokenClaimsHook:
    """``before_token``: the claims the hook answers, checked (no reserved claim, at most
    1,000 bytes); none when no hook is set or a failed one allows; 403 ``hook_failed`` when a
    failed one denies."""

    caller: HookCaller

    def before_token(self, request: TokenHookRequest) -> Mapping[str, object]:
        if self.caller.hook(HookKind.BEFORE_TOKEN) is None:  # no payload built
            return NO_CLAIMS
        payload = {
            "user": request.user,
            "session": request.session,
            "client": request.client,
            "org": request.org,
            "token_kind": request.token_kind,
        }
        result = self.caller.call(HookKind.BEFORE_TOKEN, payload, checked_claims)
        if result.answer is not None:
            return result.answer
        if result.refused:
            raise hook_failed()
        return NO_CLAIMS


@dataclass(frozen=True, kw_only=True, slots=True)
class SignInCheckHook:
    """``before_sign_in``: each hook that applies to the sign-in's client and org asked in
    turn until one denies; a failed one that allows is as if it were not there, a failed
    one that denies denies (docs/hooks.md, "before_sign_in")."""

    caller: HookCaller
    # The request's client address and user agent, and the OpenID client its page signs in
    # for, where the sign-in does not name them.
    origin: Callable[[], tuple[str, str]] = lambda: ("", "")
    client_of: Callable[[], str | None] = lambda: None

    def active(self) -> bool:
        return self.caller.hook(HookKind.BEFORE_SIGN_IN) is not None

    def before_sign_in(self, request: SignInHookRequest) -> SignInVerdict:
        if not request.ip or not request.user_agent:
            ip, agent = self.origin()
            request = replace(
                request, ip=request.ip or ip or None, user_agent=request.user_agent or agent or None
            )
        if request.client is None and (client_id := self.client_of()) is not None:
            request = replace(request, client={"client_id": client_id})
        client = request.client.get("client_id") if request.client is not None else None
        org = request.org.get("id") if request.org is not None else None
        results = self.caller.call_all(
            HookKind.BEFORE_SIGN_IN,
            request.payload(),
            checked_sign_in_answer,
            client=client if isinstance(client, str) else None,
            org=org if isinstance(org, str) else None,
            until=lambda result: (
                result.refused
                or (result.answer is not None and result.answer.decision is SignInDecision.DENY)
            ),
        )
        return joined_verdict(
            result.answer for result in results if result.answer is not None or result.refused
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class HookMailer:
    """``send_mail``: each mail handed to the hook instead of ``smtp`` when one is set. A
    failed call of a hook that denies is an undelivered mail (its job tries again, as after
    an SMTP failure); of one that allows, ``smtp`` sends it."""

    caller: HookCaller
    smtp: Mailer

    def send(self, mail: Mail) -> None:
        if self.caller.hook(HookKind.SEND_MAIL) is None:
            self.smtp.send(mail)
            return
        payload = {
            "to": mail.to,
            "kind": mail.kind,
            "locale": mail.locale,
            "subject": mail.subject,
            "text": mail.text,
            "html": mail.html,
        }
        result = self.caller.call(HookKind.SEND_MAIL, payload, checked_mail_answer)
        if result.answer is not None:
            return
        if result.refused:
            raise MailUndelivered(f"the send_mail hook failed: {result.error}")
        self.smtp.send(mail)  # no hook any more, or a failed one that allows


@dataclass(frozen=True, kw_only=True, slots=True)
class HookTexter:
    """``send_sms``: each text message handed to the hook, the only way one goes (no hook:
    phone sign-in is off). A failed call is an undelivered text, whatever ``on_failure``
    says: its job tries again, and records the failure after its last attempt."""

    caller: HookCaller

    def ready(self) -> bool:
        return self.caller.hook(HookKind.SEND_SMS) is not None

    def send(self, message: TextMessage) -> None:
        payload = {
            "to": message.to,
            "kind": message.kind,
            "locale": message.locale,
            "code": message.code,
            "text": message.text,
        }
        result = self.caller.call(HookKind.SEND_SMS, payload, checked_mail_answer)
        if result.answer is None:
            raise TextUndelivered(f"the send_sms hook failed: {result.error or 'no hook'}")
