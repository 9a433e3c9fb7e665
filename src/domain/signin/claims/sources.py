"""Claim sources: each claim a unit puts in firegate's tokens, declared once (its name, the
kinds of token it goes into, the scopes that release it where scopes apply, its value), and
the registry every minting iterates (docs/contributing.md, "Units": claim sources). A
minting names no claim of a unit's: it asks the registry for the claims of its kind, so
adding a claim touches no minting; the reserved claims (which no hook and no profile
attribute may set) are the sources' names with the token frame's (``RESERVED_CLAIMS``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from domain.accounts.users import User
from domain.hooks.before_token import RESERVED_CLAIMS
from domain.signin.sessions import Session
from domain.slots import Slot

# The kinds of token a claim goes into: a session's access token (sign-in, refresh, renewal,
# org switch), the provider's ID token, access token (a grant's, an exchange's) and ID-JAG, a
# Firebase custom token's developer claims, and the answers of userinfo and introspection.
ClaimKind = Literal[
    "access",
    "id_token",
    "provider_access",
    "id_jag",
    "firebase_custom",
    "userinfo",
    "introspection",
]
# Where a source's scopes apply: OpenID Connect's claims of the person, by scope
SCOPED: frozenset[ClaimKind] = frozenset({"id_token", "userinfo"})
NO_TOKEN: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True, kw_only=True, slots=True)
class Minting:
    """What a minting has to give a claim its value: the kind of token, the person, the
    session (a session's token, a Firebase custom token of a session), the sign-in's methods
    (``amr``), the admin acting as the person (support access: a session's or a grant's),
    the claims of the token it is made of or answers about (an exchange's subject,
    introspection's and userinfo's token, an app's token for a custom token), and for scoped
    kinds the token's scopes and the names a ``claims`` request asked."""

    kind: ClaimKind
    user: User | None = None
    session: Session | None = None
    amr: tuple[str, ...] = ()
    acting_admin_id: str | None = None
    token: Mapping[str, Any] = NO_TOKEN
    scopes: tuple[str, ...] = ()
    asked: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class ClaimSource:
    """One claim: its ``name``, the ``kinds`` of token it goes into, the ``scopes`` that
    release it in the scoped kinds (ID token, userinfo: one of them granted, or the name
    asked by a ``claims`` request; none: always), and its ``value`` for a minting (None: not
    in the token)."""

    name: str
    kinds: frozenset[ClaimKind]
    value: Callable[[Minting], object | None]
    scopes: tuple[str, ...] = ()

    def released(self, minting: Minting) -> bool:
        if minting.kind not in self.kinds:
            return False
        if minting.kind not in SCOPED or not self.scopes:
            return True
        return self.name in minting.asked or any(s in minting.scopes for s in self.scopes)


@dataclass(frozen=True)
class ClaimSources:
    """The registry the signin unit folds from what the units contribute, in their order:
    the first source of a name that has a value for a minting gives it."""

    sources: tuple[ClaimSource, ...] = ()
    reserved: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        names = frozenset(source.name for source in self.sources)
        object.__setattr__(self, "reserved", RESERVED_CLAIMS | names)

    @classmethod
    def of(cls, sources: Iterable[ClaimSource]) -> ClaimSources:
        return cls(tuple(sources))

    def claims(self, minting: Minting) -> dict[str, object]:
        """The claims of the sources for the minting's kind that have a value."""
        found: dict[str, object] = {}
        for source in self.sources:
            if source.name in found or not source.released(minting):
                continue
            value = source.value(minting)
            if value is not None:
                found[source.name] = value
        return found

    def names(self, kind: ClaimKind) -> frozenset[str]:
        """Every claim a token of ``kind`` may get from the sources."""
        return frozenset(source.name for source in self.sources if kind in source.kinds)

    def kept(self, added: Mapping[str, object]) -> Mapping[str, object]:
        """``added`` (a hook's claims) without any reserved claim."""
        return {name: value for name, value in added.items() if name not in self.reserved}


def copied(name: str) -> Callable[[Minting], object | None]:
    """A value read from the token the minting answers about (introspection, userinfo)."""

    def value(minting: Minting) -> object | None:
        return minting.token.get(name)

    return value


NO_SOURCES = ClaimSources()

# Signin's slot: the claims the running units put in tokens.
CLAIM_SOURCES = Slot[ClaimSource]("claim sources")
