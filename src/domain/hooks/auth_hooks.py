"""Auth hooks: the operator's endpoints firegate calls at fixed points and waits for
(docs/hooks.md, docs/reference/auth-hooks.md, docs/decisions/0486-auth-hooks.md). Signed and
checked as webhooks are (domain/standard_webhooks.py, domain/public_urls.py); here, the
record, its bounds, the calls kept, and the checks of an answer."""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType

from domain.errors import Conflict, InvalidInput
from domain.hooks.before_token import RESERVED_CLAIMS
from domain.text import has_control, is_text


class OnFailure(StrEnum):
    ALLOW = "allow"  # go on as if there were no hook
    DENY = "deny"  # refuse what the hook was asked about


DEFAULT_TIMEOUT_MS = 2000
MAX_TIMEOUT_MS = 5000
MAX_ANSWER_BYTES = 16 * 1024  # an answer longer than this is a failure, unread
MAX_CLAIMS_BYTES = 1000  # the claims' JSON, Firebase's own limit for custom claims
MAX_MESSAGE_LENGTH = 200  # a deny's message shown to the person signing up
MAX_NAME_LENGTH = 100
CALLS_KEPT = 100
MAX_ERROR_LENGTH = 200
MAX_HOOKS_PER_KIND = 10  # docs/decisions/0578-hooks-scope-and-order.md
MAX_SCOPE_ENTRIES = 50  # ids in a hook's ``clients``, and in its ``orgs``
MAX_ORDER = 1_000_000  # |order|
TOTAL_DEADLINE_MS = 5000  # the kind's hooks of one call, together (docs/hooks.md)


@dataclass(frozen=True)
class AuthHook:
    hook_id: str
    kind: str  # its kind's name (domain/hooks/kinds.py)
    url: str
    timeout_ms: int
    on_failure: OnFailure
    secret: str  # sealed by the SecretBox, as a webhook's (docs/security.md)
    created_at: datetime
    order: int = 0  # lower first; ties by ``created_at``
    clients: tuple[str, ...] = ()  # the OAuth clients it applies to; () = every call
    orgs: tuple[str, ...] = ()  # the orgs it applies to; () = every call

    @property
    def timeout(self) -> float:
        return self.timeout_ms / 1000

    @property
    def place(self) -> tuple[int, datetime, str]:
        """Where it is asked among its kind's hooks: by ``order``, then the older first."""
        return self.order, self.created_at, self.hook_id

    def applies(self, client: str | None, org: str | None) -> bool:
        """Whether a call about ``client`` and ``org`` (None: about none) is one of this
        hook's: a hook scoped to clients (orgs) applies only to calls about one of them,
        never to a call about no client (no org)
        (docs/decisions/0578-hooks-scope-and-order.md)."""
        if self.clients and client not in self.clients:
            return False
        return not self.orgs or org in self.orgs


def too_many_hooks() -> Conflict:
    """A kind has ``MAX_HOOKS_PER_KIND`` hooks: remove one before adding another."""
    return Conflict(
        f"This kind has {MAX_HOOKS_PER_KIND} hooks, the most it may have: remove one first.",
        code="too_many_hooks",
        field="kind",
    )


def checked_order(order: int) -> int:
    if isinstance(order, bool) or not isinstance(order, int) or abs(order) > MAX_ORDER:
        raise InvalidInput.field(
            "order", "A whole number, -1000000 to 1000000.", "invalid_hook_order"
        )
    return order


