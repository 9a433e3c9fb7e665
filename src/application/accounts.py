"""Account use cases: register, log in, authenticate a request, read/update/delete oneself."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from application.ports import Clock, PasswordHasher, Principals, SessionRepository, TokenIssuer
from application.ports import UserRepository as Users
from domain.errors import InvalidInput, PermissionDenied, Unauthenticated
from domain.ids import new_id
from domain.sessions import Session
from domain.users import Email, User, Username, check_password_policy, fold

# -- results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class UserView:
    id: str
    username: str
    email: str
    name: str | None
    last_name: str | None
    role: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, user: User) -> UserView:
        return cls(
            id=user.id,
            username=user.username.value,
            email=user.email.value,
            name=user.name,
            last_name=user.last_name,
            role=user.role.value,
            created_at=user.created_at,
            updated_at=user.updated_at,
        )


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    expires_in: int
    refresh_token: str
    refresh_expires_in: int
    token_type: str = "bearer"


@dataclass(frozen=True)
class Actor:
    """Who is calling, as established by authenticate(); routes hand this to use cases."""

    user_id: str
    username: str
    role: str
    session_id: str
    expires_at: datetime


@dataclass(frozen=True)
class TokenPolicy:
    access_ttl: timedelta = timedelta(minutes=15)
    refresh_ttl: timedelta = timedelta(days=7)
    session_lifetime: timedelta = timedelta(days=30)


# -- commands ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Register:
    username: str
    email: str
    password: str
    name: str | None = None
    last_name: str | None = None


@dataclass(frozen=True)
class Login:
    login: str
    password: str
    user_agent: str = ""


@dataclass(frozen=True)
class UpdateProfile:
    user_id: str
    username: str | None = None
    email: str | None = None
    names: tuple[tuple[str, str | None], ...] = ()  # ("name", v), ("last_name", v) to set


@dataclass(frozen=True)
class ChangePassword:
    user_id: str
    session_id: str
    current_password: str
    new_password: str


INVALID_CREDENTIALS = "invalid_credentials"


def _invalid_credentials() -> Unauthenticated:
    return Unauthenticated("Invalid username or password.", code=INVALID_CREDENTIALS)


def hash_refresh_secret(secret: str) -> str:
    # A 256-bit random secret needs no slow hash; SHA-256 keeps the stored value useless.
    return hashlib.sha256(secret.encode()).hexdigest()


# -- use cases -----------------------------------------------------------------------------


def register(cmd: Register, *, users: Users, hasher: PasswordHasher, clock: Clock) -> UserView:
    username, email = Username(cmd.username), Email(cmd.email)
    check_password_policy(cmd.password)
    user = User.register(
        id=new_id(),
        username=username,
        email=email,
        password_hash=hasher.hash(cmd.password),
        now=clock.now(),
        name=cmd.name,
        last_name=cmd.last_name,
    )
    users.add(user)
    return UserView.of(user)


def start_session(
    user: User,
    *,
    user_agent: str,
    sessions: SessionRepository,
    tokens: TokenIssuer,
    clock: Clock,
    policy: TokenPolicy,
) -> TokenPair:
    now = clock.now().replace(microsecond=0)  # JWT times are whole seconds
    secret = secrets.token_urlsafe(32)
    session = Session.start(
        id=new_id(),
        user_id=user.id,
        token_version=user.token_version,
        refresh_hash=hash_refresh_secret(secret),
        now=now,
        lifetime=policy.session_lifetime,
        user_agent=user_agent,
    )
    sessions.add(session)
    access = tokens.issue_access(user_id=user.id, role=user.role, session_id=session.id, now=now)
    refresh_until = min(now + policy.refresh_ttl, session.expires_at)
    return TokenPair(
        access_token=access.token,
        expires_in=int((access.expires_at - now).total_seconds()),
        refresh_token=f"{session.id}.{secret}",
        refresh_expires_in=int((refresh_until - now).total_seconds()),
    )


def login(
    cmd: Login,
    *,
    users: Users,
    sessions: SessionRepository,
    hasher: PasswordHasher,
    tokens: TokenIssuer,
    clock: Clock,
    policy: TokenPolicy,
) -> TokenPair:
    # Every path below spends one argon2 verification, so status, body and time are the same
    # for an unknown user, a password-less (Firebase-only) account and a wrong password.
    user = users.find_by_login(fold(cmd.login)) if cmd.login else None
    if user is None or user.password_hash is None:
        hasher.verify_dummy(cmd.password)
        raise _invalid_credentials()
    if not hasher.verify(user.password_hash, cmd.password):
        raise _invalid_credentials()
    if user.disabled:
        raise PermissionDenied("This account is disabled.", code="account_disabled")
    if hasher.needs_rehash(user.password_hash):
        new_hash = hasher.hash(cmd.password)
        now = clock.now()
        user = users.update(user.id, lambda u: u.with_password_hash(new_hash, now))
    return start_session(
        user,
        user_agent=cmd.user_agent,
        sessions=sessions,
        tokens=tokens,
        clock=clock,
        policy=policy,
    )


def authenticate(token: str, *, tokens: TokenIssuer, principals: Principals, clock: Clock) -> Actor:
    claims = tokens.verify_access(token)
    user, session = principals.load(claims.user_id, claims.session_id)
    if (
        user is None
        or user.deleted_at is not None
        or session is None
        or not session.valid_for(user.id, user.token_version, clock.now())
    ):
        raise Unauthenticated("The access token is no longer valid.", code="invalid_token")
    if user.disabled:
        raise PermissionDenied("This account is disabled.", code="account_disabled")
    return Actor(
        user_id=user.id,
        username=user.username.value,
        role=user.role.value,  # the stored role, never the token's possibly stale claim
        session_id=session.id,
        expires_at=claims.expires_at,
    )


def get_user(user_id: str, *, users: Users) -> UserView:
    user = users.get(user_id)
    if user is None or user.deleted_at is not None:
        raise Unauthenticated("The account no longer exists.", code="invalid_token")
    return UserView.of(user)


def update_profile(cmd: UpdateProfile, *, users: Users, clock: Clock) -> UserView:
    username = Username(cmd.username) if cmd.username is not None else None
    email = Email(cmd.email) if cmd.email is not None else None
    now = clock.now()
    names = dict(cmd.names)
    user = users.update(
        cmd.user_id,
        lambda u: u.with_profile(now=now, username=username, email=email, names=names),
    )
    return UserView.of(user)


def change_password(
    cmd: ChangePassword, *, users: Users, hasher: PasswordHasher, clock: Clock
) -> None:
    user = users.get(cmd.user_id)
    if user is None or user.deleted_at is not None:
        raise Unauthenticated("The account no longer exists.", code="invalid_token")
    if user.password_hash is None or not hasher.verify(user.password_hash, cmd.current_password):
        raise PermissionDenied(
            "The current password is not correct.", code="invalid_current_password"
        )
    check_password_policy(cmd.new_password)
    if cmd.new_password == cmd.current_password:
        raise InvalidInput.field(
            "new_password",
            "The new password must differ from the current one.",
            "password_unchanged",
        )
    new_hash = hasher.hash(cmd.new_password)
    now = clock.now()
    users.update(
        cmd.user_id,
        lambda u: u.with_password_hash(new_hash, now).ending_all_sessions(now),
        keep_session=cmd.session_id,
    )


DELETE_BATCH = 200


def delete_user(user_id: str, *, users: Users, clock: Clock) -> None:
    """Tombstone first (login and tokens stop, names are free), then purge in batches.

    A crash after the tombstone leaves nothing that can log in and no claim that blocks
    re-registration; ``resume_deletions`` (the CLI's ``users purge-deleted``) finishes it.
    """
    if users.mark_deleted(user_id, clock.now()) is not None:
        users.purge(user_id, DELETE_BATCH)


def resume_deletions(*, users: Users, limit: int = 100) -> int:
    pending = users.pending_deletions(limit)
    for user_id in pending:
        users.purge(user_id, DELETE_BATCH)
    return len(pending)
