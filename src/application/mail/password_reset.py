"""Password recovery: a reset asked for an address is a job carrying the address, which
finds the account (docs/decisions/0141-forgot-in-a-job.md); the reset through the mailed link
sets the password and, as the first proof of the address, may start the account clean
(docs/decisions/0104-first-proof-of-address-wins.md)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

from application.accounts.accounts import NO_HOLD, AccountHold, UserRepository, nothing_follows
from application.accounts.address_proof import FirstProof, remove_passkeys
from application.accounts.breached import PasswordScreen
from application.jobs import RetryJob
from application.mail.sending import ActionTokenRepository, MailJob, MailKind
from application.ports import (
    Audit,
    AuditEvent,
    AuditLog,
    Clock,
    Job,
    JobQueue,
    PasswordHasher,
)
from application.signin.ports import NO_LEGACY_PASSWORDS, LegacyPasswords
from application.signin.throttle import LoginThrottle
from domain.accounts.credentials import check_password_policy, login_key
from domain.accounts.users import User
from domain.ids import new_id
from domain.link_tokens import InvalidToken, token_hash
from domain.mail.action_tokens import Purpose
from domain.signin.throttling import LoginThrottlePolicy

log = logging.getLogger("firegate.mail")

FIND_RESET_ACCOUNT = "find_reset_account"


@dataclass(frozen=True)
class ForgotPassword:
    email: str
    client_ip: str = ""


@dataclass(frozen=True)
class ResetRequestJob:
    """A password reset asked for an address: who has it is decided in the job."""

    address: str  # login_key() of the address asked for
    ip: str
    id: str  # becomes the reset mail's job id: a retried delivery is the same mail

    def job(self) -> Job:
        fields = {"address": self.address, "ip": self.ip, "id": self.id}
        return Job(kind=FIND_RESET_ACCOUNT, subject=json.dumps(fields, separators=(",", ":")))

    @classmethod
    def parse(cls, subject: str) -> ResetRequestJob | None:
        try:
            fields = json.loads(subject)
            return cls(address=str(fields["address"]), ip=str(fields["ip"]), id=str(fields["id"]))
        except (ValueError, KeyError, TypeError):
            return None


@dataclass(frozen=True, kw_only=True, slots=True)
class FindResetAccountJob:
    """The FIND_RESET_ACCOUNT job: the account with the address gets a reset mail (its own
    SEND_MAIL job, retried on its own); an unknown address ends here. ``queue``: the one its
    handlers run on, which it queues the reset mail to."""

    users: UserRepository
    queue: JobQueue
    audit: AuditLog

    def run(self, job: Job, final: bool) -> None:
        request = ResetRequestJob.parse(job.subject)
        if request is None:
            log.warning("unreadable password reset job dropped")
            return
        user = self.users.find_by_login(request.address)
        ip = request.ip or None
        if user is None:
            self.audit.record(
                AuditEvent(
                    Audit.PASSWORD_RESET_REQUESTED, "failure", ip=ip, reason="unknown_address"
                )
            )
            return
        try:
            self.queue.enqueue(MailJob(MailKind.RESET_PASSWORD, user.id, request.id).job())
        except Exception as exc:  # the audit is recorded once, by the attempt that queued it
            if final:
                log.exception("could not queue a reset mail for user %s", user.id)
                return
            raise RetryJob("the job queue did not take the reset mail") from exc
        self.audit.record(AuditEvent(Audit.PASSWORD_RESET_REQUESTED, user_id=user.id, ip=ip))


@dataclass(frozen=True)
class ResetPassword:
    token: str
    new_password: str
    client_ip: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class PasswordReset:
    """Password recovery: the reset asked for an address, and the reset through the mailed
    link. Every reset removes the passkeys; ``first_proof`` is what it removes when it is
    the first proof of the address; ``proven``: what follows that first proof (an org's
    auto_join); ``hold``: an org that may refuse an account its first password."""

    users: UserRepository
    action_tokens: ActionTokenRepository
    first_proof: FirstProof
    hasher: PasswordHasher
    throttle: LoginThrottle
    throttle_policy: LoginThrottlePolicy
    queue: JobQueue
    clock: Clock
    audit: AuditLog
    passwords: PasswordScreen
    proven: Callable[[User], None] = nothing_follows
    hold: AccountHold = NO_HOLD
    legacy: LegacyPasswords = NO_LEGACY_PASSWORDS  # a reset's password ends a legacy one

    def forgot_password(self, cmd: ForgotPassword) -> None:
        """Blind: the request only enqueues a job for the address, the same for every
        address; the job finds the account (or none) and queues its mail (docs/security.md,
        "Password recovery"). No repository is read on the request thread, so nothing there
        depends on whether the address has an account."""
        job = ResetRequestJob(login_key(cmd.email), cmd.client_ip, new_id()).job()
        try:
            self.queue.enqueue(job)
        except Exception:  # the answer must not depend on the queue: see the module docstring
            log.exception("could not queue a password reset request")

    def reset_password(self, cmd: ResetPassword) -> None:
        """Set the password, end every session, remove the passkeys, clear the login
        throttle, spend the token. An account that never proved its address starts clean:
        the reset is the first proof of it (docs/decisions/0104-first-proof-of-address-wins.md),
        which ``proven`` follows (an org's auto_join). An account without a password gets its
        first one unless an org that holds it refuses (``hold``)."""
        hashed = token_hash(cmd.token)
        ip = cmd.client_ip or None
        audit = self.audit
        check_password_policy(cmd.new_password)
        found = self.action_tokens.get(hashed)
        # A cheap look first, so a made-up token costs no argon2 hash; the spend decides.
        if (
            found is None
            or found.purpose is not Purpose.RESET_PASSWORD
            or found.spent_at is not None
        ):
            audit.record(AuditEvent(Audit.PASSWORD_RESET, "failure", ip=ip, reason="invalid_token"))
            raise InvalidToken()
        self.passwords.new_password(cmd.new_password, user_id=found.user_id)
        new_hash = self.hasher.hash(cmd.new_password)
        now = self.clock.now()
        # Before the spend, so that a process that dies after it never leaves them on the
        # account; again after it, for what the sessions it ends added meanwhile.
        holder = self.users.get(found.user_id)
        if holder is not None and holder.password_hash is None:
            self.hold.first_password(holder)
        unproven = holder is not None and not holder.email_verified
        if holder is not None:
            self._remove_factors(holder.id, unproven)
        found_by_spend: list[User] = []

        def change(user: User) -> User:
            found_by_spend.append(user)  # the account as the reset found it (pre-reset)
            return self.legacy.own_password(user.reset_through_mail(new_hash, now))

        try:
            user = self.action_tokens.spend(hashed, Purpose.RESET_PASSWORD, change, now)
        except InvalidToken:
            audit.record(AuditEvent(Audit.PASSWORD_RESET, "failure", ip=ip, reason="invalid_token"))
            raise
        unproven = unproven or not found_by_spend[-1].email_verified
        self._remove_factors(user.id, unproven)
        names = [key.normalized for key in (user.username, user.email) if key is not None]
        for name in names:
            for key, _ in self.throttle_policy.rules_for(name, cmd.client_ip)[:2]:
                self.throttle.reset(key)  # this account, and this account from this address
        audit.record(AuditEvent(Audit.PASSWORD_RESET, user_id=user.id, ip=ip))
        if unproven:
            self.first_proof.claimed(user.id, reason="password_reset", ip=ip)
        if not found_by_spend[-1].email_verified:
            self.proven(user)

    def _remove_factors(self, user_id: str, unproven: bool) -> None:
        if unproven:
            self.first_proof.start_clean(user_id)
        else:
            remove_passkeys(user_id, passkeys=self.first_proof.passkeys)
