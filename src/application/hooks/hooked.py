"""The hooks as the lower rooms call them: signin's ``TokenHook`` (``before_token``) and
``SignInHook`` (``before_sign_in``), the provider's ``CredentialsHook``
(``credentials_exchange``), mail's
``Mailer`` (``send_mail``) and the phone codes' ``TextSender`` (``send_sms``), each asking its
kind's hooks through the ``KindCaller`` its capability asked the hooks for (docs/hooks.md,
docs/decisions/0487-before-token-and-send-mail.md,
docs/decisions/0532-one-code-flow-for-every-channel.md)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from application.hooks.caller import HookResult, KindCaller
from application.ports import (
    Mail,
    MailBrand,
    Mailer,
    MailUndelivered,
    TextMessage,
    TextUndelivered,
)
from domain.errors import PermissionDenied
from domain.hooks.auth_hooks import SignInAnswer, SignInDecision, checked_claims, claims_merged
from domain.hooks.before_sign_in import SignInHookRequest, SignInVerdict, joined_verdict
from domain.hooks.before_token import NO_CLAIMS, TokenHookRequest
from domain.hooks.credentials_exchange import CredentialsRequest, credentials_refused

HOOK_FAILED = "hook_failed"


def hook_failed() -> PermissionDenied:
    """A hook set to ``on_failure: deny`` failed: what it was asked about is refused."""
    return PermissionDenied(
        "The sign-in was refused: a check this service makes before it issues a token failed. "
        "Try again shortly.",
        code=HOOK_FAILED,
    )


type Claims = Mapping[str, object]


def merged_claims(
    caller: KindCaller[Claims],
    payload: Mapping[str, object],
    *,
    client: str | None,
    org: str | None,
) -> Mapping[str, object]:
    """The claims of each hook of ``kind`` (``before_token``, ``credentials_exchange``) that
    applies, merged in their order under one bound of 1,000 bytes: an answer that would take
    the whole past it fails as one too large. 403 ``hook_failed`` when a failed one denies
    (the hooks after it are not asked). No answer may set a claim of ``caller.reserved``."""
    merged: dict[str, object] = {}  # what the hooks asked so far answered, merged

    def check(answer: Mapping[str, object]) -> Mapping[str, object]:
        # each is asked after the last
        claims = claims_merged(merged, checked_claims(answer, caller.reserved))
        merged.update(claims)
        return claims

    results = caller.call_all_with(payload, check, client=client, org=org, until=_refused)
    if any(result.refused for result in results):
        raise hook_failed()
    return merged or NO_CLAIMS


def _refused(result: HookResult[Mapping[str, object]]) -> bool:
    return result.refused


def _id_of(found: Mapping[str, object] | None, name: str) -> str | None:
    value = None if found is None else found.get(name)
    return value if isinstance(value, str) else None


@dataclass(frozen=True, kw_only=True, slots=True)
class TokenClaimsHook:
    """``before_token``: the claims the hooks that apply to the token's client and org
    answer, checked (no reserved claim, at most 1,000 bytes together) and merged in their
    order; none when no hook applies or failed ones allow; 403 ``hook_failed`` when a failed
    one denies."""

    caller: KindCaller[Claims]

    def before_token(self, request: TokenHookRequest) -> Mapping[str, object]:
        client, org = _id_of(request.client, "client_id"), _id_of(request.org, "id")
        if not self.caller.applying(client=client, org=org):
            return NO_CLAIMS  # no payload built
        payload = {
            "user": request.user,
            "session": request.session,
            "client": request.client,
            "org": request.org,
            "token_kind": request.token_kind,
        }
        return merged_claims(self.caller, payload, client=client, org=org)


@dataclass(frozen=True, kw_only=True, slots=True)
class CredentialsClaimsHook:
    """``credentials_exchange``: the claims the hooks that apply to the token's client and
    org answer for a token with no person in it, checked and merged as ``before_token``'s;
    none when no hook applies or failed ones allow; CredentialsRefused when a failed one
    denies (docs/decisions/0580-credentials-exchange.md)."""

    caller: KindCaller[Claims]

    def credentials_exchange(self, request: CredentialsRequest) -> Mapping[str, object]:
        client, org = request.client_id, request.org
        if not self.caller.applying(client=client, org=org):
            return NO_CLAIMS
        try:
            return merged_claims(self.caller, request.payload(), client=client, org=org)
        except PermissionDenied:
            raise credentials_refused() from None


@dataclass(frozen=True, kw_only=True, slots=True)
class SignInCheckHook:
    """``before_sign_in``: each hook that applies to the sign-in's client and org asked in
    turn until one denies; a failed one that allows is as if it were not there, a failed
    one that denies denies (docs/hooks.md, "before_sign_in")."""

    caller: KindCaller[SignInAnswer]
    # The request's client address and user agent, and the OpenID client its page signs in
    # for, where the sign-in does not name them.
    origin: Callable[[], tuple[str, str]] = lambda: ("", "")
    client_of: Callable[[], str | None] = lambda: None

    def active(self) -> bool:
        return self.caller.has()

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
            request.payload(),
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


def brand_payload(brand: MailBrand | None) -> Mapping[str, object] | None:
    """The ``brand`` of a send_mail or send_sms payload: the org's brand a mail or text went
    out under, ``{"display_name", "logo_url", "color"}``, else None (docs/hooks.md)."""
    if brand is None:
        return None
    return {"display_name": brand.name, "logo_url": brand.logo_url, "color": brand.color}


@dataclass(frozen=True, kw_only=True, slots=True)
class HookMailer:
    """``send_mail``: each mail handed to the hooks instead of ``smtp`` when one is set, in
    their order until one accepts it (docs/decisions/0579-several-hooks-of-a-kind.md). A
    failed call of a hook that denies is an undelivered mail (its job tries again, as after
    an SMTP failure); of one that allows, the next hook is asked, and ``smtp`` sends it after
    the last."""

    caller: KindCaller[Claims]
    smtp: Mailer

    def send(self, mail: Mail) -> None:
        if not self.caller.applying():
            self.smtp.send(mail)
            return
        payload = {
            "to": mail.to,
            "kind": mail.kind,
            "locale": mail.locale,
            "subject": mail.subject,
            "text": mail.text,
            "html": mail.html,
            "brand": brand_payload(mail.brand),
        }
        results = self.caller.call_all(payload, until=lambda r: r.answered or r.refused)
        if any(result.answered for result in results):
            return
        refused = [result for result in results if result.refused]
        if refused:
            raise MailUndelivered(f"the send_mail hook failed: {refused[0].error}")
        self.smtp.send(mail)  # no hook any more, or failed ones that allow


@dataclass(frozen=True, kw_only=True, slots=True)
class HookTexter:
    """``send_sms``: each text message handed to the hooks in their order until one accepts
    it, the only way one goes (no hook: phone sign-in is off). When none accepts, the text is
    undelivered, whatever ``on_failure`` says: its job tries again, and records the failure
    after its last attempt."""

    caller: KindCaller[Claims]

    def ready(self) -> bool:
        return self.caller.applying()

    def send(self, message: TextMessage) -> None:
        payload = {
            "to": message.to,
            "kind": message.kind,
            "locale": message.locale,
            "code": message.code,
            "text": message.text,
            "brand": brand_payload(message.brand),
        }
        results = self.caller.call_all(payload, until=lambda r: r.answered)
        if not any(result.answered for result in results):
            error = results[-1].error if results else "no hook"
            raise TextUndelivered(f"the send_sms hook failed: {error}")
