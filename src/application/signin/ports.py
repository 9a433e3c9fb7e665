"""The ports the signin room calls out through: the ``before_token`` hook
(docs/hooks.md, "before_token")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from domain.hooks.before_token import NO_CLAIMS, TokenHookRequest


class TokenHook(Protocol):
    def before_token(self, request: TokenHookRequest) -> Mapping[str, object]:
        """The claims to add to the token ``request`` describes, already checked ({}: none)."""
        ...


class NoTokenHook:
    """No hook: every token carries firegate's claims only."""

    def before_token(self, request: TokenHookRequest) -> Mapping[str, object]:
        return NO_CLAIMS


NO_TOKEN_HOOK: TokenHook = NoTokenHook()
