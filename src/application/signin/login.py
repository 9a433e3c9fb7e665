"""Password checks: login (throttled, constant-time for unknown names, audited) and the
password change, whose current-password guesses count in the same throttle."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from application.accounts.accounts import NO_HOLD, AccountHold
from application.accounts.accounts import UserRepository as Users
from application.accounts.authentication import Actor
from application.ports import (
    Audit,
    AuditEvent,
    AuditLog,
    Clock,
    PasswordHasher,
)
from application.signin.mfa import (
    MfaLogin,
    MfaRepository,
    require_second_factor,
)
from application.signin.sessions import SignIn, SignInRequest
from application.signin.throttle import (
    LoginThrottle,
    reserve_guess,
    session_rules,
    session_success_keys,
    settled,
    wrong_guess,
)
from application.signin.tokens import TokenPair
from domain.accounts.users import User, check_password_policy
from domain.accounts.users import login_key as claim_key
from domain.errors import (
    Conflict,
    InvalidInput,
    PermissionDenied,
    ReauthenticationRequired,
    Unauthenticated,
)
from domain.federation.identities import WayIn
from domain.signin.devices import Device, DevicePolicy
from domain.signin.mfa import PASSWORD
from domain.signin.throttling import (
    TOO_MANY_LOGIN_FAILURES,
    FailureRecord,
    LoginThrottlePolicy,
    refusal,
)


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


@dataclass(frozen=True)
class Login:
    login: str
    password: str
    user_agent: str = ""
    client_ip: str = ""  # after the trusted proxy hops; "" when unknown
    device_token: str = ""  # from an earlier successful login of this client, if any


INVALID_CREDENTIALS = "invalid_credentials"


def _invalid_credentials() -> Unauthenticated:
    return Unauthenticated("Invalid username or password.", code=INVALID_CREDENTIALS)


def login(
    cmd: Login,
    *,
    users: Users,
    sign_in: SignIn,
    hasher: PasswordHasher,
    clock: Clock,
    lookup: LoginLookup,
    throttle: LoginThrottle,
    throttle_policy: LoginThrottlePolicy,
    devices: DevicePolicy,
    audit: AuditLog,
    factors: MfaRepository,
    require_verified_email: bool = False,
) -> TokenPair:
    """A token pair, and a device token that exempts this client's later logins from the
    account-wide failure block (docs/security.md, "Lockout"). With a second factor on,
    MfaRequired instead: the login ends at finish_mfa_login."""
    login_key, ip = claim_key(cmd.login), cmd.client_ip or None
    device = devices.verify(cmd.device_token, clock.now())
    plain = throttle_policy.rules_for(login_key, cmd.client_ip)
    proven = throttle_policy.rules_for(login_key, cmd.client_ip, device.id) if device else ()
    found = lookup.load(login_key, list(dict.fromkeys(key for key, _ in (*plain, *proven))))
    records = found.failures
    if device is not None and device.user_id != found.user_id:
        device = None  # another account's (or nobody's): no exemption
    rules = proven if device is not None else plain

    def refused() -> None:
        audit.record(AuditEvent(Audit.LOGIN, "failure", ip=ip, reason=TOO_MANY_LOGIN_FAILURES))

    # Decided before any lookup or hash, so known and unknown names are throttled alike.
    blocked = refusal({key: records[key] for key, _ in rules if key in records}, clock.now())
    if blocked is not None:
        refused()
        raise blocked
    user = lookup.user(found.user_id)
    if device is not None and user is not None and not device.of(user):
        # Issued before the account forgot its devices (its address was proven by somebody
        # else, docs/decisions/0104-first-proof-of-address-wins.md): no exemption.
        device, rules = None, plain
    # Counted before it is checked, so a burst in parallel gets the budget and no more.
    reservation = reserve_guess(throttle, rules, clock.now(), refused=refused, seen=records)

    def failed(reason: str, user_id: str | None) -> Unauthenticated:
        wrong_guess(throttle, reservation, clock.now())
        agent = cmd.user_agent or None
        audit.record(
            AuditEvent(
                Audit.LOGIN, "failure", user_id=user_id, ip=ip, reason=reason, user_agent=agent
            )
        )
        return _invalid_credentials()

    # Every path below spends one argon2 verification, so status, body and time are the same
    # for an unknown user, a password-less (Firebase-only) account and a wrong password.
    if user is None or user.password_hash is None:
        hasher.verify_dummy(cmd.password)
        if user is None:
            raise failed("unknown_user", None)
        raise failed("no_password", user.id)
    if not hasher.verify(user.password_hash, cmd.password):
        raise failed("wrong_password", user.id)
    # The password is right: its failure is taken back whatever comes next. Only a login
    # that ends here clears this client's failures: a password known to an attacker must
    # not clear the failures its wrong codes count (docs/security.md, "MFA").
    clear = throttle_policy.success_keys(login_key, cmd.client_ip, device.id if device else None)
    with settled(throttle, reservation, clear):
        pair = _signed_in(
            cmd,
            user,
            login_key=login_key,
            device=device,
            users=users,
            sign_in=sign_in,
            hasher=hasher,
            clock=clock,
            audit=audit,
            factors=factors,
            require_verified_email=require_verified_email,
        )
    return replace(pair, device_token=devices.issue(user, clock.now(), device))


def _signed_in(
    cmd: Login,
    user: User,
    *,
    login_key: str,
    device: Device | None,
    users: Users,
    sign_in: SignIn,
    hasher: PasswordHasher,
    clock: Clock,
    audit: AuditLog,
    factors: MfaRepository,
    require_verified_email: bool,
) -> TokenPair:
    """After the right password: the account's state decides (disabled, address unproven,
    a second factor to come), else a new session."""
    ip = cmd.client_ip or None
    if user.disabled:
        audit.record(
            AuditEvent(Audit.LOGIN, "failure", user_id=user.id, ip=ip, reason="account_disabled")
        )
        raise PermissionDenied("This account is disabled.", code="account_disabled")
    if require_verified_email and user.email is not None and not user.email_verified:
        # Only after the right password: a wrong one stays the plain 401 above.
        audit.record(
            AuditEvent(Audit.LOGIN, "failure", user_id=user.id, ip=ip, reason="email_not_verified")
        )
        raise PermissionDenied(
            "Confirm your e-mail address first; the mail has a link.", code="email_not_verified"
        )
    if user.password_hash is not None and hasher.needs_rehash(user.password_hash):
        new_hash = hasher.hash(cmd.password)
        now = clock.now()
        user = users.update(user.id, lambda u: u.with_password_hash(new_hash, now))
    # Only a right password learns whether the account has a second factor.
    require_second_factor(
        user,
        login_key=login_key,
        first_factor=(PASSWORD,),
        device_id=device.id if device else None,
        ip=ip,
        factors=factors,
        clock=clock,
        audit=audit,
    )
    return sign_in(
        SignInRequest(user, (PASSWORD,), cmd.user_agent, ip=ip, knows_devices=True, device=device)
    )


@dataclass(frozen=True)
class ChangePassword:
    user_id: str
    session_id: str
    current_password: str  # "" for an account without a password: its first one
    new_password: str
    client_ip: str = ""  # after the trusted proxy hops; "" when unknown
    recent_sign_in: bool = False  # Actor.recent_sign_in: may set a first password

    @classmethod
    def of(
        cls, actor: Actor, current_password: str, new_password: str, client_ip: str
    ) -> ChangePassword:
        """The signed-in ``actor``'s change, from its session."""
        return cls(
            actor.user_id,
            actor.session_id,
            current_password,
            new_password,
            client_ip,
            actor.recent_sign_in,
        )


