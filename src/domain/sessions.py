"""Login sessions: one per login, referenced by access tokens (``sid``) and refresh tokens."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Session:
    id: str
    user_id: str
    token_version: int
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    refresh_hash: str
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
            refresh_hash=refresh_hash,
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

    def revoked(self, now: datetime) -> Session:
        return replace(self, revoked_at=now)
