"""The hooks capability's service objects: ``services().of(HookServices)``
(docs/decisions/0526-services-by-capability.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from application.hooks.admin import AuthHooks


@dataclass(frozen=True, kw_only=True, slots=True)
class HookServices:
    """The operator's auth hooks, as the admins set them (docs/reference/auth-hooks.md)."""

    hooks: AuthHooks  # set, list, remove, test
