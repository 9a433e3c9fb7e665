"""In-memory adapters for unit tests; tests/contract keeps each honest against Firestore."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from application.ports import AuditEvent, ExternalIdentity
from domain.errors import Conflict, DomainError, NotFound, Unauthenticated
from domain.sessions import Session
from domain.throttling import FailureRecord, ThrottleRule
from domain.users import User


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime.now(UTC).replace(microsecond=0)

    def now(self) -> datetime:
        return self.current

    def advance(self, **kwargs: float) -> None:
        self.current += timedelta(**kwargs)


class InMemoryStore:
    """The documents both fake repositories share, like collections in one database."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.users: dict[str, User] = {}
        self.usernames: dict[str, str] = {}  # normalized -> user id
        self.emails: dict[str, str] = {}
        self.sessions: dict[str, Session] = {}
        self.identities: dict[str, str] = {}  # "provider:subject" -> user id


class FakeUserRepository:
    def __init__(self, store: InMemoryStore | None = None) -> None:
        self.store = store or InMemoryStore()

    def add(self, user: User) -> None:
        s = self.store
        with s.lock:
            if user.username.normalized in s.usernames:
                raise Conflict(
                    "This username is already registered.", code="username_taken", field="username"
                )
            if user.email.normalized in s.emails:
                raise Conflict(
                    "This email is already registered.", code="email_taken", field="email"
                )
            s.users[user.id] = user
            s.usernames[user.username.normalized] = user.id
            s.emails[user.email.normalized] = user.id

    def get(self, user_id: str) -> User | None:
        return self.store.users.get(user_id)

    def find_by_login(self, key: str) -> User | None:
        claims = self.store.emails if "@" in key else self.store.usernames
        user = self.store.users.get(claims.get(key, ""))
        return user if user is not None and user.deleted_at is None else None

    def update(
        self, user_id: str, change: Callable[[User], User], *, keep_session: str | None = None
    ) -> User:
        s = self.store
        with s.lock:
            old = s.users.get(user_id)
            if old is None or old.deleted_at is not None:
                raise NotFound("The account no longer exists.", code="user_not_found")
            new = change(old)
            moves = [
                (s.usernames, old.username.normalized, new.username.normalized, "username"),
                (s.emails, old.email.normalized, new.email.normalized, "email"),
            ]
            for claims, before, after, field in moves:
                if before != after and after in claims:
                    raise Conflict(
                        f"This {field} is already registered.", code=f"{field}_taken", field=field
                    )
            for claims, before, after, _ in moves:
                if before != after:
                    del claims[before]
                    claims[after] = user_id
            s.users[user_id] = new
            if keep_session and new.token_version != old.token_version:
                kept = s.sessions.get(keep_session)
                if kept is None:
                    raise NotFound("session missing")
                s.sessions[keep_session] = replace(kept, token_version=new.token_version)
            return new

    def list_page(self, after: str | None, limit: int) -> list[User]:
        live = sorted(
            (u for u in self.store.users.values() if u.deleted_at is None), key=lambda u: u.id
        )
        return [u for u in live if after is None or u.id > after][:limit]

    def mark_deleted(self, user_id: str, now: datetime) -> User | None:
        s = self.store
        with s.lock:
            user = s.users.get(user_id)
            if user is None or user.deleted_at is not None:
                return user
            for claims, key in (
                (s.usernames, user.username.normalized),
                (s.emails, user.email.normalized),
            ):
                if claims.get(key) == user_id:
                    del claims[key]
            s.users[user_id] = replace(user, deleted_at=now, updated_at=now)
            return user

    def purge(self, user_id: str, batch_size: int) -> None:
        s = self.store
        with s.lock:
            for sid in [sid for sid, x in s.sessions.items() if x.user_id == user_id]:
                del s.sessions[sid]
            for key in [key for key, x in s.identities.items() if x == user_id]:
                del s.identities[key]
            s.users.pop(user_id, None)

    def pending_deletions(self, limit: int) -> list[str]:
        return [u.id for u in self.store.users.values() if u.deleted_at is not None][:limit]


