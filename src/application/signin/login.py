"""Password checks: login (throttled, constant-time for unknown names, audited), its second
step, and the password change, whose current-password guesses count in the same throttle."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from application.accounts.accounts import (
    NO_HOLD,
    AccountHold,
    count_account_attempt,
)
from application.accounts.accounts import UserRepository as Users
from application.accounts.breached import PasswordScreen
from application.accounts.challenge_gate import Challenged, ChallengeGate, Signal
from application.ports import (
    Audit,
    AuditEvent,
    AuditLog,
    Clock,
    OneTimePasswords,
    PasswordHasher,
    RequestCounter,
    SecretBox,
)
from application.signin.authentication import Actor, require_recent_sign_in
from application.signin.mfa import (
    INVALID_MFA_CODE,
    MfaLogin,
    MfaRepository,
    code_change,
    hash_recovery_code,
    invalid_mfa_token,
    open_challenge,
    require_second_factor,
)
from application.signin.ports import LegacyPasswords
from application.signin.sign_in import SignIn, SignInRequest
from application.signin.throttle import (
    LoginThrottle,
    reserve_guess,
    session_rules,
    session_success_keys,
    settled,
    wrong_guess,
)
from application.signin.tokens import TokenPair
from domain.accounts.credentials import check_password_policy
from domain.accounts.credentials import login_key as claim_key
from domain.accounts.users import User
from domain.errors import (
    Conflict,
    InvalidInput,
    PermissionDenied,
    Unauthenticated,
)
from domain.ids import new_id
from domain.request_limits import Limit
from domain.signin.devices import Device, DevicePolicy
from domain.signin.mfa import ONE_TIME_PASSWORD, PASSWORD
from domain.signin.throttling import (
    TOO_MANY_LOGIN_FAILURES,
    FailureRecord,
    LoginThrottlePolicy,
    ThrottleRule,
    refusal,
)
from domain.ways_in import WayIn


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
    challenge_token: str = ""  # the challenge's widget's, when one was asked


def challenge_signal(
    records: Mapping[str, FailureRecord],
    rules: Sequence[tuple[str, ThrottleRule]],
    now: datetime,
    failures_per_hour: int,
) -> Signal | None:
    """The signal of a login's throttle records, read for its throttle anyway: one of its
    account's keys at half its rule's budget, or its address's failures at
    ``failures_per_hour`` inside the throttle's window (docs/security.md)."""
    for key, rule in rules:
        record = records.get(key)
        if record is None or now >= record.expires_at(rule):
            continue
        if not LoginThrottlePolicy.counted_first(key):  # the address-wide key
            if record.failures >= failures_per_hour:
                return Signal.ADDRESS_FAILURES
        elif record.failures * 2 >= rule.max_failures:
            return Signal.ACCOUNT_THROTTLE
    return None


INVALID_CREDENTIALS = "invalid_credentials"


def _invalid_credentials() -> Unauthenticated:
    return Unauthenticated("Invalid username or password.", code=INVALID_CREDENTIALS)


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
    legacy: LegacyPasswords,
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
    # A failed hook or a legacy account without one leaves its guess counted (stricter).
    if password_matches(user, password, hasher=hasher, legacy=legacy) is None:
        wrong_guess(throttle, reservation, clock.now())
        raise PermissionDenied(
            "The current password is not correct.", code="invalid_current_password"
        )
    clear = session_success_keys(user, session_id, client_ip, throttle_policy)
    throttle.release(reservation, clear if clear_failures else ())


class StateRefused(PermissionDenied):
    """A sign-in refused for the account's state (disabled, address unproven) after the
    right password: what was typed is not to blame, and a page does not ask for it again
    (docs/pages.md)."""

    credentials_proven = True


def password_matches(
    user: User, password: str, *, hasher: PasswordHasher, legacy: LegacyPasswords
) -> User | None:
    """Every check of an account's password: its hash, or for a ``legacy`` account the
    ``password_verification`` hook (which stores it). The account (as the check left it) when
    the password is right; None when it is wrong or the account has none."""
    if legacy.holds(user):
        return legacy.verify(user, password)
    if user.password_hash is None or not hasher.verify(user.password_hash, password):
        return None
    return user


TOO_MANY_PASSWORD_CHANGES = "too_many_password_changes"


