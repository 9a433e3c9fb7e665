"""Account use cases: register, log in, authenticate a request, read/update/delete oneself."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from application.ports import (
    Audit,
    AuditEvent,
    AuditLog,
    Clock,
    LoginLookup,
    LoginThrottle,
    OwnedData,
    PasswordHasher,
    Principals,
    SessionRepository,
    TokenIssuer,
)
from application.ports import UserRepository as Users
from domain.errors import InvalidInput, PermissionDenied, RateLimited, Unauthenticated
from domain.ids import new_id
from domain.sessions import Session
from domain.throttling import LoginThrottlePolicy
from domain.users import Email, User, Username, check_password_policy
from domain.users import login_key as claim_key

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
    disabled: bool = False

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
            disabled=user.disabled,
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
    # The account as authenticate() read it for this request: GET /user answers it without
    # a second read (one Firestore round trip per request, not two).
    user: UserView | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class TokenPolicy:
    access_ttl: timedelta = timedelta(minutes=15)
    refresh_ttl: timedelta = timedelta(days=7)
    session_lifetime: timedelta = timedelta(days=30)
    refresh_grace: timedelta = timedelta(seconds=10)


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
    client_ip: str = ""  # after the trusted proxy hops; "" when unknown


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
TOO_MANY_LOGIN_FAILURES = "too_many_login_failures"


def _invalid_credentials() -> Unauthenticated:
    return Unauthenticated("Invalid username or password.", code=INVALID_CREDENTIALS)


def hash_refresh_secret(secret: str) -> str:
    # A 256-bit random secret needs no slow hash; SHA-256 keeps the stored value useless.
    return hashlib.sha256(secret.encode()).hexdigest()


# -- use cases -----------------------------------------------------------------------------


def register(cmd: Register, *, users: Users, hasher: PasswordHasher, clock: Clock) -> UserView:
    username, email = Username.chosen(cmd.username), Email(cmd.email)
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
    return token_pair(user, session, secret, tokens=tokens, now=now, policy=policy)


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
    )
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
    lookup: LoginLookup,
    throttle: LoginThrottle,
    throttle_policy: LoginThrottlePolicy,
    audit: AuditLog,
) -> TokenPair:
    login_key, ip = claim_key(cmd.login), cmd.client_ip or None
    rules = throttle_policy.rules_for(login_key, cmd.client_ip)
    found = lookup.load(login_key, [key for key, _ in rules])
    records = found.failures
    now = clock.now()
    blocks = [record for record in records.values() if record.blocked(now)]
    if blocks:
        # Decided before any lookup or hash, so known and unknown names are throttled alike.
        audit.record(AuditEvent(Audit.LOGIN, "failure", ip=ip, reason=TOO_MANY_LOGIN_FAILURES))
        raise RateLimited(
            "Too many failed logins; try again later.",
            retry_after=max(record.retry_after(now) for record in blocks),
            code=TOO_MANY_LOGIN_FAILURES,
        )

    def failed(reason: str, user_id: str | None) -> Unauthenticated:
        throttle.record_failure(rules, clock.now())
        audit.record(AuditEvent(Audit.LOGIN, "failure", user_id=user_id, ip=ip, reason=reason))
        return _invalid_credentials()

    # Every path below spends one argon2 verification, so status, body and time are the same
    # for an unknown user, a password-less (Firebase-only) account and a wrong password.
    user = lookup.user(found.user_id)
    if user is None or user.password_hash is None:
        hasher.verify_dummy(cmd.password)
        if user is None:
            raise failed("unknown_user", None)
        raise failed("no_password", user.id)
    if not hasher.verify(user.password_hash, cmd.password):
        raise failed("wrong_password", user.id)
    if user.disabled:
        audit.record(
            AuditEvent(Audit.LOGIN, "failure", user_id=user.id, ip=ip, reason="account_disabled")
        )
        raise PermissionDenied("This account is disabled.", code="account_disabled")
    if hasher.needs_rehash(user.password_hash):
        new_hash = hasher.hash(cmd.password)
        now = clock.now()
        user = users.update(user.id, lambda u: u.with_password_hash(new_hash, now))
    pair = start_session(
        user,
        user_agent=cmd.user_agent,
        sessions=sessions,
        tokens=tokens,
        clock=clock,
        policy=policy,
    )
    # Only this account from this address is forgiven: the account-wide and address-wide
    # counters keep counting for an attacker who also holds one valid password.
    success_key = throttle_policy.success_key(login_key, cmd.client_ip)
    if success_key in records:
        throttle.reset(success_key)
    session_id = pair.refresh_token.partition(".")[0]  # refresh tokens are "{sid}.{secret}"
    audit.record(AuditEvent(Audit.LOGIN, user_id=user.id, session_id=session_id, ip=ip))
    return pair


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
        user=UserView.of(user),
    )


def get_user(actor: Actor, *, users: Users) -> UserView:
    """The caller's own account: as authenticate() read it moments ago, else read now."""
    if actor.user is not None:
        return actor.user
    user = users.get(actor.user_id)
    if user is None or user.deleted_at is not None:
        raise Unauthenticated("The account no longer exists.", code="invalid_token")
    return UserView.of(user)


def update_profile(cmd: UpdateProfile, *, users: Users, clock: Clock) -> UserView:
    username = Username.chosen(cmd.username) if cmd.username is not None else None
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


def delete_user(
    user_id: str,
    *,
    users: Users,
    clock: Clock,
    audit: AuditLog | None = None,
    actor_id: str | None = None,
    owned: Sequence[OwnedData] = (),
) -> None:
    """Tombstone first (login and tokens stop, names are free), then purge in batches.

    A crash after the tombstone leaves nothing that can log in and no claim that blocks
    re-registration; ``resume_deletions`` (the CLI's ``users purge-deleted``) finishes it.
    ``owned``: the resource modules' data (tasks, dogs, datasets, files), deleted before the
    user document, whose tombstone marks the work as unfinished until then.
    ``actor_id``: the admin who deleted someone else's account, for the audit log.
    """
    if users.mark_deleted(user_id, clock.now()) is not None:
        if audit is not None:
            audit.record(AuditEvent(Audit.ACCOUNT_DELETION, user_id=user_id, actor_id=actor_id))
        _purge(user_id, users=users, owned=owned)


def _purge(user_id: str, *, users: Users, owned: Sequence[OwnedData]) -> None:
    for data in owned:
        data.delete_owned_by(user_id, DELETE_BATCH)
    users.purge(user_id, DELETE_BATCH)


def resume_deletions(*, users: Users, owned: Sequence[OwnedData] = (), limit: int = 100) -> int:
    pending = users.pending_deletions(limit)
    for user_id in pending:
        _purge(user_id, users=users, owned=owned)
    return len(pending)
