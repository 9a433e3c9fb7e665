"""Hook kinds: a kind is the name an operator sets hooks of, what firegate sends them (its
sample payloads, as ``hooks test`` sends them) and what their answer must be (its check).
The capability that asks a kind declares it, its unit's record lends it (``HOOK_KINDS``)
and the hooks unit folds them into ``HookKinds``, which the admins' use cases and pages list
(docs/hooks.md, docs/contributing.md "Units")."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from domain.errors import InvalidInput
from domain.hooks.auth_hooks import SignUpAnswer, checked_sign_up_answer
from domain.hooks.before_token import RESERVED_CLAIMS
from domain.slots import Slot

type AnswerCheck[A] = Callable[[Mapping[str, object], frozenset[str]], A]
"""A kind's answer check: the answer, and the claims no answer may set (the service's
``HookKinds.reserved``: the token frame's and the claim sources', docs/decisions/0740)."""


def answer_only[A](check: Callable[[Mapping[str, object]], A]) -> AnswerCheck[A]:
    """The check of a kind whose answer names no claim, as every kind's check is called."""
    return lambda answer, _reserved: check(answer)


@dataclass(frozen=True, kw_only=True, eq=False)
class HookKind[A]:
    """One kind: ``name`` as the operator sets it (``hooks set NAME URL``), ``samples`` the
    payloads ``hooks test`` sends, by name (the request's shape: docs/hooks.md), ``check``
    what an answer must be, given the reserved claims (BadAnswer otherwise), giving what its
    asker reads of it."""

    name: str
    check: AnswerCheck[A]
    samples: Mapping[str, Mapping[str, object]]

    def __repr__(self) -> str:
        return f"HookKind({self.name!r})"


class HookKinds:
    """The kinds a service runs, in the order they were lent (the units' order): what the
    admins may set hooks of and see listed; and ``reserved``, the claims no answer may set
    (the folded ``ClaimSources.reserved``; the token frame's by default), which every kind's
    check is given."""

    def __init__(
        self, kinds: Iterable[HookKind[Any]], *, reserved: frozenset[str] = RESERVED_CLAIMS
    ) -> None:
        self.reserved = reserved
        self._kinds: dict[str, HookKind[Any]] = {}
        for kind in kinds:
            held = self._kinds.setdefault(kind.name, kind)
            if held is not kind:
                raise ValueError(f"two hook kinds are named {kind.name}")

    def __iter__(self) -> Iterator[HookKind[Any]]:
        return iter(self._kinds.values())

    def __contains__(self, kind: object) -> bool:
        return isinstance(kind, HookKind) and self._kinds.get(kind.name) is kind

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._kinds)

    def position(self, name: str) -> int:
        """Where the kind named ``name`` is listed; a kind no unit lends (a hook set while
        a unit that is now off ran) after the others."""
        names = self.names
        return names.index(name) if name in names else len(names)

    def checked(self, name: str) -> HookKind[Any]:
        """The kind named ``name``; InvalidInput ``unknown_hook_kind`` if none is."""
        found = self._kinds.get(name)
        if found is None:
            raise InvalidInput.field(
                "kind", "One of " + ", ".join(self.names) + ".", "unknown_hook_kind"
            )
        return found


# The hooks' slot: the kinds the running units ask (lent by their askers).
HOOK_KINDS = Slot[HookKind[Any]]("hook kinds")

# The accounts' kind, declared here as accounts sits below the hooks (it asks through its
# ``SignUpHook`` port, which application/hooks/sign_up.py fills).
BEFORE_SIGN_UP = HookKind[SignUpAnswer](
    name="before_sign_up",
    check=answer_only(checked_sign_up_answer),
    samples={
        "password": {
            "user": {
                "email": "ada@example.com",
                "username": "ada",
                "method": "password",
                "provider": None,
                "org_id": None,
            },
            "context": {"ip": "203.0.113.7", "user_agent": "Mozilla/5.0"},
        },
        "upstream": {
            "user": {
                "email": "grace@example.org",
                "username": None,
                "method": "upstream",
                "provider": "google",
                "org_id": None,
            },
            "context": {"ip": "2001:db8::7", "user_agent": "Mozilla/5.0"},
        },
    },
)