def checked_scope(field: str, ids: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """A hook's ``clients`` or ``orgs``: at most ``MAX_SCOPE_ENTRIES`` ids, each 1 to 200
    printable characters, without repeats (kept in the order given)."""
    valid = len(ids) <= MAX_SCOPE_ENTRIES and all(
        isinstance(each, str) and 0 < len(each) <= 200 and not has_control(each) and each.strip()
        for each in ids
    )
    if not valid:
        raise InvalidInput.field(
            field,
            f"At most {MAX_SCOPE_ENTRIES} ids, each 1 to 200 characters.",
            "invalid_hook_scope",
        )
    return tuple(dict.fromkeys(each.strip() for each in ids))


def checked_timeout(timeout_ms: int) -> int:
    if isinstance(timeout_ms, bool) or not 1 <= timeout_ms <= MAX_TIMEOUT_MS:
        raise InvalidInput.field(
            "timeout_ms", "A whole number of milliseconds, 1 to 5000.", "invalid_hook_timeout"
        )
    return timeout_ms


def checked_on_failure(on_failure: str) -> OnFailure:
    try:
        return OnFailure(on_failure)
    except ValueError:
        raise InvalidInput.field(
            "on_failure", "Either allow or deny.", "invalid_hook_on_failure"
        ) from None


# -- the calls kept ------------------------------------------------------------------------------


class CallOutcome(StrEnum):
    """How a call ended: the ``outcome`` label of ``firegate_hook_calls_total``."""

    OK = "ok"
    TIMEOUT = "timeout"  # no whole answer by the hook's deadline
    UNREACHABLE = "unreachable"  # refused, reset, a TLS failure, a URL not allowed
    STATUS = "status"  # an answer, not 2xx
    BAD_ANSWER = "bad_answer"  # not JSON or not text, not the shape, a reserved claim, too long


@dataclass(frozen=True)
class HookCall:
    """One call, as the admins see it: never its payload or its answer."""

    hook_id: str
    at: datetime
    duration_ms: int
    outcome: CallOutcome
    status: int | None  # the HTTP status; None without an answer
    error: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.outcome is CallOutcome.OK


def call_slot() -> int:
    """Where a call is kept: one of ``CALLS_KEPT`` slots, each call overwriting the one it
    draws, so that keeping it is one write, with no read and no contention between calls
    (docs/decisions/0486-auth-hooks.md)."""
    return secrets.randbelow(CALLS_KEPT)


# -- answers ------------------------------------------------------------------------------------


class BadAnswer(Exception):
    """An answer the hook's kind does not accept; its text says why (kept in the call)."""


def parsed_answer(body: bytes) -> Mapping[str, object]:
    """The answer's JSON object (an empty body: ``{}``), or BadAnswer: not JSON, nested past
    what the parser follows, not an object, or holding a string that is not text (a lone
    surrogate, which JSON's ``"\\ud800"`` escape spells and no UTF-8 encodes). Every kind's
    answer is parsed here, so no kind's check, store or token ever meets such a string."""
    if not body.strip():
        return {}
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise BadAnswer("not_json") from None
    except RecursionError:
        raise BadAnswer("too_deep") from None
    if not isinstance(document, dict):
        raise BadAnswer("not_an_object")
    if not _all_text(document):
        raise BadAnswer("not_text")
    return document


def _all_text(document: object) -> bool:
    """Whether every string in ``document``, keys and values, is text (a loop, not a
    recursion: the answer may be nested as deep as its 16 KiB allow)."""
    pending = [document]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            if not is_text(value):
                return False
        elif isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return True


def _text(value: object, field: str, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit or has_control(value):
        raise BadAnswer(f"bad_{field}")
    return value


def _object(value: object, field: str) -> Mapping[str, object]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadAnswer(f"bad_{field}")
    return value


@dataclass(frozen=True)
class SignUpAnswer:
    """A ``before_sign_up`` answer, its shape checked (its attributes are checked against the
    profile schema by the caller)."""

    allowed: bool
    message: str
    name: str | None
    last_name: str | None
    attributes: Mapping[str, object] | None


def checked_sign_up_answer(answer: Mapping[str, object]) -> SignUpAnswer:
    """``{"decision": "allow"|"deny", "message", "user": {"name", "last_name",
    "attributes"}}``, or BadAnswer."""
    decision = answer.get("decision")
    if decision not in ("allow", "deny"):
        raise BadAnswer("bad_decision")
    message = _text(answer.get("message"), "message", MAX_MESSAGE_LENGTH) or ""
    user = _object(answer.get("user"), "user")
    attributes = user.get("attributes")
    return SignUpAnswer(
        allowed=decision == "allow",
        message=message,
        name=_text(user.get("name"), "name", MAX_NAME_LENGTH),
        last_name=_text(user.get("last_name"), "last_name", MAX_NAME_LENGTH),
        attributes=None if attributes is None else _object(attributes, "attributes"),
    )


def checked_claims(
    answer: Mapping[str, object], reserved: frozenset[str] = RESERVED_CLAIMS
) -> Mapping[str, object]:
    """The claims of a ``before_token`` answer (``{"claims": {…}}``): an object of no
    ``reserved`` claim (the token frame's and the units' claim sources':
    ``ClaimSources.reserved``), at most 1,000 bytes as compact JSON; BadAnswer otherwise."""
    claims = _object(answer.get("claims"), "claims")
    named = sorted(name for name in claims if name in reserved)
    if named:
        raise BadAnswer(f"reserved_claim:{named[0]}")
    size = len(json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode())
    if size > MAX_CLAIMS_BYTES:
        raise BadAnswer("claims_too_large")
    return dict(claims)


class SignInDecision(StrEnum):
    ALLOW = "allow"
    DENY = "deny"
    REQUIRE = "require"  # a factor more before the sign-in finishes


class RequiredFactor(StrEnum):
    """What a ``before_sign_in`` answer may require (docs/hooks.md, "before_sign_in")."""

    OTP = "otp"  # the account's authenticator app (or a recovery code)
    PASSKEY = "passkey"


@dataclass(frozen=True)
class SignInAnswer:
    """A ``before_sign_in`` answer, its shape checked."""

    decision: SignInDecision
    message: str = ""
    require: tuple[RequiredFactor, ...] = ()
    session_claims: Mapping[str, object] = MappingProxyType({})


def _claims(value: object, field: str, reserved: frozenset[str]) -> Mapping[str, object]:
    """An object of claims: no ``reserved`` one, at most 1,000 bytes as compact JSON."""
    claims = _object(value, field)
    named = sorted(name for name in claims if name in reserved)
    if named:
        raise BadAnswer(f"reserved_claim:{named[0]}")
    size = len(json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode())
    if size > MAX_CLAIMS_BYTES:
        raise BadAnswer(f"{field}_too_large")
    return dict(claims)


def checked_sign_in_answer(
    answer: Mapping[str, object], reserved: frozenset[str] = RESERVED_CLAIMS
) -> SignInAnswer:
    """``{"decision": "allow"|"deny"|"require", "message", "require": ["otp"|"passkey"],
    "session_claims": {…}}``, or BadAnswer: a ``require`` decision names at least one factor,
    and the session's claims are as ``before_token``'s are (no reserved claim, at most 1,000
    bytes)."""
    try:
        decision = SignInDecision(str(answer.get("decision")))
    except ValueError:
        raise BadAnswer("bad_decision") from None
    message = _text(answer.get("message"), "message", MAX_MESSAGE_LENGTH) or ""
    listed = answer.get("require")
    if listed is None:
        listed = []
    if not isinstance(listed, list):
        raise BadAnswer("bad_require")
    try:
        required = tuple(dict.fromkeys(RequiredFactor(str(item)) for item in listed))
    except ValueError:
        raise BadAnswer("bad_require") from None
    if decision is SignInDecision.REQUIRE and not required:
        raise BadAnswer("bad_require")
    return SignInAnswer(
        decision=decision,
        message=message,
        require=required if decision is SignInDecision.REQUIRE else (),
        session_claims=_claims(answer.get("session_claims"), "session_claims", reserved),
    )


def claims_merged(
    earlier: Mapping[str, object], added: Mapping[str, object]
) -> Mapping[str, object]:
    """The claims of several hooks of a kind, merged in their order (a later hook's value
    for a name the earlier gave wins): BadAnswer ``claims_too_large`` when the whole would
    pass 1,000 bytes as compact JSON, the bound being on what the token carries."""
    merged = {**earlier, **added}
    size = len(json.dumps(merged, separators=(",", ":"), ensure_ascii=False).encode())
    if size > MAX_CLAIMS_BYTES:
        raise BadAnswer("claims_too_large")
    return merged


def checked_mail_answer(answer: Mapping[str, object]) -> Mapping[str, object]:
    """A ``send_mail`` (or ``send_sms``) answer: any JSON object (``{}`` will do)."""
    return answer


def checked_password_verdict(answer: Mapping[str, object]) -> bool:
    """A ``password_verification`` answer, ``{"valid": true|false}``: whether the password
    typed is the account's in the old system; BadAnswer for anything else."""
    valid = answer.get("valid")
    if not isinstance(valid, bool):
        raise BadAnswer("bad_valid")
    return valid
