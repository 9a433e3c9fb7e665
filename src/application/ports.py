"""Ports: what the use cases need from the outside world. Adapters fit them structurally."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from domain.sessions import Session
from domain.users import User


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class UserRepository(Protocol):
    def add(self, user: User) -> None:
        """Store a new user and claim its username and email atomically; Conflict if taken."""
        ...

    def get(self, user_id: str) -> User | None:
        """The user with this id, including one marked for deletion; None if absent."""
        ...

    def find_by_login(self, key: str) -> User | None:
        """The live user whose normalized username or email (contains '@') is ``key``."""
        ...

    def update(
        self, user_id: str, change: Callable[[User], User], *, keep_session: str | None = None
    ) -> User:
        """Apply a pure ``change`` atomically, moving claims on rename; NotFound, Conflict.

        When the change bumps ``token_version``, ``keep_session`` is moved to the new version
        in the same transaction, so it alone survives.
        """
        ...

    def mark_deleted(self, user_id: str, now: datetime) -> User | None:
        """Tombstone the user and release its claims in one transaction; None if absent."""
        ...

    def purge(self, user_id: str, batch_size: int) -> None:
        """Delete everything a tombstoned user owns, in bounded batches, then the user."""
        ...

    def pending_deletions(self, limit: int) -> list[str]:
        """Ids of users marked for deletion whose purge has not finished."""
        ...


class SessionRepository(Protocol):
    def add(self, session: Session) -> None:
        """Store a new session."""
        ...

    def get(self, session_id: str) -> Session | None:
        """The session with this id, or None."""
        ...

    def revoke(self, session_id: str, now: datetime) -> None:
        """Mark one session revoked (idempotent)."""
        ...


class Principals(Protocol):
    def load(self, user_id: str, session_id: str) -> tuple[User | None, Session | None]:
        """The user and the session named by an access token, in one round trip."""
        ...


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str:
        """A new salted hash of ``password``."""
        ...

    def verify(self, password_hash: str, password: str) -> bool:
        """Does ``password`` match ``password_hash``?"""
        ...

    def verify_dummy(self, password: str) -> None:
        """Spend the time of one verification, for users that do not exist."""
        ...

    def needs_rehash(self, password_hash: str) -> bool:
        """Was ``password_hash`` made with weaker parameters than the current ones?"""
        ...


@dataclass(frozen=True)
class AccessClaims:
    user_id: str
    session_id: str
    role: str
    jti: str
    expires_at: datetime


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: datetime


class TokenIssuer(Protocol):
    def issue_access(
        self, *, user_id: str, role: str, session_id: str, now: datetime
    ) -> IssuedToken:
        """A signed access token for this session."""
        ...

    def verify_access(self, token: str) -> AccessClaims:
        """The claims of a valid access token; Unauthenticated otherwise."""
        ...
