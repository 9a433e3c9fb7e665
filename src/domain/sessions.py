"""Login sessions: one per login, referenced by access tokens (``sid``) and refresh tokens.

Refresh tokens rotate on every use. A token's successor is derived from it, so every caller
that presents one token gets the same successor. The session keeps the hash of its current
refresh token and of recently spent ones: a spent one presented again inside the grace
window, while its successor is still current (parallel refreshes of one client), gets that
successor again; any other reuse revokes the session. One chain stays live, never a fork.

The session also counts its rotations. Every refresh token carries the count at which it
was issued (its generation) under a server MAC, so a token spent longer ago than the
remembered hashes still proves it belongs to the chain, and its replay still revokes the
session (docs/decisions/0070-one-refresh-chain.md).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

MAX_SPENT = 64  # spent hashes remembered: the grace window, and tokens without a generation


@dataclass(frozen=True)
class Session:
    id: str
    user_id: str
    token_version: int
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    refresh_hashes: tuple[str, ...]
    spent: tuple[tuple[str, datetime], ...] = ()
    user_agent: str = ""
    revoked_at: datetime | None = None
    # How the user proved who they are when the session began (RFC 8176 values, e.g. "pwd",
    # "otp"); every access token of the session carries it (docs/reference/sessions.md).
    amr: tuple[str, ...] = ()
    # Rotations so far: the generation of the current refresh token (the first one is 0).
    rotations: int = 0

    @classmethod
    def start(
        cls,
        *,
        id: str,
        user_id: str,
        token_version: int,
        refresh_hash: str,
        now: datetime,
        lifetime: timedelta,
        user_agent: str = "",
        amr: tuple[str, ...] = (),
    ) -> Session:
        return cls(
            id=id,
            user_id=user_id,
            token_version=token_version,
            created_at=now,
            last_used_at=now,
            expires_at=now + lifetime,
            refresh_hashes=(refresh_hash,),
            user_agent=user_agent[:256],
            amr=amr,
        )

    def valid_for(self, user_id: str, token_version: int, now: datetime) -> bool:
        """Still usable by this user: not revoked, not expired, not ended by a version bump."""
        return (
            self.user_id == user_id
            and self.revoked_at is None
            and self.token_version == token_version
            and now < self.expires_at
        )

    def idle(self, now: datetime, idle_timeout: timedelta) -> bool:
        return now - self.last_used_at > idle_timeout

    def revoked(self, now: datetime) -> Session:
        return replace(self, revoked_at=now)

    def touched(self, now: datetime) -> Session:
        return replace(self, last_used_at=now)

    def refreshed(
        self,
        *,
        presented: str,
        successor: str,
        now: datetime,
        grace: timedelta,
        idle_timeout: timedelta,
        generation: int | None = None,
    ) -> Session:
        """The session after presenting refresh-token hash ``presented``, whose successor
        (derived from the token itself) hashes to ``successor``. ``generation`` is the
        rotation count at which the presented token was issued, when the token proves it
        (its MAC checked out); None when it cannot.

        - a current token: rotated — ``successor`` is the only valid token;
        - a token spent less than ``grace`` ago whose successor is still current: unchanged
          (the caller gets that successor again: parallel refreshes share one chain);
        - any other spent token (too late, or its chain has moved on): the session is revoked;
        - a token of an earlier generation, however long ago it was spent: a spent token of
          this chain, so revoked too;
        - anything else, or an unusable session: unchanged (the caller answers 401).
        """
        if self.revoked_at is not None or now >= self.expires_at or self.idle(now, idle_timeout):
            return self
        if presented in self.refresh_hashes:
            spent = self.spent + tuple((h, now) for h in self.refresh_hashes)
            return replace(
                self,
                refresh_hashes=(successor,),
                spent=spent[-MAX_SPENT:],
                last_used_at=now,
                rotations=self.rotations + 1,
            )
        spent_at = dict(self.spent).get(presented)
        if spent_at is not None:
            if now - spent_at <= grace and self.refresh_hashes == (successor,):
                return self
            return self.revoked(now)
        if generation is not None and generation < self.rotations:
            return self.revoked(now)
        return self

    def active(self, now: datetime, idle_timeout: timedelta) -> bool:
        return (
            self.revoked_at is None and now < self.expires_at and not self.idle(now, idle_timeout)
        )
