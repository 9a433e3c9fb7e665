"""One call of a hook: the signed POST, its deadline, the answer checked, the call counted and
kept (docs/hooks.md, "Failures"); and a kind's hooks as the capability that asks them holds
them (``KindCaller``, from ``HookCalls.caller_for``)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from application.hooks.ports import AuthHookStore, HookClient, HookPolicy
from application.metrics import HOOK_CALL_DURATION, HOOK_CALLS
from application.outbound import (
    DEADLINE_EXCEEDED,
    NOT_HTTPS,
    Answer,
    DocumentTooLarge,
    HostResolver,
    WebhookUnreachable,
    public_address_of,
)
from application.ports import NO_METRICS, Clock, Metrics, SecretBox
from application.remembered import KeptCopy
from domain.errors import Unavailable
from domain.hooks.auth_hooks import (
    MAX_ANSWER_BYTES,
    MAX_ERROR_LENGTH,
    TOTAL_DEADLINE_MS,
    AuthHook,
    BadAnswer,
    CallOutcome,
    HookCall,
    OnFailure,
    parsed_answer,
)
from domain.hooks.before_token import RESERVED_CLAIMS
from domain.hooks.kinds import HookKind, HookKinds
from domain.slots import Slot
from domain.standard_webhooks import new_message_id, signed_headers

log = logging.getLogger("firegate.auth_hooks")

# A hook the kind's total deadline left no time for (docs/hooks.md, "Scope and order")
TOTAL_DEADLINE_EXCEEDED = "total_deadline_exceeded"
TOTAL_DEADLINE = TOTAL_DEADLINE_MS / 1000


@dataclass(frozen=True)
class HookResult[T]:
    """What came of asking a kind's hook: ``answer`` when it answered well; otherwise no hook
    (``hook`` None), or a failure (``error``) that its ``on_failure`` resolves."""

    hook: AuthHook | None
    answer: T | None = None
    error: str | None = None

    @property
    def answered(self) -> bool:
        return self.answer is not None

    @property
    def refused(self) -> bool:
        """Failed, and the hook says to refuse then (``on_failure: deny``)."""
        return (
            self.hook is not None and self.answer is None and self.hook.on_failure is OnFailure.DENY
        )


@dataclass(frozen=True)
class Asked[T]:
    """How one call went: its outcome, the receiver's status, why it failed, the checked
    answer, and how long it took (seconds)."""

    outcome: CallOutcome
    status: int | None
    error: str | None
    answer: T | None
    duration: float


class HookCache:
    """The hooks, read at most once per ``ttl`` seconds per process (they are asked at every
    sign-up and token); a change made in this process drops the copy. On a failed read an
    expired copy is kept. Each kind's hooks in the order they are asked."""

    def __init__(self, store: AuthHookStore, clock: Clock, ttl: float) -> None:
        self._copy = KeptCopy(
            lambda: _by_kind(store.list_all()), clock=clock, ttl=ttl, log=log, what="auth hooks"
        )

    def get(self, kind: str) -> tuple[AuthHook, ...]:
        """The hooks of the kind named ``kind``, in the order they are asked."""
        return self._copy.get().get(kind, ())

    def drop(self) -> None:
        self._copy.drop()


def _by_kind(hooks: list[AuthHook]) -> dict[str, tuple[AuthHook, ...]]:
    found: dict[str, list[AuthHook]] = {}
    for hook in hooks:
        found.setdefault(hook.kind, []).append(hook)
    return {kind: tuple(sorted(each, key=lambda h: h.place)) for kind, each in found.items()}


