"""Token pairs: what a new or refreshed session hands the client."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from application.ports import TokenIssuer
from domain.sessions import Session
from domain.users import User


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
    # Keys the successor of a refresh token. Every instance must share it (bootstrap derives
    # it from the signing secret); the random default suits a single process (tests).
    successor_key: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)

    def successor_secret(self, secret: str) -> str:
        """The refresh secret that follows ``secret``: the same for every caller that presents
        it, and unknowable without the key, so nothing new is stored and a thief holding a
        spent token cannot compute the live one."""
        digest = hmac.new(self.successor_key, secret.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def hash_refresh_secret(secret: str) -> str:
    # A 256-bit random secret needs no slow hash; SHA-256 keeps the stored value useless.
    return hashlib.sha256(secret.encode()).hexdigest()


def token_pair(
    user: User,
    session: Session,
    secret: str,
    *,
    tokens: TokenIssuer,
    now: datetime,
    policy: TokenPolicy,
) -> TokenPair:
    access = tokens.issue_access(
        user_id=user.id,
        role=user.role,
        session_id=session.id,
        now=now,
        not_after=session.expires_at,
        amr=session.amr,
    )
    refresh_until = min(now + policy.refresh_ttl, session.expires_at)
    return TokenPair(
        access_token=access.token,
        expires_in=int((access.expires_at - now).total_seconds()),
        refresh_token=f"{session.id}.{secret}",
        refresh_expires_in=int((refresh_until - now).total_seconds()),
    )
