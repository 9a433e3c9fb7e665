"""The caller's sessions, as GET /auth/sessions lists them (docs/reference/sessions.md)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from domain.signin.sessions import Session
from interfaces.http.schemas.common import Schema


class SessionOut(Schema):
    id: str
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    user_agent: str
    current: bool = Field(description="Is this the session of the presented token?")

    @classmethod
    def of(cls, session: Session, current: bool) -> SessionOut:
        return cls(
            id=session.id,
            created_at=session.created_at,
            last_used_at=session.last_used_at,
            expires_at=session.expires_at,
            user_agent=session.user_agent,
            current=current,
        )


class SessionList(Schema):
    items: list[SessionOut]
    next_cursor: str | None = None
