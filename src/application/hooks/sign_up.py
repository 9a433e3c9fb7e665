"""The ``before_sign_up`` hook: what the accounts ask before an account is made
(``SignUpHook``), answered by the operator's endpoint (docs/hooks.md, "before_sign_up")."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from application.accounts.accounts import ProfileSchemaSource
from application.hooks.caller import KindCaller
from domain.accounts.profile import check_name
from domain.accounts.signups import ALLOWED, SignUpAttempt, SignUpVerdict
from domain.errors import InvalidInput
from domain.hooks.auth_hooks import BadAnswer, SignUpAnswer, checked_sign_up_answer

HOOK_WRITER = "hook"  # the attributes' writer (the profile schema's x-write)
# The message of a refusal because the hook failed and says to refuse then (on_failure: deny).
FAILED_CLOSED = "Signing up is not possible right now. Try again later."


@dataclass(frozen=True, kw_only=True, slots=True)
class BeforeSignUp:
    """The accounts' ``SignUpHook`` through the hooks' caller. ``schemas``: the profile
    schema the answer's attributes are checked against (as written by ``hook``); ``origin``:
    the request's client address and user agent, where the attempt does not name them."""

    caller: KindCaller[SignUpAnswer]
    schemas: ProfileSchemaSource
    origin: Callable[[], tuple[str, str]]

    def before_sign_up(self, attempt: SignUpAttempt) -> SignUpVerdict:
        if not self.caller.applying(org=attempt.org_id):
            return ALLOWED
        ip, agent = attempt.ip, attempt.user_agent
        if not ip or not agent:
            found_ip, found_agent = self.origin()
            ip, agent = ip or found_ip or None, agent or found_agent or None
        payload = {
            "user": {
                "email": attempt.email,
                "username": attempt.username,
                "method": attempt.method,
                "provider": attempt.provider,
                "org_id": attempt.org_id,
            },
            "context": {"ip": ip, "user_agent": agent},
        }
        results = self.caller.call_all_with(
            payload,
            self._verdict,
            org=attempt.org_id,
            until=lambda r: r.refused or (r.answer is not None and not r.answer.allowed),
        )
        verdict = ALLOWED
        for result in results:
            if result.refused:
                return SignUpVerdict(allowed=False, message=FAILED_CLOSED)
            if result.answer is not None:
                verdict = merged_verdict(verdict, result.answer)
        return verdict

    def _verdict(self, answer: Mapping[str, object]) -> SignUpVerdict:
        """The answer as the accounts take it: its names fit an account's, its attributes
        are ones the schema lets ``hook`` write; else BadAnswer (a failed call)."""
        checked = checked_sign_up_answer(answer)
        try:
            check_name("name", checked.name)
            check_name("last_name", checked.last_name)
        except InvalidInput:
            raise BadAnswer("bad_name") from None
        attributes = None
        if checked.attributes:
            try:
                attributes = self.schemas.current().written({}, checked.attributes, HOOK_WRITER)
            except InvalidInput as refused:
                where = refused.errors[0].field if refused.errors else "attributes"
                raise BadAnswer(f"attribute_refused:{where}") from None
        return SignUpVerdict(
            allowed=checked.allowed,
            message=checked.message,
            name=checked.name,
            last_name=checked.last_name,
            attributes=attributes,
        )


def merged_verdict(earlier: SignUpVerdict, later: SignUpVerdict) -> SignUpVerdict:
    """Several hooks' answers as one, in their order: the first deny wins (with its
    message); the ``user`` fields each gives are taken over those before
    (docs/hooks.md, "Scope and order")."""
    if not later.allowed:
        return later
    attributes = {**(earlier.attributes or {}), **(later.attributes or {})}
    return SignUpVerdict(
        allowed=earlier.allowed,
        message=earlier.message,
        name=later.name if later.name is not None else earlier.name,
        last_name=later.last_name if later.last_name is not None else earlier.last_name,
        attributes=attributes or None,
    )
