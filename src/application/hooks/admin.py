"""What admins do with auth hooks: add one to a kind's (at most ``MAX_HOOKS_PER_KIND``, each
with its order and its clients' and orgs' scope), list them with their latest calls, remove
one (docs/reference/auth-hooks.md)."""

from __future__ import annotations

from base64 import b64decode
from collections.abc import Callable
from dataclasses import dataclass

from application.accounts.accounts import Caller
from application.accounts.admin import require_admin
from application.hooks.caller import Asked, HookCache, HookCaller
from application.hooks.ports import AuthHookStore, HookPolicy
from application.ports import Clock, SecretBox
from domain.errors import FieldError, InvalidInput, NotFound
from domain.hooks.auth_hooks import (
    DEFAULT_TIMEOUT_MS,
    AuthHook,
    HookCall,
    OnFailure,
    checked_on_failure,
    checked_order,
    checked_scope,
    checked_timeout,
)
from domain.hooks.kinds import HookKinds
from domain.ids import is_id, new_id
from domain.public_urls import check_url
from domain.standard_webhooks import SECRET_PREFIX, new_secret


@dataclass(frozen=True)
class SetAuthHook:
    actor: Caller
    kind: str
    url: str
    timeout_ms: int = DEFAULT_TIMEOUT_MS
    on_failure: str = "allow"
    order: int = 0  # lower first; ties by creation
    clients: tuple[str, ...] = ()  # the OAuth clients it applies to; () = all
    orgs: tuple[str, ...] = ()  # the orgs it applies to; () = all


@dataclass(frozen=True)
class ListAuthHooks:
    actor: Caller


@dataclass(frozen=True)
class AuthHookRef:
    actor: Caller
    hook_id: str


@dataclass(frozen=True)
class TestAuthHook:
    actor: Caller
    kind: str
    url: str
    secret: str | None = None  # None: a new one, given back
    timeout_ms: int = DEFAULT_TIMEOUT_MS


@dataclass(frozen=True)
class SampleAnswer:
    sample: str  # which of the kind's samples (docs/hooks.md)
    asked: Asked[object]


@dataclass(frozen=True)
class TestedAuthHook:
    secret: str  # what the samples were signed with
    answers: list[SampleAnswer]

    @property
    def passed(self) -> bool:
        return all(a.asked.answer is not None for a in self.answers)


@dataclass(frozen=True)
class CreatedAuthHook:
    hook: AuthHook
    secret: str  # shown once


@dataclass(frozen=True)
class AuthHookView:
    hook: AuthHook
    calls: list[HookCall]  # newest first, at most CALLS_KEPT