def check_current_password(
    user: User,
    password: str,
    *,
    session_id: str,
    client_ip: str,
    hasher: PasswordHasher,
    clock: Clock,
    throttle: LoginThrottle,
    throttle_policy: LoginThrottlePolicy,
    clear_failures: bool = True,
) -> None:
    """A signed-in user's password, asked again before a sensitive change.

    A wrong one is a failed login of the account by its username: it is counted before it
    is checked, and a blocked account or address is refused before any hash is spent. The
    caller's session proves the device, so the account-wide block, which anybody can trip,
    does not stop it; the session has a budget of its own.

    A right one clears the failures of this account from this address and session, unless
    ``clear_failures`` is False: a second factor is still to come, and a password known to
    an attacker must not clear what the wrong codes count (docs/security.md, "MFA"); the
    code's check clears them once it is right (``session_success_keys``)."""
    rules = session_rules(user, session_id, client_ip, throttle_policy)
    reservation = reserve_guess(throttle, rules, clock.now(), refused=lambda: None)
    if user.password_hash is None or not hasher.verify(user.password_hash, password):
        wrong_guess(throttle, reservation, clock.now())
        raise PermissionDenied(
            "The current password is not correct.", code="invalid_current_password"
        )
    clear = session_success_keys(user, session_id, client_ip, throttle_policy)
    throttle.release(reservation, clear if clear_failures else ())