@dataclass(frozen=True, kw_only=True, slots=True)
class HookCaller:
    """Makes one call of a kind's hook, if there is one: a POST of the payload signed with the
    hook's secret (Standard Webhooks), to the address its host was checked to resolve to
    (outside the local profile: https and a public address), cut at its ``timeout_ms``; the
    answer parsed and handed to the kind's ``check``. Counts and keeps every call; recording
    it never fails the call."""

    cache: HookCache
    store: AuthHookStore
    box: SecretBox
    resolver: HostResolver
    client: HookClient
    clock: Clock
    policy: HookPolicy
    metrics: Metrics = NO_METRICS

    def has(self, kind: HookKind[Any]) -> bool:
        """Whether any hook of ``kind`` is set, whatever its scope."""
        return bool(self.cache.get(kind.name))

    def applying(
        self, kind: HookKind[Any], *, client: str | None = None, org: str | None = None
    ) -> list[AuthHook]:
        """The hooks of ``kind`` that apply to a call about ``client`` and ``org`` (None: the
        call is about no client, no org), in the order they are asked: by ``order``, then the
        older first (docs/hooks.md, "Scope and order")."""
        return [hook for hook in self.cache.get(kind.name) if hook.applies(client, org)]

    def call_all[T](
        self,
        kind: HookKind[Any],
        payload: Mapping[str, object],
        check: Callable[[Mapping[str, object]], T],
        *,
        client: str | None = None,
        org: str | None = None,
        until: Callable[[HookResult[T]], bool] | None = None,
    ) -> list[HookResult[T]]:
        """Ask each hook of ``kind`` that applies to ``client`` and ``org`` about ``payload``,
        in their order, each answer checked by ``check``, each result in the list; the asking
        stops after a result ``until`` says is final (a deny, say). No hook applying: an
        empty list.

        Together they have ``TOTAL_DEADLINE_MS`` from the first call's start: each is cut at
        the smaller of its own ``timeout_ms`` and what is left of it, and one reached with
        nothing left is a timeout failure, kept and counted, that its ``on_failure`` resolves
        (docs/decisions/0579-several-hooks-of-a-kind.md)."""
        results: list[HookResult[T]] = []
        began: datetime | None = None
        for hook in self.applying(kind, client=client, org=org):
            now = self.clock.now()
            began = began or now
            left = TOTAL_DEADLINE - (now - began).total_seconds()
            if left <= 0:
                result: HookResult[T] = self._not_reached(hook, now)
            else:
                result = self._call_one(hook, payload, check, min(hook.timeout, left))
            results.append(result)
            if until is not None and until(result):
                break
        return results

    def _not_reached[T](self, hook: AuthHook, at: datetime) -> HookResult[T]:
        """A hook the kind's total deadline left no time for: a timeout, not sent."""
        asked: Asked[T] = Asked(CallOutcome.TIMEOUT, None, TOTAL_DEADLINE_EXCEEDED, None, 0.0)
        return self._kept(hook, at, asked)

    def _call_one[T](
        self,
        hook: AuthHook,
        payload: Mapping[str, object],
        check: Callable[[Mapping[str, object]], T],
        timeout: float,
    ) -> HookResult[T]:
        """One hook asked, cut at ``timeout`` seconds, its call counted and kept."""
        at = self.clock.now()
        return self._kept(hook, at, self.ask(hook, payload, check, timeout=timeout))

    def _kept[T](self, hook: AuthHook, at: datetime, asked: Asked[T]) -> HookResult[T]:
        """The call counted and kept, and what came of it."""
        kind = hook.kind
        self.metrics.add(HOOK_CALLS, kind=kind, outcome=asked.outcome.value)
        self.metrics.observe(HOOK_CALL_DURATION, asked.duration, kind=kind)
        call = HookCall(
            hook_id=hook.hook_id,
            at=at,
            duration_ms=round(asked.duration * 1000),
            outcome=asked.outcome,
            status=asked.status,
            error=None if asked.error is None else asked.error[:MAX_ERROR_LENGTH],
        )
        try:
            self.store.record(hook, call)
        except Exception:  # the call stands; only its record is lost
            log.warning("an auth hook call was not recorded", exc_info=True)
        if asked.outcome is not CallOutcome.OK:
            log.warning("auth hook %s failed: %s (%s)", kind, asked.outcome.value, asked.error)
            return HookResult(hook, error=asked.error or asked.outcome.value)
        return HookResult(hook, answer=asked.answer)

    def ask[T](
        self,
        hook: AuthHook,
        payload: Mapping[str, object],
        check: Callable[[Mapping[str, object]], T],
        *,
        timeout: float | None = None,
    ) -> Asked[T]:
        """One call of ``hook``, neither counted nor kept (``hooks test`` asks so), cut at
        ``timeout`` seconds (None: the hook's own ``timeout_ms``)."""
        began = time.perf_counter()
        deadline = hook.timeout if timeout is None else timeout
        status, outcome, error, answer = self._ask(hook, payload, check, deadline)
        return Asked(outcome, status, error, answer, time.perf_counter() - began)

    def _ask[T](
        self,
        hook: AuthHook,
        payload: Mapping[str, object],
        check: Callable[[Mapping[str, object]], T],
        timeout: float,
    ) -> tuple[int | None, CallOutcome, str | None, T | None]:
        address, refused = self._address(hook)
        if refused is not None:
            return None, CallOutcome.UNREACHABLE, refused, None
        try:
            got = self._post(hook, payload, address, timeout)
        except DocumentTooLarge as error:
            return None, CallOutcome.BAD_ANSWER, error.cause, None
        except WebhookUnreachable as error:
            reason = error.cause  # named by the pinned client (application/outbound.py)
            timed_out = reason == DEADLINE_EXCEEDED
            return None, CallOutcome.TIMEOUT if timed_out else CallOutcome.UNREACHABLE, reason, None
        if not 200 <= got.status < 300:
            return got.status, CallOutcome.STATUS, f"status_{got.status}", None
        try:
            return got.status, CallOutcome.OK, None, check(parsed_answer(got.body))
        except BadAnswer as bad:
            return got.status, CallOutcome.BAD_ANSWER, str(bad), None

    def _address(self, hook: AuthHook) -> tuple[str | None, str | None]:
        """The address to call the hook at (None: its host's, in the local profile), or why it
        may not be called (docs/security.md, "Webhooks")."""
        if self.policy.local:
            return None, None
        if urlsplit(hook.url).scheme != "https":
            return None, NOT_HTTPS
        return public_address_of(hook.url, self.resolver)

    def _post(
        self, hook: AuthHook, payload: Mapping[str, object], address: str | None, timeout: float
    ) -> Answer:
        """The signed POST, cut at ``timeout`` seconds."""
        try:
            secret = self.box.open(hook.secret)
        except Unavailable:  # MFA_ENCRYPTION_KEY changed: an operator's problem, recorded
            log.error("the secret of the %s hook cannot be opened", hook.kind)
            raise WebhookUnreachable("secret_unreadable") from None
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
        headers = {
            "Content-Type": "application/json",
            **signed_headers(secret, new_message_id(), self.clock.now(), body),
        }
        return self.client.exchange(
            "POST",
            hook.url,
            body.encode(),
            headers,
            address=address,
            limit=MAX_ANSWER_BYTES,
            timeout=timeout,
        )


