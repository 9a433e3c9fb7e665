"""The ports the signin room calls out through: the access tokens it issues and verifies
(``TokenIssuer``, with a session's active org, which the orgs read for it), and the
``before_token`` and ``before_sign_in`` hooks (docs/hooks.md)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from application.hooks.caller import KindCaller
from application.hooks.hooked import SignInCheckHook, TokenClaimsHook
from domain.accounts.users import User
from domain.hooks.before_sign_in import SignInHookRequest, SignInVerdict
from domain.hooks.before_token import TokenHookRequest
from domain.signin.active_org import ActiveOrg
from domain.signin.hook_kinds import BEFORE_SIGN_IN, BEFORE_TOKEN


@dataclass(frozen=True)
class AccessClaims:
    user_id: str
    session_id: str
    role: str
    jti: str
    expires_at: datetime
    amr: tuple[str, ...] = ()  # RFC 8176 authentication methods
    # The active org the token names (its ``org`` claim's ``id``): the request reads that
    # org's membership with the user and the session (docs/reference/orgs.md).
    org_id: str | None = None


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: datetime


class TokenIssuer(Protocol):
    def issue_access(
        self,
        *,
        user_id: str,
        role: str,
        session_id: str,
        now: datetime,
        not_after: datetime | None = None,
        amr: Sequence[str] = (),
        org: ActiveOrg | None = None,
        claims: Mapping[str, object] | None = None,
    ) -> IssuedToken:
        """A signed access token for this session, expiring no later than ``not_after``,
        with the session's authentication methods ``amr`` (RFC 8176), its active ``org``,
        and ``claims``: the claim sources' and the ``before_token`` hook's
        (``application.signin.tokens.access_claims``), never over the token's frame."""
        ...

    def verify_access(self, token: str) -> AccessClaims:
        """The claims of a valid access token; Unauthenticated otherwise."""
        ...

    def jwks(self) -> dict[str, Any]:
        """The JSON Web Key Set that verifies our tokens (no keys with a shared secret)."""
        ...


class TokenHook(Protocol):
    def before_token(self, request: TokenHookRequest) -> Mapping[str, object]:
        """The claims to add to the token ``request`` describes, already checked ({}: none)."""
        ...


# No hook: every token carries firegate's claims only (the hooks' one "no hook":
# ``KindCaller`` without a caller).
NO_TOKEN_HOOK: TokenHook = TokenClaimsHook(caller=KindCaller(BEFORE_TOKEN))


class SignInHook(Protocol):
    def active(self) -> bool:
        """Whether a ``before_sign_in`` hook is set (else no payload is built)."""
        ...

    def before_sign_in(self, request: SignInHookRequest) -> SignInVerdict:
        """What the ``before_sign_in`` hooks say of the sign-in ``request`` describes."""
        ...


# No hook: every sign-in goes on, its session with no claims of a hook's.
NO_SIGN_IN_HOOK: SignInHook = SignInCheckHook(caller=KindCaller(BEFORE_SIGN_IN))


class LegacyPasswords(Protocol):
    """A ``legacy`` account's password, which firegate has no hash of, checked by the
    ``password_verification`` hook (docs/hooks.md): the migration's rules
    (application/migration/legacy_passwords.py)."""

    def holds(self, user: User) -> bool:
        """Is the account's password still the old system's (a ``legacy`` one)?"""
        ...

    def verify(self, user: User, password: str) -> User | None:
        """The account with ``password`` stored as its own when it is right; None when it is
        wrong (or the hook failed and allows)."""
        ...

    def own_password(self, user: User) -> User:
        """The account whose password is its own now, however it was set (a reset, a
        change): no legacy one any more."""
        ...


class NoLegacyPasswords:
    """No legacy accounts (no migration to check them; the tests of one room): none holds,
    none is ever right. Not a "no hook": with the migration's check and no
    password_verification hook, a legacy account holds, and its password is wrong."""

    def holds(self, user: User) -> bool:
        return False

    def verify(self, user: User, password: str) -> User | None:
        return None

    def own_password(self, user: User) -> User:
        return user


NO_LEGACY_PASSWORDS: LegacyPasswords = NoLegacyPasswords()


class ActiveOrgs(Protocol):
    """A session's active org as stored: the org and the person's membership of it."""

    def member_org(self, id_or_slug: str, user_id: str) -> ActiveOrg | None:
        """The live org named by its id or slug with the person's membership, read together
        (one round trip for an id); None when either is absent or the org is deleted."""
        ...

    def orgs_of(self, user_id: str, limit: int) -> list[ActiveOrg]:
        """Up to ``limit`` of the person's live orgs with their roles, by slug."""
        ...