def _password_already_set() -> Conflict:
    return Conflict(
        "This account has a password: give the current one to change it.",
        code="password_already_set",
        field="current_password",
    )


def change_password(
    cmd: ChangePassword,
    *,
    users: Users,
    hasher: PasswordHasher,
    clock: Clock,
    throttle: LoginThrottle,
    throttle_policy: LoginThrottlePolicy,
    audit: AuditLog | None = None,
    hold: AccountHold = NO_HOLD,
) -> None:
    """Every other session ends; the current password is checked like a login's. An account
    without a password (made by another provider's sign-in) gets its first one with no
    current password, from a session signed in lately (a new way in: its notice's link
    removes it), unless an org that holds it refuses (``hold``); Conflict
    (password_already_set) if one was set meanwhile."""
    user = users.get(cmd.user_id)
    if user is None or user.deleted_at is not None:
        raise Unauthenticated("The account no longer exists.", code="invalid_token")
    # A current password given is checked, even where there is none (a 403, as ever).
    first = user.password_hash is None and not cmd.current_password
    if first and not cmd.recent_sign_in:
        raise ReauthenticationRequired()
    if first:
        hold.first_password(user)
    if not first:
        if not cmd.current_password:  # a first password, asked where there is one
            raise _password_already_set()
        check_current_password(
            user,
            cmd.current_password,
            session_id=cmd.session_id,
            client_ip=cmd.client_ip,
            hasher=hasher,
            clock=clock,
            throttle=throttle,
            throttle_policy=throttle_policy,
        )
    check_password_policy(cmd.new_password)
    if not first and cmd.new_password == cmd.current_password:
        raise InvalidInput.field(
            "new_password",
            "The new password must differ from the current one.",
            "password_unchanged",
        )
    new_hash = hasher.hash(cmd.new_password)
    now = clock.now()

    def changed(found: User) -> User:
        if first and found.password_hash is not None:
            raise _password_already_set()
        return found.with_password_hash(new_hash, now).ending_all_sessions(now)

    users.update(cmd.user_id, changed, keep_session=cmd.session_id)
    if audit is not None:
        ip = cmd.client_ip or None
        added = WayIn(WayIn.PASSWORD) if first else None
        audit.record(AuditEvent(Audit.PASSWORD_CHANGE, user_id=cmd.user_id, ip=ip, added=added))


@dataclass(frozen=True)
class LoginServices:
    login: Callable[[Login], TokenPair]
    finish_mfa: Callable[[MfaLogin], TokenPair]  # the second step (docs/reference/mfa.md)
    change_password: Callable[[ChangePassword], None]