def _password_already_set() -> Conflict:
    return Conflict(
        "This account has a password: give the current one to change it.",
        code="password_already_set",
        field="current_password",
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class Logins:
    """Signing in with a password: the login, its second step when the account has a second
    factor on (docs/reference/mfa.md), and the password change, whose current-password
    guesses count in the same throttle and whose changes count per account
    (``password_changes``, in ``counter``)."""

    users: Users
    sign_in: SignIn
    hasher: PasswordHasher
    clock: Clock
    lookup: LoginLookup
    throttle: LoginThrottle
    throttle_policy: LoginThrottlePolicy
    devices: DevicePolicy
    audit: AuditLog
    factors: MfaRepository
    otp: OneTimePasswords
    box: SecretBox
    challenge_gate: ChallengeGate
    passwords: PasswordScreen  # new ones checked against breached passwords
    counter: RequestCounter
    password_changes: Limit
    legacy: LegacyPasswords  # a legacy account's password: the password_verification hook
    require_verified_email: bool = False
    hold: AccountHold = NO_HOLD

    def login(self, cmd: Login) -> TokenPair:
        """A token pair, and a device token that exempts this client's later logins from the
        account-wide failure block (docs/security.md, "Lockout"). With a second factor on,
        MfaRequired instead: the login ends at ``finish_mfa``."""
        clock, throttle, audit = self.clock, self.throttle, self.audit
        throttle_policy, hasher = self.throttle_policy, self.hasher
        login_key, ip = claim_key(cmd.login), cmd.client_ip or None
        device = self.devices.verify(cmd.device_token, clock.now())
        plain = throttle_policy.rules_for(login_key, cmd.client_ip)
        proven = throttle_policy.rules_for(login_key, cmd.client_ip, device.id) if device else ()
        found = self.lookup.load(
            login_key, list(dict.fromkeys(key for key, _ in (*plain, *proven)))
        )
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
        gate = self.challenge_gate
        if gate.policy.on:  # the signals' records are read already: no other read
            signal = challenge_signal(records, rules, clock.now(), gate.policy.failures_per_hour)
            token, user_id = cmd.challenge_token, found.user_id
            gate.check(Challenged(signal, token, "login", cmd.client_ip, user_id))
        user = self.lookup.user(found.user_id)
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

        # Every path below spends one argon2 verification, so status, body and time are the
        # same for an unknown user, a password-less (Firebase-only) account and a wrong
        # password (a legacy account's takes its hook's call: docs/security.md, "Legacy
        # passwords").
        by_code = False
        if user is not None and (self.legacy.holds(user) or user.password_hash is not None):
            # A legacy account's password is the old system's, asked of its hook (docs/hooks.md).
            checked = password_matches(user, cmd.password, hasher=hasher, legacy=self.legacy)
            if checked is None:
                raise failed("wrong_password", user.id)
            user = checked
        else:
            hasher.verify_dummy(cmd.password)
            if user is None:
                raise failed("unknown_user", None)
            # An account that never had a password: a recovery code of its own stands in for
            # it, spent (docs/decisions/0476-recovery-codes-without-a-password.md).
            if not self._spent_recovery_code(user, cmd.password):
                raise failed("no_password", user.id)
            by_code = True
        # The password is right: its failure is taken back whatever comes next. Only a login
        # that ends here clears this client's failures: a password known to an attacker must
        # not clear the failures its wrong codes count (docs/security.md, "MFA").
        clear = throttle_policy.success_keys(
            login_key, cmd.client_ip, device.id if device else None
        )
        with settled(throttle, reservation, clear):
            pair = self._signed_in(cmd, user, login_key=login_key, device=device, by_code=by_code)
        return replace(pair, device_token=self.devices.issue(user, clock.now(), device))

    def _spent_recovery_code(self, user: User, code: str) -> bool:
        """Spend ``code`` if it is a recovery code of the account's codes-only factor. Only
        what has a recovery code's shape costs the read."""
        if hash_recovery_code(user.id, code) is None:
            return False
        factor = self.factors.get(user.id)
        if factor is None or not factor.codes_only:
            return False
        now = self.clock.now()
        change = code_change(
            factor, code=None, recovery_code=code, otp=self.otp, box=self.box, now=now
        )
        return change is not None and self.factors.update(user.id, change) is not None

    def _signed_in(
        self, cmd: Login, user: User, *, login_key: str, device: Device | None, by_code: bool
    ) -> TokenPair:
        """After the right password (``by_code``: the recovery code of an account without
        one): the account's state decides (disabled, address unproven, a second factor to
        come), else a new session."""
        ip, audit = cmd.client_ip or None, self.audit
        if user.disabled:
            audit.record(
                AuditEvent(
                    Audit.LOGIN, "failure", user_id=user.id, ip=ip, reason="account_disabled"
                )
            )
            raise StateRefused("This account is disabled.", code="account_disabled")
        if self.require_verified_email and user.email is not None and not user.email_verified:
            # Only after the right password: a wrong one stays the plain 401 above.
            audit.record(
                AuditEvent(
                    Audit.LOGIN, "failure", user_id=user.id, ip=ip, reason="email_not_verified"
                )
            )
            raise StateRefused(
                "Confirm your e-mail address first; the mail has a link.",
                code="email_not_verified",
            )
        if user.password_hash is not None and self.hasher.needs_rehash(user.password_hash):
            new_hash = self.hasher.hash(cmd.password)
            now = self.clock.now()
            user = self.users.update(user.id, lambda u: u.rehashed(new_hash, now))
        user = self._breach_checked(user, cmd.password, ip)
        # Only a right password learns whether the account has a second factor.
        require_second_factor(
            user,
            login_key=login_key,
            first_factor=(PASSWORD,),
            device_id=device.id if device else None,
            ip=ip,
            factors=self.factors,
            clock=self.clock,
            audit=audit,
        )
        return self.sign_in(
            SignInRequest(
                user,
                (ONE_TIME_PASSWORD,) if by_code else (PASSWORD,),
                cmd.user_agent,
                ip=ip,
                knows_devices=True,
                device=device,
                method="recovery_code" if by_code else None,
            )
        )

    def _breach_checked(self, user: User, password: str, ip: str | None) -> User:
        """The right password checked against breached ones, at most once a day per account
        (docs/security.md, "Breached passwords"): found, the account asks each of its
        sessions for a new one (``block``) and the event is recorded; a failed check leaves
        it due."""
        passwords, now = self.passwords, self.clock.now()
        if not passwords.active or not user.breach_check_due(now):
            return user
        breached = passwords.breached(password)
        if breached is None:
            return user
        marked = breached and passwords.requires_change
        user = self.users.update(user.id, lambda u: u.with_breach_check(marked, now))
        if breached:
            passwords.found_at_sign_in(user.id, ip)
        return user

    def finish_mfa(self, cmd: MfaLogin) -> TokenPair:
        """The second step of a login (docs/reference/mfa.md): a code or a recovery code for
        the ``mfa_token`` of the first. The challenge is spent by one caller only
        (compare-and-set), and the code is consumed the same way, so a code works once however
        many race."""
        clock, factors, throttle = self.clock, self.factors, self.throttle
        throttle_policy, audit = self.throttle_policy, self.audit
        ip, now = cmd.client_ip or None, clock.now()
        token_hash, challenge, user, factor = open_challenge(
            cmd.mfa_token, users=self.users, factors=factors, now=now
        )

        def failure(reason: str) -> None:
            audit.record(
                AuditEvent(Audit.MFA_CODE, "failure", user_id=user.id, ip=ip, reason=reason)
            )

        rules = throttle_policy.rules_for(challenge.login_key, cmd.client_ip, challenge.device_id)
        reservation = reserve_guess(
            throttle, rules, now, refused=lambda: failure(TOO_MANY_LOGIN_FAILURES)
        )

        def lost_token() -> Unauthenticated:
            throttle.release(reservation)  # no guess was lost, only the race for the token
            return invalid_mfa_token()

        # The guess is counted on the challenge before its code is compared: of any number of
        # requests at once, five are compared at most (docs/security.md, "MFA").
        guess = new_id()
        counted = factors.update_challenge(token_hash, lambda c: c.guessed(now, guess))
        if counted is None or counted.last_guess != guess:
            raise lost_token()  # no guess left, or spent meanwhile

        def wrong(reason: str) -> Unauthenticated:
            after = factors.get_challenge(token_hash)
            if after is not None and after.spent_by is not None and reason != "replayed_code":
                # Another request with this token finished between this one's reads, with this
                # very code (which then reads as used): the token is what was lost, not a
                # guess to count. (A replayed_code caller spent the token itself.)
                return lost_token()
            wrong_guess(throttle, reservation, clock.now())
            failure(reason)
            return Unauthenticated("The code is not correct.", code=INVALID_MFA_CODE)

        # Checked on what was read, with no write, so a wrong code never spends the challenge.
        change = code_change(
            factor,
            code=cmd.code,
            recovery_code=cmd.recovery_code,
            otp=self.otp,
            box=self.box,
            now=now,
        )
        if change is None:
            raise wrong("wrong_code" if cmd.code is not None else "wrong_recovery_code")
        nonce = new_id()
        after = factors.update_challenge(token_hash, lambda c: c.spent(now, nonce))
        if after is None or after.spent_by != nonce:
            raise lost_token()  # another request with this token got there first
        if factors.update(user.id, change) is None:
            raise wrong("replayed_code")  # the same code won another login meanwhile
        method = "totp" if cmd.code is not None else "recovery_code"
        clear = throttle_policy.success_keys(
            challenge.login_key, cmd.client_ip, challenge.device_id
        )
        # The first step kept the device only when its token was valid for this account.
        device = (
            Device(id=challenge.device_id, user_id=user.id, generation=user.device_generation)
            if challenge.device_id
            else None
        )
        password_first = PASSWORD in challenge.first_factor
        with settled(throttle, reservation, clear):
            pair = self.sign_in(
                SignInRequest(
                    user,
                    (*challenge.first_factor, ONE_TIME_PASSWORD),
                    cmd.user_agent,
                    ip=ip,
                    reason=challenge.reason or "mfa",
                    proof=(Audit.MFA_CODE, method),
                    method=challenge.method,
                    org_id=challenge.org_id,
                    knows_devices=password_first,
                    device=device,
                    via=challenge.via,
                )
            )
        if not password_first:
            return pair  # device tokens exempt password logins only
        return replace(pair, device_token=self.devices.issue(user, clock.now(), device))

    def change_password(self, cmd: ChangePassword) -> None:
        """Every other session ends; the current password is checked like a login's. An
        account without a password (made by another provider's sign-in) gets its first one
        with no current password, from a session signed in lately (a new way in: its notice's
        link removes it), unless an org that holds it refuses (``hold``); Conflict
        (password_already_set) if one was set meanwhile. A change, or a first password, that
        passes these checks and the local rules counts against the account's
        ``password_changes``: RateLimited (too_many_password_changes) past it."""
        users, hasher = self.users, self.hasher
        user = users.get(cmd.user_id)
        if user is None or user.deleted_at is not None:
            raise Unauthenticated("The account no longer exists.", code="invalid_token")
        user.signed_up()  # a guest's first password comes with its upgrade (docs/guests.md)
        # A current password given is checked, even where there is none (a 403, as ever).
        first = user.password_hash is None and not cmd.current_password
        if first:
            require_recent_sign_in(cmd)
            self.hold.first_password(user)
        if not first:
            if not cmd.current_password:  # a first password, asked where there is one
                raise _password_already_set()
            check_current_password(
                user,
                cmd.current_password,
                session_id=cmd.session_id,
                client_ip=cmd.client_ip,
                hasher=hasher,
                clock=self.clock,
                throttle=self.throttle,
                throttle_policy=self.throttle_policy,
                legacy=self.legacy,
            )
        check_password_policy(cmd.new_password)
        if not first and cmd.new_password == cmd.current_password:
            raise InvalidInput.field(
                "new_password",
                "The new password must differ from the current one.",
                "password_unchanged",
            )
        # Every change that gets this far counts, breached or set: it costs a lookup of
        # breached passwords, a hash and a write (docs/security.md, "Password changes").
        count_account_attempt(
            f"password_change:{cmd.user_id}",
            counter=self.counter,
            limit=self.password_changes,
            clock=self.clock,
            detail="Too many password changes; try again later.",
            code=TOO_MANY_PASSWORD_CHANGES,
        )
        self.passwords.new_password(cmd.new_password, user_id=cmd.user_id)
        new_hash = hasher.hash(cmd.new_password)
        now = self.clock.now()

        def changed(found: User) -> User:
            if first and found.password_hash is not None:
                raise _password_already_set()
            user = found.signed_up().with_password_hash(new_hash, now).ending_all_sessions(now)
            return self.legacy.own_password(user)

        users.update(cmd.user_id, changed, keep_session=cmd.session_id)
        ip = cmd.client_ip or None
        added = WayIn(WayIn.PASSWORD) if first else None
        self.audit.record(
            AuditEvent(Audit.PASSWORD_CHANGE, user_id=cmd.user_id, ip=ip, added=added)
        )
