"""What a ``before_sign_in`` hook is told about a sign-in before its session exists, what its
answers come to when several hooks are asked, and the refusals a sign-in then meets
(docs/hooks.md, "before_sign_in"; docs/decisions/0569-before-sign-in-on-every-way-in.md)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from domain.errors import PermissionDenied
from domain.hooks.auth_hooks import RequiredFactor, SignInAnswer, SignInDecision

NO_SESSION_CLAIMS: Mapping[str, object] = MappingProxyType({})

# The message of a refusal because a hook failed and says to refuse then (on_failure: deny).
FAILED_CLOSED = "Signing in is not possible right now. Try again later."


@dataclass(frozen=True, slots=True)
class SignInHookRequest:
    """The hook's payload: the person (as ``before_token`` shows them), the way in
    (``method``, as the sign-in's event names it) and how they proved who they are
    (``amr``), the org and the OpenID client the sign-in is for (None: none), and where it
    comes from (``ip``, ``user_agent``)."""

    user: Mapping[str, object]
    method: str
    amr: tuple[str, ...]
    org: Mapping[str, object] | None = None
    client: Mapping[str, object] | None = None
    ip: str | None = None
    user_agent: str | None = None

    def payload(self) -> dict[str, object]:
        return {
            "user": dict(self.user),
            "method": self.method,
            "amr": list(self.amr),
            "org": None if self.org is None else dict(self.org),
            "client": None if self.client is None else dict(self.client),
            "context": {"ip": self.ip, "user_agent": self.user_agent},
        }


@dataclass(frozen=True)
class SignInVerdict:
    """What the hooks asked about a sign-in came to: denied (with the hook's message), the
    factors it must show more, and the claims its session carries."""

    denied: bool = False
    message: str = ""
    require: tuple[RequiredFactor, ...] = ()
    session_claims: Mapping[str, object] = field(default=NO_SESSION_CLAIMS)


SIGN_IN_ALLOWED = SignInVerdict()


def joined_verdict(answers: Iterable[SignInAnswer | None]) -> SignInVerdict:
    """The hooks' answers in their order, as one verdict (None: a failed hook whose
    ``on_failure`` refuses): the first deny decides; the factors required join; the session
    claims merge, a later hook's name over an earlier one's."""
    require: dict[RequiredFactor, None] = {}
    claims: dict[str, object] = {}
    for answer in answers:
        if answer is None:
            return SignInVerdict(denied=True, message=FAILED_CLOSED)
        if answer.decision is SignInDecision.DENY:
            return SignInVerdict(denied=True, message=answer.message)
        require.update(dict.fromkeys(answer.require))
        claims.update(answer.session_claims)
    return SignInVerdict(require=tuple(require), session_claims=MappingProxyType(claims))


# What in an ``amr`` shows each factor a hook may require (RFC 8176; a passkey is "hwk" or
# "swk", docs/decisions/0122-passkey-amr.md).
SHOWN_BY: Mapping[RequiredFactor, frozenset[str]] = {
    RequiredFactor.OTP: frozenset(("otp",)),
    RequiredFactor.PASSKEY: frozenset(("hwk", "swk")),
}


def missing_factors(
    require: Iterable[RequiredFactor], amr: Iterable[str]
) -> tuple[RequiredFactor, ...]:
    """The required factors ``amr`` does not show yet (a sign-in is never asked again for
    what it showed)."""
    shown = set(amr)
    return tuple(factor for factor in require if not SHOWN_BY[factor] & shown)


class SignInDenied(PermissionDenied):
    """The operator's ``before_sign_in`` hook refused the sign-in (or failed, with
    ``on_failure: deny``); ``detail`` is its message."""

    code = "signin_denied"
    title = "Sign-in denied"
    credentials_proven = True

    def __init__(self, message: str) -> None:
        super().__init__(message or "The sign-in was refused.")


class SignInFactorUnavailable(PermissionDenied):
    """A ``before_sign_in`` hook requires a factor the account does not have."""

    code = "signin_factor_unavailable"
    title = "Sign-in factor unavailable"
    credentials_proven = True

    def __init__(self, factor: RequiredFactor) -> None:
        what = "an authenticator app" if factor is RequiredFactor.OTP else "a passkey"
        super().__init__(f"This sign-in needs {what}, which this account does not have.")


class SignInPasskeyRequired(PermissionDenied):
    """A ``before_sign_in`` hook requires a passkey of an account that has one: the person
    signs in with it (docs/decisions/0570-a-required-factor.md)."""

    code = "signin_passkey_required"
    title = "Passkey required"
    credentials_proven = True

    def __init__(self) -> None:
        super().__init__("This sign-in needs your passkey: sign in with it.")
