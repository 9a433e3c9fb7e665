"""What a token presented to the provider is, for introspection, revocation and userinfo: an
access token it signed, with whether it still holds, or the current refresh token of a live
grant (docs/reference/oauth.md, "Introspection")."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from application.accounts.accounts import UserRepository
from application.clients.ports import OAuthClients
from application.ports import Clock
from application.provider.grants import (
    GrantWithAccount,
    LiveRefresh,
    live_refresh,
    read_live_grant,
)
from application.provider.ports import GrantHolders, OAuthGrants, ProviderTokens
from domain.accounts.users import User
from domain.ids import is_id
from domain.provider.token_exchange import chain_grants, exchanged

GRANT_CLAIM = "grant_id"  # the access token's grant: revoked with it (userinfo, introspection)


def id_token_jti(grant_id: str, unique: str) -> str:
    """An ID token's ``jti``: the grant of its sign-in, then ``unique``. An ID-JAG minted from
    the ID token holds only while that grant does (``TokenIntrospection.id_token``); the
    ``jti`` is the one claim an ID token may carry for it that nobody requests
    (docs/decisions/0620-an-id-jag-keeps-its-sign-in.md)."""
    return f"{grant_id}.{unique}"


def id_token_grant(claims: Mapping[str, Any]) -> str | None:
    """The grant an ID token's ``jti`` names (``id_token_jti``); None for any other."""
    jti = claims.get("jti")
    if not isinstance(jti, str):
        return None
    grant_id, dot, unique = jti.partition(".")
    return grant_id if dot and unique and is_id(grant_id) else None


@dataclass(frozen=True)
class TokenState:
    claims: dict[str, Any]
    live: bool
    kind: Literal["access_token", "refresh_token"] = "access_token"
    account: User | None = None  # read with the grant by the liveness check, if it was


@dataclass(frozen=True)
class InspectToken:
    token: str


@dataclass(frozen=True)
class IdTokenState:
    """An ID token this provider issued, verified, and the grant of the sign-in it came from
    with its account while that grant holds (None: it has ended)."""

    claims: dict[str, Any]
    holding: GrantWithAccount | None


@dataclass(frozen=True, kw_only=True, slots=True)
class TokenIntrospection:
    """What a presented token is; ``keys`` verify the provider's access tokens (None: the
    provider is off), ``holders`` read a grant and its account in one round trip."""

    keys: ProviderTokens | None
    clients: OAuthClients
    grants: OAuthGrants
    users: UserRepository
    holders: GrantHolders
    clock: Clock

    def id_token(self, cmd: InspectToken) -> IdTokenState | None:
        """An ID token this provider issued that is still valid (signature, issuer,
        ``exp``), else None; and whether the sign-in it came from still holds: the grant its
        ``jti`` names (``id_token_grant``) read as an access token's is (``read_live_grant``:
        not revoked, its account enabled, no "sign out everywhere" since, a grant of support
        access within its session). Whom it was for is the caller's to check."""
        if self.keys is None or cmd.token.count(".") != 2:
            return None
        claims = self.keys.verify_id_token(cmd.token)
        if claims is None:
            return None
        grant_id, now = id_token_grant(claims), self.clock.now()
        holding = None
        if grant_id is not None:
            holding = read_live_grant(
                grant_id,
                str(claims["sub"]),
                grants=self.grants,
                users=self.users,
                holders=self.holders,
                now=now,
                used_at=now,
            )
        return IdTokenState(claims, holding)

    def token_state(self, cmd: InspectToken) -> TokenState | None:
        """An access token with whether it still holds, or a refresh token as such; None if
        it is neither. Liveness: the grant it came from (a user's token; one from an exchange
        also whether it was revoked by itself, and whether the person's grant to each agent
        of its ``act`` chain still holds), or its client and whether it was revoked (a
        client's own)."""
        token, keys, clients, grants = cmd.token, self.keys, self.clients, self.grants
        dots = token.count(".")
        claims = keys.verify_access(token) if keys is not None and dots == 2 else None  # a JWS
        if claims is not None:
            grant_id = claims.get(GRANT_CLAIM)
            live = clients.get(str(claims["client_id"])) is not None  # a deleted client's: none
            if live and isinstance(grant_id, str):
                # one from an exchange may be revoked by itself too (by the client it was for)
                now = self.clock.now()
                jti = str(claims.get("jti", "")) if exchanged(claims) else None
                holding = read_live_grant(
                    grant_id,
                    str(claims["sub"]),
                    grants=grants,
                    users=self.users,
                    holders=self.holders,
                    jti=jti,
                    agent_grants=chain_grants(claims) if jti is not None else (),
                    used_at=now,
                    now=now,
                )
                account = holding.account if holding is not None else None
                return TokenState(claims, holding is not None, account=account)
            if live:
                live = not grants.token_revoked(str(claims.get("jti", "")))
            return TokenState(claims, live)
        if dots == 1:
            grant = live_refresh(  # the grant's current one, checked by its hash
                LiveRefresh(token),
                grants=grants,
                users=self.users,
                holders=self.holders,
                clock=self.clock,
            )
            if grant is None:
                return None
            claims = {"client_id": grant.client_id, "scope": grant.scope, "sub": grant.user_id}
            live = clients.get(grant.client_id) is not None  # a deleted client's: none
            return TokenState(claims | {GRANT_CLAIM: grant.id}, live, "refresh_token")
        return None