@dataclass(frozen=True, kw_only=True, slots=True)
class AuthHooks:
    """What admins do with auth hooks. ``kinds``: the kinds the units lend, the only ones a
    hook may be set of; ``box`` seals each hook's signing secret; ``cache`` is the callers'
    copy, dropped on a change."""

    kinds: HookKinds
    store: AuthHookStore
    cache: HookCache
    caller: HookCaller
    box: SecretBox
    clock: Clock
    policy: HookPolicy

    def set(self, cmd: SetAuthHook) -> CreatedAuthHook:
        """A new hook of the kind, with a new secret, beside the kind's others; 409
        ``too_many_hooks`` when the kind has ``MAX_HOOKS_PER_KIND``."""
        require_admin(cmd.actor)
        self._check(
            lambda: self.kinds.checked(cmd.kind),
            lambda: check_url(cmd.url, local=self.policy.local),
            lambda: checked_timeout(cmd.timeout_ms),
            lambda: checked_on_failure(cmd.on_failure),
            lambda: checked_order(cmd.order),
            lambda: checked_scope("clients", cmd.clients),
            lambda: checked_scope("orgs", cmd.orgs),
        )
        secret = new_secret()
        hook = AuthHook(
            hook_id=new_id(),
            kind=self.kinds.checked(cmd.kind).name,
            url=cmd.url,
            timeout_ms=cmd.timeout_ms,
            on_failure=checked_on_failure(cmd.on_failure),
            secret=self.box.seal(secret),
            created_at=self.clock.now(),
            order=cmd.order,
            clients=checked_scope("clients", cmd.clients),
            orgs=checked_scope("orgs", cmd.orgs),
        )
        self.store.add(hook)
        self.cache.drop()
        return CreatedAuthHook(hook, secret)

    def list(self, cmd: ListAuthHooks) -> list[AuthHookView]:
        """Every hook, by kind in the kinds' order, each kind's in the order they are asked."""
        require_admin(cmd.actor)
        hooks = sorted(self.store.list_all(), key=lambda h: (self.kinds.position(h.kind), h.place))
        return [AuthHookView(hook, self.store.calls(hook)) for hook in hooks]

    def remove(self, cmd: AuthHookRef) -> None:
        require_admin(cmd.actor)
        if not is_id(cmd.hook_id) or not self.store.delete(cmd.hook_id):
            raise NotFound("No such auth hook.", code="auth_hook_not_found")
        self.cache.drop()

    def test(self, cmd: TestAuthHook) -> TestedAuthHook:
        """Send the kind's sample payloads to ``url`` as the hook would be called (signed with
        ``secret``, or a new one), each answer checked against the kind's shape; nothing is
        stored, counted or kept."""
        require_admin(cmd.actor)
        self._check(
            lambda: self.kinds.checked(cmd.kind),
            lambda: check_url(cmd.url, local=self.policy.local),
            lambda: checked_timeout(cmd.timeout_ms),
            lambda: _checked_secret(cmd.secret),
        )
        kind, secret = self.kinds.checked(cmd.kind), cmd.secret or new_secret()
        hook = AuthHook(
            hook_id=new_id(),
            kind=kind.name,
            url=cmd.url,
            timeout_ms=cmd.timeout_ms,
            on_failure=OnFailure.DENY,
            secret=self.box.seal(secret),
            created_at=self.clock.now(),
        )
        return self._samples_to(hook, secret)

    def test_set(self, cmd: AuthHookRef) -> TestedAuthHook:
        """``test``'s check of a hook as it is set (the admin pages' "Test"): its URL and
        timeout, signed with its own secret, so the receiver checks the signature as it will
        in use; nothing is stored, counted or kept, its calls' record included."""
        require_admin(cmd.actor)
        found = [h for h in self.store.list_all() if h.hook_id == cmd.hook_id]
        if not is_id(cmd.hook_id) or not found:
            raise NotFound("No such auth hook.", code="auth_hook_not_found")
        (hook,) = found
        return self._samples_to(hook, self.box.open(hook.secret))

    def _samples_to(self, hook: AuthHook, secret: str) -> TestedAuthHook:
        """The kind's sample payloads sent to the hook, each answer checked by the kind's
        check, with the claims no answer may set (``HookKinds.reserved``)."""
        kind, reserved = self.kinds.checked(hook.kind), self.kinds.reserved
        answers = [
            SampleAnswer(name, self.caller.ask(hook, payload, lambda a: kind.check(a, reserved)))
            for name, payload in kind.samples.items()
        ]
        return TestedAuthHook(secret, answers)

    @staticmethod
    def _check(*checks: Callable[[], object]) -> None:
        """Every check, their field errors together in one InvalidInput."""
        errors: list[FieldError] = []
        for check in checks:
            try:
                check()
            except InvalidInput as error:
                errors.extend(error.errors)
        if errors:
            raise InvalidInput.of(errors)


def _checked_secret(secret: str | None) -> None:
    if secret is None:
        return
    try:
        valid = secret.startswith(SECRET_PREFIX) and len(b64decode(secret[6:], validate=True)) >= 24
    except ValueError:
        valid = False
    if not valid:
        raise InvalidInput.field(
            "secret", "A secret as firegate makes them: whsec_ and base64.", "invalid_hook_secret"
        )
