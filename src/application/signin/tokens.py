"""Token pairs: what a new or refreshed session hands the client."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from application.signin.ports import NO_TOKEN_HOOK, TokenHook, TokenIssuer
from domain.accounts.users import User
from domain.hooks.before_token import NO_CLAIMS, TokenHookRequest, TokenKind
from domain.ids import is_id
from domain.signin.active_org import ActiveOrg
from domain.signin.claims.sources import NO_SOURCES, ClaimSources, Minting
from domain.signin.hook_kinds import kept_claims, org_fields, session_fields, user_fields
from domain.signin.sessions import Session


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    expires_in: int
    refresh_token: str
    refresh_expires_in: int
    token_type: str = "bearer"
    device_token: str | None = None  # after a password login (docs/security.md, "Lockout")


@dataclass(frozen=True)
class TokenPolicy:
    access_ttl: timedelta = timedelta(minutes=15)
    refresh_ttl: timedelta = timedelta(days=7)
    session_lifetime: timedelta = timedelta(days=30)
    refresh_grace: timedelta = timedelta(seconds=10)
    # How long after its sign-in a session may add a way in (docs/security.md, "A new way in").
    reauth_max_age: timedelta = timedelta(minutes=10)
    # Keys the successor of a refresh token. Every instance must share it (bootstrap derives
    # it from the signing secret); the random default suits a single process (tests).
    successor_key: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    # Keys the MAC that binds a refresh token to its session and generation; shared the same
    # way (docs/decisions/0070-one-refresh-chain.md).
    generation_key: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    # The claims the units put in tokens, which a session's access tokens carry (bootstrap
    # folds the units' sources: docs/contributing.md, "Units")
    claims: ClaimSources = NO_SOURCES

    def successor_secret(self, secret: str) -> str:
        """The refresh secret that follows ``secret``: the same for every caller that presents
        it, and unknowable without the key, so nothing new is stored and a thief holding a
        spent token cannot compute the live one."""
        digest = hmac.new(self.successor_key, secret.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def generation_tag(self, session_id: str, generation: int, secret: str) -> str:
        """The MAC that proves a refresh token was issued for this session at ``generation``
        (its rotation count): 128 bits, so a token cannot claim a generation it lacks."""
        message = f"{session_id}.{generation}.{secret}".encode()
        digest = hmac.new(self.generation_key, message, hashlib.sha256).digest()[:16]
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def refresh_token(
        self, session_id: str, generation: int, secret: str, account: str | None = None
    ) -> str:
        """``{sid}.{secret}.{generation}.{tag}``: the secret, with its place in the chain;
        then ``.{account}``, the account's id where it has an id's shape, so that a refresh
        reads the session and its account in one round trip
        (docs/decisions/0588-a-refresh-token-names-its-account.md)."""
        tag = self.generation_tag(session_id, generation, secret)
        named = f".{account}" if account is not None and is_id(account) else ""
        return f"{session_id}.{secret}.{generation}.{tag}{named}"

    def proven_generation(
        self, session_id: str, secret: str, generation: str | None, tag: str | None
    ) -> int | None:
        """The generation a presented token proves with its tag; None for a token without
        one (issued as ``{sid}.{secret}``) or with a tag that does not check out."""
        if generation is None or tag is None:
            return None
        expected = self.generation_tag(session_id, int(generation), secret)
        return int(generation) if hmac.compare_digest(expected, tag) else None


def hash_refresh_secret(secret: str) -> str:
    # A 256-bit random secret needs no slow hash; SHA-256 keeps the stored value useless.
    return hashlib.sha256(secret.encode()).hexdigest()


def hook_claims(
    hook: TokenHook,
    kind: TokenKind,
    user: User | Mapping[str, object],
    *,
    reserved: frozenset[str],
    session: Session | None = None,
    client: Mapping[str, object] | None = None,
    org: ActiveOrg | None = None,
) -> Mapping[str, object]:
    """The claims added to a token of ``kind`` (docs/hooks.md): the session's own, which its
    ``before_sign_in`` hooks gave it, and the ``before_token`` hook's, which win a clash
    (docs/decisions/0571-session-claims-and-before-token.md), none of them ``reserved``
    (``ClaimSources.reserved``); with no hook, nothing is built or asked."""
    carried = kept_claims(session.claims, reserved) if session is not None else NO_CLAIMS
    if hook is NO_TOKEN_HOOK:
        return carried
    request = TokenHookRequest(
        token_kind=kind,
        user=user_fields(user) if isinstance(user, User) else user,
        session=session_fields(session) if session is not None else None,
        client=client,
        org=org_fields(org),
    )
    added = kept_claims(hook.before_token(request), reserved)
    return {**carried, **added} if carried else added


def access_claims(
    sources: ClaimSources, user: User | None, session: Session, added: Mapping[str, object]
) -> Mapping[str, object]:
    """A session's access token's claims beyond its frame: the claim sources' for the
    session (its class, an impersonated session's ``act``, a guest's ``guest``...) over
    ``added``, the hooks' (``hook_claims``)."""
    minting = Minting(
        kind="access",
        user=user,
        session=session,
        amr=session.amr,
        acting_admin_id=session.acting_admin_id,
    )
    own = sources.claims(minting)
    return {**added, **own} if own else added


def token_pair(
    user: User,
    session: Session,
    secret: str,
    *,
    tokens: TokenIssuer,
    now: datetime,
    policy: TokenPolicy,
    org: ActiveOrg | None = None,
    claims: Mapping[str, object] = NO_CLAIMS,
) -> TokenPair:
    """``org``: the session's active org as just read (the access token's ``org`` claim);
    ``claims``: the before_token hook's, added to the access token (``hook_claims``) under
    the claim sources' (``access_claims``)."""
    access = tokens.issue_access(
        user_id=user.id,
        role=user.role,
        session_id=session.id,
        now=now,
        not_after=session.expires_at,
        amr=session.amr,
        org=org,
        claims=access_claims(policy.claims, user, session, claims),
    )
    refresh_until = min(now + policy.refresh_ttl, session.expires_at)
    return TokenPair(
        access_token=access.token,
        expires_in=int((access.expires_at - now).total_seconds()),
        refresh_token=policy.refresh_token(session.id, session.rotations, secret, user.id),
        refresh_expires_in=int((refresh_until - now).total_seconds()),
    )
