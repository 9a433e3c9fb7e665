"""A signed-in user's authenticator: enrol, confirm, turn off, new recovery codes; and the
operator's reset for a user who lost every factor (docs/reference/mfa.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, TypeVar

from application.accounts.accounts import DELETE_BATCH
from application.accounts.accounts import UserRepository as Users
from application.accounts.admin import CLI_ACTOR, target_of, user_named
from application.ports import (
    Audit,
    AuditEvent,
    AuditLog,
    Clock,
    OneTimePasswords,
    PasswordHasher,
    SecretBox,
)
from application.signin.authentication import Actor, require_recent_sign_in
from application.signin.factors.passkeys import PasskeyRepository
from application.signin.login import check_current_password
from application.signin.mfa import (
    MfaRepository,
    accepts_totp_code,
    consume_code,
    new_recovery_codes,
)
from application.signin.ports import LegacyPasswords
from application.signin.throttle import (
    LoginThrottle,
    reserve_guess,
    session_rules,
    session_success_keys,
    wrong_guess,
)
from domain.accounts.users import User
from domain.errors import Conflict, PermissionDenied, Unauthenticated
from domain.signin.mfa import TotpFactor
from domain.signin.throttling import LoginThrottlePolicy
from domain.ways_in import WayIn


@dataclass(frozen=True)
class TotpEnrolment:
    """What an authenticator app needs; the secret is shown this once."""

    secret: str
    otpauth_uri: str


@dataclass(frozen=True)
class MfaCommand:
    """A signed-in user's request; which of ``password`` and ``code`` it needs depends on
    the use case (``code`` is a TOTP code or, where allowed, a recovery code)."""

    user_id: str
    session_id: str
    password: str = ""
    code: str = ""
    client_ip: str = ""  # after the trusted proxy hops; "" when unknown
    recent_sign_in: bool = False  # Actor.recent_sign_in: may turn on an authenticator

    @classmethod
    def of(
        cls, actor: Actor, *, password: str = "", code: str = "", client_ip: str = ""
    ) -> MfaCommand:
        """The signed-in ``actor``'s request, from its session."""
        return cls(
            actor.user_id,
            actor.session_id,
            password,
            code,
            client_ip,
            actor.recent_sign_in,
        )


def _active(factor: TotpFactor | None) -> TotpFactor:
    if factor is None or not factor.active:
        raise Conflict("Two-step login is not on for this account.", code="mfa_not_enabled")
    return factor


@dataclass(frozen=True)
class GetTotp:
    actor: Actor


@dataclass(frozen=True)
class TotpStatus:
    """The caller's authenticator: none ("off"), waiting for its first code ("pending"), or
    on, with how many recovery codes are left."""

    state: Literal["off", "pending", "on"]
    recovery_codes_left: int = 0


@dataclass(frozen=True)
class ResetMfa:
    """Whose factors go, and who says so: ``username`` on the command line (the operator,
    audited as "cli"), or ``user_id`` with the admin ``actor`` on /admin."""

    username: str = ""
    actor: Actor | None = None
    user_id: str = ""


T = TypeVar("T")


