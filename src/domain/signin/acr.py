"""Authentication context classes (``acr``): how strongly a session's sign-in proved the
person, derived from its authentication methods (``amr``, RFC 8176) and nothing else, so a
refresh carries the sign-in's class and every token of a session carries the same one.

Three classes, each above the one before it (docs/reference/acr.md,
docs/decisions/0572-acr-from-the-sessions-amr.md):

- ``urn:firegate:acr:pwd``: one factor (a password, a mailed or texted code, an upstream
  provider, Firebase, single sign-on, a recovery code standing in for a password);
- ``urn:firegate:acr:mfa``: two different methods (a first factor and a TOTP code);
- ``urn:firegate:acr:phr``: a passkey (phishing-resistant, ``hwk`` or ``swk``).

A session with no method (a guest's) has no class; nor has a client's own token.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

PWD = "urn:firegate:acr:pwd"
MFA = "urn:firegate:acr:mfa"
PHR = "urn:firegate:acr:phr"
# Weakest first: the metadata's ``acr_values_supported``, and the order classes compare in
ACR_VALUES = (PWD, MFA, PHR)
PASSKEY_METHODS = frozenset({"hwk", "swk"})
MAX_METHODS, MAX_METHOD_CHARS = 10, 20  # what ``methods`` reads of a token's ``amr``
_RANK = {value: rank for rank, value in enumerate(ACR_VALUES)}
# RFC 9470 §3: the error a resource answers when the token's authentication is not enough
INSUFFICIENT_USER_AUTHENTICATION = "insufficient_user_authentication"


def acr_of(amr: Sequence[str]) -> str | None:
    """The class of a sign-in whose methods are ``amr``; None with none (a guest)."""
    if not amr:
        return None
    methods = set(amr)
    if methods & PASSKEY_METHODS:
        return PHR
    return MFA if len(methods) > 1 else PWD


def methods(amr: object) -> tuple[str, ...]:
    """The methods a verified token's ``amr`` claim names (RFC 8176; at most 10 short
    strings), for the class of its sign-in (``acr_of``); none for anything else."""
    if not isinstance(amr, list) or len(amr) > MAX_METHODS:
        return ()
    return tuple(m for m in amr if isinstance(m, str) and 0 < len(m) <= MAX_METHOD_CHARS)


def is_acr(value: object) -> bool:
    """One of firegate's classes."""
    return isinstance(value, str) and value in _RANK


def meets(acr: str | None, wanted: str) -> bool:
    """Whether a sign-in of class ``acr`` is at least ``wanted`` (one of ``ACR_VALUES``); an
    unknown class meets nothing."""
    return acr in _RANK and _RANK[acr] >= _RANK[wanted]


def lowest(values: Iterable[str]) -> str | None:
    """The weakest of firegate's classes among ``values`` (others ignored): any of the
    values asked will do, so meeting the weakest meets the request; None: none of ours."""
    known = [value for value in values if value in _RANK]
    return min(known, key=_RANK.__getitem__) if known else None


def strongest(values: Iterable[str | None]) -> str | None:
    """The strongest class among ``values``; None when none is one."""
    known = [value for value in values if value is not None and value in _RANK]
    return max(known, key=_RANK.__getitem__) if known else None


@dataclass(frozen=True)
class AcrRequest:
    """What an authorization request asks of the sign-in's class (OpenID Connect Core
    §3.1.2.1 ``acr_values``, §5.5.1.1 an ``acr`` claim asked in ``claims``): ``wanted`` the
    weakest class that satisfies it (None: nothing asked of ours), ``essential`` whether a
    sign-in that cannot reach it is refused rather than given the best it has."""

    wanted: str | None = None
    essential: bool = False

    @classmethod
    def of(
        cls,
        acr_values: str | None,
        claim_values: Sequence[str] = (),
        *,
        essential: bool = False,
    ) -> AcrRequest:
        """From ``acr_values`` (voluntary, space-separated) and the ``claims`` request's
        ``acr`` values (essential when it says so); the claim's, when it names any, win."""
        asked = lowest(claim_values) if claim_values else None
        if asked is not None:
            return cls(asked, essential)
        return cls(lowest((acr_values or "").split()), False)

    def met_by(self, acr: str | None) -> bool:
        return self.wanted is None or meets(acr, self.wanted)

    def at_least(self, floor: str | None) -> AcrRequest:
        """This request, asking no less than ``floor`` (an API resource's ``min_acr``, one of
        firegate's classes or None): the stronger of the two is wanted, as essential as the
        request made it (docs/reference/acr.md, "An API resource's min_acr")."""
        if floor is None or not is_acr(floor):
            return self
        if self.wanted is not None and meets(self.wanted, floor):
            return self
        return AcrRequest(floor, self.essential)
