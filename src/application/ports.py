"""Ports: what the use cases need from the outside world. Adapters fit them structurally."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import BinaryIO, Protocol

from domain.datasets import Dataset, DatasetRow
from domain.dogs import Dog
from domain.files import StoredFile
from domain.sessions import Session
from domain.tasks import Task
from domain.throttling import FailureRecord, ThrottleRule
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

    def list_page(self, after: str | None, limit: int) -> list[User]:
        """Up to ``limit`` live users ordered by id, starting after id ``after``."""
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


class OwnedData(Protocol):
    def delete_owned_by(self, user_id: str, batch_size: int) -> None:
        """Delete what the user owns of this kind, in bounded batches; idempotent."""
        ...


class SessionRepository(Protocol):
    def add(self, session: Session) -> None:
        """Store a new session."""
        ...

    def get(self, session_id: str) -> Session | None:
        """The session with this id, or None."""
        ...

    def update(self, session_id: str, change: Callable[[Session], Session]) -> Session | None:
        """Apply a pure ``change`` atomically and return the result; None if absent."""
        ...

    def revoke(self, session_id: str, now: datetime) -> None:
        """Mark one session revoked (idempotent)."""
        ...

    def delete(self, session_id: str) -> None:
        """Remove one session (idempotent)."""
        ...

    def list_for_user(self, user_id: str, limit: int) -> list[Session]:
        """Up to ``limit`` sessions of the user, any state."""
        ...

    def delete_for_user(self, user_id: str) -> None:
        """Remove every session of the user, in bounded batches."""
        ...


class Principals(Protocol):
    def load(self, user_id: str, session_id: str) -> tuple[User | None, Session | None]:
        """The user and the session named by an access token, in one round trip."""
        ...


@dataclass(frozen=True)
class ExternalIdentity:
    """A person as an identity provider vouches for them (e.g. a verified Firebase ID token)."""

    provider: str  # "firebase"
    subject: str  # the provider's stable user id (Firebase uid), never a local username
    email: str | None
    email_verified: bool
    display_name: str | None


class IdentityVerifier(Protocol):
    def verify(self, id_token: str) -> ExternalIdentity:
        """The identity in a valid, unrevoked token; Unauthenticated or PermissionDenied."""
        ...


class IdentityRepository(Protocol):
    def find_by_identity(self, provider: str, subject: str) -> User | None:
        """The live user linked to this external identity; None if unlinked or deleted."""
        ...

    def add_with_identity(self, user: User, provider: str, subject: str) -> User:
        """Store a new user, its claims and its identity link in one atomic commit.

        Returns the user the identity is linked to afterwards: ``user``, or the one a
        concurrent request linked first. Conflict if the username or email is taken.
        """
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
        self,
        *,
        user_id: str,
        role: str,
        session_id: str,
        now: datetime,
        not_after: datetime | None = None,
    ) -> IssuedToken:
        """A signed access token for this session, expiring no later than ``not_after``."""
        ...

    def verify_access(self, token: str) -> AccessClaims:
        """The claims of a valid access token; Unauthenticated otherwise."""
        ...


class LoginThrottle(Protocol):
    """Failed-login counters, shared by every instance of the service."""

    def load(self, keys: Sequence[str]) -> dict[str, FailureRecord]:
        """The records of those ``keys`` that have one, in one round trip."""
        ...

    def record_failure(
        self, rules: Sequence[tuple[str, ThrottleRule]], now: datetime
    ) -> dict[str, FailureRecord]:
        """Count one failure against each key under its rule, atomically; the new records.

        RateLimited when the counters are too contended to update (an attack in progress).
        """
        ...

    def reset(self, key: str) -> None:
        """Forget the failures counted against ``key`` (idempotent)."""
        ...


@dataclass(frozen=True)
class LoginRecords:
    """What a login reads before it may spend a hash."""

    failures: dict[str, FailureRecord]  # the throttle keys that have a record
    user_id: str | None  # whom the login name (username, or email with '@') belongs to


class LoginLookup(Protocol):
    """The reads of POST /login, shaped so that it costs two round trips before the hash:
    throttle records and the name's claim together, then the account."""

    def load(self, login_key: str, throttle_keys: Sequence[str]) -> LoginRecords:
        """The failure records of ``throttle_keys`` and the claim of the normalized
        ``login_key`` (none for an empty key), in one round trip."""
        ...

    def user(self, user_id: str | None) -> User | None:
        """The live user with this id. For None, a read of the same cost that finds
        nobody, so an unknown name takes as long as a known one."""
        ...


class Audit(StrEnum):
    """The security events written to the audit log."""

    LOGIN = "login"
    LOGOUT = "logout"
    REFRESH_TOKEN_REUSE = "refresh_token_reuse"
    ROLE_CHANGE = "role_change"
    ACCOUNT_DELETION = "account_deletion"


@dataclass(frozen=True)
class AuditEvent:
    """One audit record. Never a password, token, hash or the login name as typed."""

    event: Audit
    outcome: str = "success"  # or "failure"
    user_id: str | None = None  # whom the event is about
    session_id: str | None = None
    ip: str | None = None  # the client address (after the trusted proxy hops)
    actor_id: str | None = None  # who acted, when not the user itself (an admin)
    reason: str | None = None  # a stable code, e.g. "wrong_password", "reused_refresh_token"
    changes: tuple[tuple[str, str, str], ...] = ()  # (field, before, after), e.g. a role


class AuditLog(Protocol):
    def record(self, event: AuditEvent) -> None:
        """Write one security event; must not raise."""
        ...