class FakeSessionRepository:
    def __init__(self, store: InMemoryStore | None = None) -> None:
        self.store = store or InMemoryStore()

    def add(self, session: Session) -> None:
        with self.store.lock:
            if session.id in self.store.sessions:
                raise Conflict("session exists")
            self.store.sessions[session.id] = session

    def get(self, session_id: str) -> Session | None:
        return self.store.sessions.get(session_id)

    def update(self, session_id: str, change: Callable[[Session], Session]) -> Session | None:
        with self.store.lock:
            session = self.store.sessions.get(session_id)
            if session is None:
                return None
            self.store.sessions[session_id] = after = change(session)
            return after

    def revoke(self, session_id: str, now: datetime) -> None:
        with self.store.lock:
            session = self.store.sessions.get(session_id)
            if session is not None and session.revoked_at is None:
                self.store.sessions[session_id] = session.revoked(now)

    def delete(self, session_id: str) -> None:
        with self.store.lock:
            self.store.sessions.pop(session_id, None)

    def list_for_user(self, user_id: str, limit: int) -> list[Session]:
        return [s for s in self.store.sessions.values() if s.user_id == user_id][:limit]

    def delete_for_user(self, user_id: str) -> None:
        with self.store.lock:
            for sid in [sid for sid, s in self.store.sessions.items() if s.user_id == user_id]:
                del self.store.sessions[sid]


class FakePrincipals:
    def __init__(self, store: InMemoryStore) -> None:
        self.store = store

    def load(self, user_id: str, session_id: str) -> tuple[User | None, Session | None]:
        return self.store.users.get(user_id), self.store.sessions.get(session_id)


class FakeHasher:
    """Reversible "hashes" so unit tests run fast; ``version`` simulates parameter upgrades."""

    def __init__(self, version: int = 1) -> None:
        self.version = version
        self.dummy_verifications = 0

    def hash(self, password: str) -> str:
        return f"fake${self.version}${password}"

    def verify(self, password_hash: str, password: str) -> bool:
        return password_hash.split("$", 2)[2] == password

    def verify_dummy(self, password: str) -> None:
        self.dummy_verifications += 1

    def needs_rehash(self, password_hash: str) -> bool:
        return not password_hash.startswith(f"fake${self.version}$")


class FakeIdentityRepository:
    def __init__(self, store: InMemoryStore | None = None) -> None:
        self.store = store or InMemoryStore()

    def _live(self, user_id: str | None) -> User | None:
        user = self.store.users.get(user_id or "")
        return user if user is not None and user.deleted_at is None else None

    def find_by_identity(self, provider: str, subject: str) -> User | None:
        return self._live(self.store.identities.get(f"{provider}:{subject}"))

    def add_with_identity(self, user: User, provider: str, subject: str) -> User:
        key = f"{provider}:{subject}"
        with self.store.lock:
            linked = self._live(self.store.identities.get(key))
            if linked is not None:
                return linked  # linked first by a concurrent sign-in
            FakeUserRepository(self.store).add(user)  # Conflict when a claim is taken
            self.store.identities[key] = user.id  # replaces a link to a deleted account
            return user


class FakeIdentityVerifier:
    """Firebase under the test's control: ``issue`` mints a token, ``refuse`` makes one fail."""

    def __init__(self) -> None:
        self.tokens: dict[str, ExternalIdentity | DomainError] = {}

    def issue(
        self,
        subject: str,
        *,
        email: str | None = None,
        email_verified: bool = True,
        display_name: str | None = None,
    ) -> str:
        token = f"id-token-{len(self.tokens)}-{subject}"
        self.tokens[token] = ExternalIdentity(
            provider="firebase",
            subject=subject,
            email=email,
            email_verified=email_verified,
            display_name=display_name,
        )
        return token

    def refuse(self, token: str, error: DomainError) -> None:
        self.tokens[token] = error

    def verify(self, id_token: str) -> ExternalIdentity:
        found = self.tokens.get(id_token)
        if found is None:
            raise Unauthenticated("The Firebase ID token is not valid.", code="invalid_id_token")
        if isinstance(found, DomainError):
            raise found
        return found


class FakeLoginThrottle:
    """Failure records in a dict, updated under a lock like the Firestore transaction."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.records: dict[str, FailureRecord] = {}

    def load(self, keys: Sequence[str]) -> dict[str, FailureRecord]:
        return {key: self.records[key] for key in keys if key in self.records}

    def record_failure(
        self, rules: Sequence[tuple[str, ThrottleRule]], now: datetime
    ) -> dict[str, FailureRecord]:
        with self.lock:
            for key, rule in rules:
                old = self.records.get(key)
                self.records[key] = (
                    old.after_failure(now, rule) if old else FailureRecord.first(now, rule)
                )
            return {key: self.records[key] for key, _ in rules}

    def reset(self, key: str) -> None:
        with self.lock:
            self.records.pop(key, None)


class RecordingAuditLog:
    """Keeps the audit events so tests assert on them, not on log text."""

    def __init__(self) -> None:
        self.events: list[AuditEvent] = []

    def record(self, event: AuditEvent) -> None:
        self.events.append(event)
