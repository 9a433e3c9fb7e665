"""What the auth hooks need from outside: where hooks and their calls are kept, and the client
that makes one call within the hook's own deadline (docs/hooks.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from application.outbound import Answer
from domain.hooks.auth_hooks import AuthHook, HookCall


class AuthHookStore(Protocol):
    def add(self, hook: AuthHook) -> None:
        """Store ``hook`` beside its kind's others; Conflict ``too_many_hooks`` when the kind
        has ``MAX_HOOKS_PER_KIND`` already, however many are added at once."""
        ...

    def list_all(self) -> list[AuthHook]:
        """Every hook, by kind (their names' order: the admins' use cases list them in the
        kinds' order), each kind's in the order they are asked (``AuthHook.place``)."""
        ...

    def delete(self, hook_id: str) -> bool:
        """Delete that hook and its calls; False if there is none of that id."""
        ...

    def record(self, hook: AuthHook, call: HookCall) -> None:
        """Keep ``call`` among the hook's latest ``CALLS_KEPT``: one write, no read."""
        ...

    def calls(self, hook: AuthHook) -> list[HookCall]:
        """The hook's kept calls, newest first (at most ``CALLS_KEPT``)."""
        ...


class HookClient(Protocol):
    """The client that sends a request to an address it is given, pinned to the address
    checked (``application/outbound.py``): an auth hook's call, and the webhooks' deliveries
    and fetches (their ``PinnedClient``)."""

    def exchange(
        self,
        method: str,
        url: str,
        body: bytes | None,
        headers: Mapping[str, str],
        *,
        address: str | None,
        limit: int,
        timeout: float | None = None,
    ) -> Answer:
        """One request, pinned to ``address`` (no redirect followed), cut at ``timeout``
        seconds (the client's own deadline when None): the answer whatever its status, its
        body whole and at most ``limit`` bytes; DocumentTooLarge past it, WebhookUnreachable
        when no whole answer came by the deadline."""
        ...


@dataclass(frozen=True)
class HookPolicy:
    local: bool  # the local profile: http and loopback URLs allowed, no address check
    cache_ttl: float = 5.0  # seconds the hooks read are reused before they are read again