# -- resource modules: tasks, dogs, pictures, background jobs --------------------------------


class TaskRepository(Protocol):
    def add(self, task: Task) -> None:
        """Store a new task."""
        ...

    def get(self, task_id: str) -> Task | None:
        """The task with this id, whoever owns it; None if absent."""
        ...

    def update(self, task_id: str, change: Callable[[Task], Task]) -> Task | None:
        """Apply a pure ``change`` atomically (it may raise to refuse); None if absent."""
        ...

    def delete(self, task_id: str, check: Callable[[Task], None]) -> bool:
        """Delete the task if ``check`` (which may raise) lets it; False if absent."""
        ...

    def list_page(
        self, owner_id: str, done: bool | None, after: tuple[datetime, str] | None, limit: int
    ) -> list[Task]:
        """Up to ``limit`` of the owner's tasks by (created_at, id), after that position."""
        ...

    def delete_owned_by(self, user_id: str, batch_size: int) -> None:
        """Delete every task of the user, in bounded batches (OwnedData)."""
        ...


class DogRepository(Protocol):
    def add(self, dog: Dog) -> None:
        """Store a new dog and claim its name in one commit; Conflict if the name is taken."""
        ...

    def get(self, dog_id: str) -> Dog | None:
        """The dog with this id, or None."""
        ...

    def find_by_name(self, key: str) -> Dog | None:
        """The dog whose name key (case-folded) is ``key``, or None."""
        ...

    def update(self, dog_id: str, change: Callable[[Dog], Dog]) -> Dog | None:
        """Apply a pure ``change`` atomically, moving the name claim on a rename.

        ``change`` may raise to refuse; Conflict if the new name is taken; None if absent.
        """
        ...

    def delete(self, dog_id: str, check: Callable[[Dog], None]) -> bool:
        """Delete the dog and its name claim if ``check`` lets it; False if absent."""
        ...

    def list_page(
        self, adopted: bool | None, after: tuple[datetime, str] | None, limit: int
    ) -> list[Dog]:
        """Up to ``limit`` dogs by (created_at, id) after that position; ``adopted`` filters."""
        ...

    def delete_owned_by(self, user_id: str, batch_size: int) -> None:
        """Delete every dog of the user with its name claim, in bounded batches (OwnedData)."""
        ...


class PictureSource(Protocol):
    def random_picture(self) -> str:
        """The URL of a random dog picture; PictureUnavailable when none can be had now."""
        ...


class PictureUnavailable(Exception):
    """The picture source failed or answered something unacceptable (worth a retry)."""


@dataclass(frozen=True)
class Job:
    """A unit of background work: what to do (``kind``) to what (``subject``, e.g. a dog id)."""

    kind: str
    subject: str


class JobQueue(Protocol):
    def enqueue(self, job: Job) -> None:
        """Run ``job`` later, at least once, retried with backoff; raises if it cannot queue."""
        ...


class PushVerifier(Protocol):
    def verify(self, bearer_token: str) -> None:
        """Accept an OIDC token that the push service signed for us; Unauthenticated else."""
        ...


# -- datasets and files (SPEC §8) ------------------------------------------------------------


class FileStore(Protocol):
    """Object storage (Cloud Storage): whole objects under string keys."""

    def save(self, key: str, data: BinaryIO, *, size: int, content_type: str) -> None:
        """Store ``size`` bytes read from ``data`` (streamed, not held) under ``key``."""
        ...

    def open(self, key: str) -> Iterator[bytes]:
        """The object's bytes in bounded chunks; NotFound (before any chunk) if absent."""
        ...

    def delete(self, key: str) -> None:
        """Remove one object (idempotent)."""
        ...

    def delete_prefix(self, prefix: str) -> int:
        """Remove every object whose key starts with ``prefix``; how many there were."""
        ...


class DatasetRepository(Protocol):
    def add(self, dataset: Dataset) -> None:
        """Store a new dataset record."""
        ...

    def get(self, dataset_id: str) -> Dataset | None:
        """The dataset with this id, whoever owns it; None if absent."""
        ...

    def save(self, dataset: Dataset) -> None:
        """Replace an existing dataset record; NotFound if it was deleted meanwhile."""
        ...

    def list_page(self, owner_id: str | None, after: str | None, limit: int) -> list[Dataset]:
        """Up to ``limit`` datasets by id after ``after``: the owner's, or all (None)."""
        ...

    def add_rows(self, dataset_id: str, rows: Iterable[DatasetRow]) -> int:
        """Store rows numbered 1, 2, ... in bounded batches, streaming; how many."""
        ...

    def rows_page(self, dataset_id: str, after: int, limit: int) -> list[DatasetRow]:
        """Up to ``limit`` rows numbered after ``after``, in order."""
        ...

    def delete(self, dataset_id: str, batch_size: int) -> None:
        """Delete the rows in bounded batches, then the record (idempotent, resumable)."""
        ...

    def ids_owned_by(self, owner_id: str, limit: int) -> list[str]:
        """Ids of up to ``limit`` of the owner's datasets, in any state."""
        ...


class FileRepository(Protocol):
    def add(self, file: StoredFile) -> None:
        """Store a new file record."""
        ...

    def get(self, file_id: str) -> StoredFile | None:
        """The file record with this id, whoever owns it; None if absent."""
        ...

    def delete(self, file_id: str) -> None:
        """Remove one file record (idempotent)."""
        ...

    def owned_by(self, owner_id: str, limit: int) -> list[StoredFile]:
        """Up to ``limit`` of the owner's file records."""
        ...