@dataclass(frozen=True, kw_only=True, slots=True)
class TotpFactors:
    """A signed-in user's authenticator app (enrol, confirm, turn off, new recovery codes,
    its state) and the operator's reset for a user who lost every factor. Each change is
    behind the password and codes, checked and counted like a login's (the login
    throttle)."""

    users: Users
    hasher: PasswordHasher
    clock: Clock
    throttle: LoginThrottle
    throttle_policy: LoginThrottlePolicy
    audit: AuditLog
    factors: MfaRepository
    otp: OneTimePasswords
    box: SecretBox
    passkeys: PasskeyRepository
    issuer: str
    legacy: LegacyPasswords  # a legacy account's password: the password_verification hook

    # -- what every change checks

    def _user(self, cmd: MfaCommand) -> User:
        user = self.users.get(cmd.user_id)
        if user is None or user.deleted_at is not None:
            raise Unauthenticated("The account no longer exists.", code="invalid_token")
        return user

    def _password(self, user: User, cmd: MfaCommand, *, clear_failures: bool = True) -> None:
        """The password checked and counted like a login's. ``clear_failures=False`` when a
        code is still to come: only the right code clears this session's failures."""
        check_current_password(
            user,
            cmd.password,
            session_id=cmd.session_id,
            client_ip=cmd.client_ip,
            hasher=self.hasher,
            clock=self.clock,
            throttle=self.throttle,
            throttle_policy=self.throttle_policy,
            legacy=self.legacy,
            clear_failures=clear_failures,
        )

    def _first_proof(self, user: User, cmd: MfaCommand, *, clear_failures: bool = True) -> None:
        """What stands before a change of the authenticator: the password, checked like a
        login's; for an account that has none (made by an e-mail code, a passkey or another
        provider) a recent sign-in stands in for it, by whatever way the account signs in
        (docs/security.md, "MFA"). A password given is checked even where there is none."""
        if user.password_hash is None and not cmd.password:
            require_recent_sign_in(cmd)
            return
        if not cmd.password:  # no guess: nothing to count, no hash to spend
            raise PermissionDenied(
                "The current password is not correct.", code="invalid_current_password"
            )
        self._password(user, cmd, clear_failures=clear_failures)

    def _code(self, user: User, cmd: MfaCommand, event: Audit, check: Callable[[], T | None]) -> T:
        """A code counted like a password, before ``check`` decides it (None or False: wrong,
        a 403; docs/security.md, "MFA"). A right one clears this session's failures."""
        rules = session_rules(user, cmd.session_id, cmd.client_ip, self.throttle_policy)
        reservation = reserve_guess(self.throttle, rules, self.clock.now(), refused=lambda: None)
        result = check()
        if result is None or result is False:
            wrong_guess(self.throttle, reservation, self.clock.now())
            self._event(event, user, cmd, reason="wrong_code", outcome="failure")
            raise PermissionDenied("The code is not correct.", code="invalid_mfa_code")
        clear = session_success_keys(user, cmd.session_id, cmd.client_ip, self.throttle_policy)
        self.throttle.release(reservation, clear)
        return result

    def _event(
        self,
        event: Audit,
        user: User,
        cmd: MfaCommand,
        *,
        reason: str | None = None,
        outcome: str = "success",
        added: WayIn | None = None,
    ) -> None:
        self.audit.record(
            AuditEvent(
                event,
                outcome,
                user_id=user.id,
                session_id=cmd.session_id,
                ip=cmd.client_ip or None,
                reason=reason,
                added=added,
            )
        )

    def _proven(self, cmd: MfaCommand, event: Audit) -> tuple[User, datetime]:
        """The password (``_first_proof``), then a code (spent) of the active authenticator:
        the user, and when.
        The right password alone clears no failure: only both do, so the wrong codes of one
        who knows the password add up in the throttle (docs/security.md, "MFA")."""
        user = self._user(cmd)
        self._first_proof(user, cmd, clear_failures=False)
        factor = _active(self.factors.get(user.id))
        now = self.clock.now()
        self._code(
            user,
            cmd,
            event,
            lambda: consume_code(
                factor, cmd.code, factors=self.factors, otp=self.otp, box=self.box, now=now
            ),
        )
        return user, now

    # -- the use cases

    def start(self, cmd: MfaCommand) -> TotpEnrolment:
        """A new secret behind the password (``_first_proof``), for a session signed in
        lately (an authenticator is a new way in); it counts once confirmed with a first
        code."""
        require_recent_sign_in(cmd)
        user = self._user(cmd)
        self._first_proof(user, cmd)
        secret = self.otp.new_secret()
        factor = TotpFactor.pending(
            user_id=user.id, sealed_secret=self.box.seal(secret), now=self.clock.now()
        )
        if not self.factors.begin(factor):
            raise Conflict(
                "Two-step login is already on; turn it off first.", code="mfa_already_enabled"
            )
        self._event(Audit.MFA_ENROLMENT, user, cmd)
        return TotpEnrolment(
            secret=secret,
            otpauth_uri=self.otp.provisioning_uri(
                secret, account=user.shown_name, issuer=self.issuer
            ),
        )

    def confirm(self, cmd: MfaCommand) -> tuple[str, ...]:
        """Turn the pending authenticator on with its first code, for a session signed in
        lately: ten recovery codes, shown this once; every other session of the user ends."""
        minted = new_recovery_codes(cmd.user_id, cmd)
        user = self._user(cmd)
        factor = self.factors.get(user.id)
        if factor is None or factor.active:
            raise Conflict("No enrolment is waiting; start one first.", code="mfa_not_pending")
        now = self.clock.now()
        step = self._code(
            user,
            cmd,
            Audit.MFA_ENABLED,
            lambda: accepts_totp_code(factor, cmd.code, otp=self.otp, box=self.box, now=now),
        )
        hashes = minted.hashes

        def activate(f: TotpFactor) -> TotpFactor | None:
            # Refused if it was turned on meanwhile, or enrolled again with another secret.
            return None if f.active or f.secret != factor.secret else f.activated(step, hashes, now)

        # Sessions end first: if the activation then fails, nothing is weaker than before.
        self.users.update(
            user.id, lambda u: u.ending_all_sessions(now), keep_session=cmd.session_id
        )
        if self.factors.update(user.id, activate) is None:
            raise Conflict("The enrolment changed meanwhile; start again.", code="mfa_not_pending")
        self._event(Audit.MFA_ENABLED, user, cmd, added=WayIn(WayIn.TOTP))
        return minted.codes

    def disable(self, cmd: MfaCommand) -> None:
        """Turn the authenticator off with the password (``_first_proof``) and a code (or a
        recovery code); every other session of the user ends."""
        user, now = self._proven(cmd, Audit.MFA_DISABLED)
        self.users.update(
            user.id, lambda u: u.ending_all_sessions(now), keep_session=cmd.session_id
        )
        self.factors.delete(user.id)
        self._event(Audit.MFA_DISABLED, user, cmd)

    def new_recovery_codes(self, cmd: MfaCommand) -> tuple[str, ...]:
        """Ten new recovery codes behind the password and a code, for a session signed in
        lately (asked first: no code is spent on a refusal); the old set is void."""
        minted = new_recovery_codes(cmd.user_id, cmd)
        user, now = self._proven(cmd, Audit.MFA_RECOVERY_CODES)
        hashes = minted.hashes
        if self.factors.update(user.id, lambda f: f.with_recovery_codes(hashes, now)) is None:
            raise Conflict("Two-step login was turned off meanwhile.", code="mfa_not_enabled")
        self._event(Audit.MFA_RECOVERY_CODES, user, cmd)
        return minted.codes

    def first_recovery_codes(self, cmd: GetTotp) -> tuple[str, ...]:
        """Ten recovery codes for an account with no password and no factor (the last step of
        passkey-first sign-up), shown this once; they stand in for the missing password
        (docs/decisions/0476-recovery-codes-without-a-password.md). Refused once it has a
        factor of any kind, so a set is made once however many ask; only for a session
        signed in lately, as every set of codes."""
        actor = cmd.actor
        minted = new_recovery_codes(actor.user_id, actor)
        user = self.users.get(actor.user_id)
        if user is None or user.password_hash is not None:
            raise Conflict(
                "Only an account without a password gets these.", code="recovery_codes_shown"
            )
        factor = TotpFactor.recovery_only(
            user_id=user.id, recovery_hashes=minted.hashes, now=self.clock.now()
        )
        if not self.factors.create(factor):
            raise Conflict("The recovery codes were shown already.", code="recovery_codes_shown")
        self.audit.record(AuditEvent(Audit.MFA_RECOVERY_CODES, user_id=user.id))
        return minted.codes

    def status(self, cmd: GetTotp) -> TotpStatus:
        """What the account page shows of the caller's authenticator."""
        # As authenticate() read it for this request, when it did; else read now.
        actor = cmd.actor
        factor = actor.factor if actor.factor_read else self.factors.get(actor.user_id)
        if factor is None or factor.codes_only:
            return TotpStatus("off")
        if not factor.active:
            return TotpStatus("pending")
        return TotpStatus("on", len(factor.recovery_hashes))

    def reset(self, cmd: ResetMfa) -> User:
        """``users reset-mfa``, and an admin's on /admin: the operator's way back in for a
        user who lost every factor: the authenticator and every passkey go (a lost device
        must not sign in), and every session of the user ends (docs/reference/mfa.md, "Lost
        every factor")."""
        users = self.users
        if cmd.actor is None:
            user, actor_id = user_named(cmd.username, users), CLI_ACTOR
        else:
            user, actor_id = target_of(cmd.actor, cmd.user_id, users), cmd.actor.user_id
        now = self.clock.now()
        updated = users.update(user.id, lambda u: u.ending_all_sessions(now))
        self.factors.delete(user.id)
        self.passkeys.delete_owned_by(user.id, DELETE_BATCH)
        self.audit.record(
            AuditEvent(Audit.MFA_DISABLED, user_id=user.id, actor_id=actor_id, reason="reset")
        )
        return updated
