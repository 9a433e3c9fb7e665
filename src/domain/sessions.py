"""Login sessions: one per login, referenced by access tokens (``sid``) and refresh tokens.

Refresh tokens rotate on every use. The session keeps the hashes of its currently valid
refresh tokens and of recently spent ones; presenting a spent one inside the grace window
(parallel refreshes of one client) mints a sibling token, after it revokes the session.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

MAX_SIBLINGS = 16  # valid refresh tokens minted in one grace window
MAX_SPENT = 64  # spent hashes remembered for replay detection


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
        new_hash: str,
        now: datetime,
        grace: timedelta,
        idle_timeout: timedelta,
    ) -> Session:
        """The session after presenting refresh-token hash ``presented``.

        - a current token: rotated — ``new_hash`` is the only valid token, the others spent;
        - a token spent less than ``grace`` ago: ``new_hash`` is added as a sibling;
        - a token spent longer ago: replay — the session is revoked;
        - anything else, or an unusable session: unchanged (the caller answers 401).
        """
        if self.revoked_at is not None or now >= self.expires_at or self.idle(now, idle_timeout):
            return self
        if presented in self.refresh_hashes:
            spent = self.spent + tuple((h, now) for h in self.refresh_hashes)
            return replace(
                self, refresh_hashes=(new_hash,), spent=spent[-MAX_SPENT:], last_used_at=now
            )
        spent_at = dict(self.spent).get(presented)
        if spent_at is None:
            return self
        if now - spent_at <= grace and len(self.refresh_hashes) < MAX_SIBLINGS:
            return replace(self, refresh_hashes=(*self.refresh_hashes, new_hash), last_used_at=now)
        return self.revoked(now)

    def active(self, now: datetime, idle_timeout: timedelta) -> bool:
        return (
            self.revoked_at is None and now < self.expires_at and not self.idle(now, idle_timeout)
        )