@dataclass(frozen=True, slots=True)
class KindCaller[T]:
    """The hooks of one kind, as the capability that asks them holds them: with no caller
    (``NO_HOOK_CALLS``, a test's), no hook is ever set, so none applies and asking gives no
    result. That is the one "no hook" every asker's own rule reads (no claims, the sign-in
    goes on, SMTP sends, no text goes). ``reserved``: the claims no answer may set, which
    the kind's check is given (the registry's, ``HookKinds.reserved``)."""

    kind: HookKind[T]
    caller: HookCaller | None = None
    reserved: frozenset[str] = RESERVED_CLAIMS

    def has(self) -> bool:
        """Whether any hook of the kind is set, whatever its scope."""
        return self.caller is not None and self.caller.has(self.kind)

    def applying(self, *, client: str | None = None, org: str | None = None) -> bool:
        """Whether any hook of the kind applies to a call about ``client`` and ``org``."""
        return self.caller is not None and bool(
            self.caller.applying(self.kind, client=client, org=org)
        )

    def call_all(
        self,
        payload: Mapping[str, object],
        *,
        client: str | None = None,
        org: str | None = None,
        until: Callable[[HookResult[T]], bool] | None = None,
    ) -> list[HookResult[T]]:
        """``HookCaller.call_all`` for the kind, each answer checked by the kind's own check
        with the reserved claims; no caller: an empty list."""
        return self.call_all_with(payload, self.check, client=client, org=org, until=until)

    def check(self, answer: Mapping[str, object]) -> T:
        """``answer`` checked by the kind's check, with the reserved claims."""
        return self.kind.check(answer, self.reserved)

    def call_all_with[R](
        self,
        payload: Mapping[str, object],
        check: Callable[[Mapping[str, object]], R],
        *,
        client: str | None = None,
        org: str | None = None,
        until: Callable[[HookResult[R]], bool] | None = None,
    ) -> list[HookResult[R]]:
        """``call_all``, each answer checked by ``check`` (the kind's and what its asker
        adds: a merge, a schema)."""
        if self.caller is None:
            return []
        return self.caller.call_all(self.kind, payload, check, client=client, org=org, until=until)


@dataclass(frozen=True, slots=True)
class HookCalls:
    """The hooks unit as the capabilities ask it for their kind's caller: ``caller_for`` a
    kind the units lent (``kinds``), checked with their reserved claims; with no caller,
    every kind's asks nothing."""

    kinds: HookKinds
    caller: HookCaller | None = None

    def caller_for[T](self, kind: HookKind[T]) -> KindCaller[T]:
        """``kind``'s caller; LookupError when no unit lent it (an operator could set no
        hook of it)."""
        if self.caller is not None and kind not in self.kinds:
            raise LookupError(f"no unit lends the {kind.name} hook kind (HOOK_KINDS)")
        return KindCaller(kind, self.caller, self.kinds.reserved)


NO_HOOK_CALLS = HookCalls(HookKinds(()))

# What the kernel offers the units of the hooks: ``kernel.offered(HOOK_CALLERS).caller_for(KIND)``
# for a kind they lend (bootstrap/unit.py, ``Kernel``).
HOOK_CALLERS = Slot[HookCalls]("the hooks' callers")
