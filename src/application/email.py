"""The mail flows: verify an address, recover a password, invite a user.

Requests only decide and enqueue; a background job issues the token, renders the mail and
hands it to the mail server, so no request waits on SMTP and a failed send changes no HTTP
answer. The job carries the account and the kind of mail, never a token: the token is made
in the job and exists only in the mail and, hashed, in Firestore
(docs/decisions/0100-mail-through-jobs.md). A password reset asked for an address is first a
job carrying the address, which finds the account (docs/decisions/0141-forgot-in-a-job.md).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from application.accounts import AccountHooks, UserRepository
from application.address_proof import remove_passkeys, start_clean
from application.admin import require_admin
from application.authentication import Actor
from application.jobs import JobHandler, RetryJob
from application.login import LoginThrottle
from application.ports import (
    Audit,
    AuditEvent,
    AuditLog,
    Clock,
    Job,
    JobQueue,
    Mailer,
    MailRenderer,
    MailUndelivered,
    OwnedData,
    PasswordHasher,
)
from domain.action_tokens import (
    INVITATION_LIFETIME,
    ActionToken,
    InvalidToken,
    Purpose,
    token_hash,
)
from domain.errors import Conflict
from domain.ids import new_id
from domain.throttling import LoginThrottlePolicy
from domain.users import Email, Role, User, Username, check_password_policy, login_key

log = logging.getLogger("firegate.mail")

SEND_MAIL = "send_mail"
FIND_RESET_ACCOUNT = "find_reset_account"


class ActionTokenRepository(Protocol):
    def add(self, token: ActionToken, job_id: str, now: datetime) -> bool:
        """Store the token and count one mail for its user, atomically; False (nothing
        stored) when the sending limit, one for every kind of mail, is reached. A job run
        again with the same ``job_id`` is not counted twice; the new token supersedes its
        earlier one of the same purpose."""
        ...

    def count_mail(self, user_id: str, job_id: str, now: datetime, *, always: bool = False) -> bool:
        """Count one mail without a token under the same limit as ``add``; False (nothing
        counted) when it is reached, unless ``always``."""
        ...

    def get(self, hashed: str) -> ActionToken | None:
        """The token stored under this hash, spent or not; None if there is none."""
        ...

    def spend(
        self, hashed: str, purpose: Purpose, change: Callable[[User], User], now: datetime
    ) -> User:
        """Claim the token, then in one transaction check it against its user
        (ActionToken.check) and apply ``change`` to the user; InvalidToken if it is not good.
        Of concurrent spends of one token exactly one succeeds. A token that fails the check
        stays spent; a ``change`` (or transaction) that fails releases the claim, so the
        token stays usable (docs/security.md, "Action tokens")."""
        ...


class MailKind(StrEnum):
    VERIFY_EMAIL = "verify_email"
    RESET_PASSWORD = "reset_password"
    INVITATION = "invitation"
    ADDRESS_CHANGED = "address_changed"  # the notice to the old address; no link


_PURPOSE = {
    MailKind.VERIFY_EMAIL: Purpose.VERIFY_EMAIL,
    MailKind.RESET_PASSWORD: Purpose.RESET_PASSWORD,
    MailKind.INVITATION: Purpose.RESET_PASSWORD,
}
_PATH = {Purpose.VERIFY_EMAIL: "/verify-email", Purpose.RESET_PASSWORD: "/reset-password"}


@dataclass(frozen=True)
class MailJob:
    kind: MailKind
    user_id: str
    id: str  # one per request: a retried delivery is the same mail, not another one
    old_email: str | None = None  # ADDRESS_CHANGED: where the notice goes
    old_verified: bool = False  # ADDRESS_CHANGED: the account had verified ``old_email``

    def job(self) -> Job:
        fields: dict[str, object] = {"kind": self.kind.value, "user": self.user_id, "id": self.id}
        if self.old_email is not None:
            fields["old"] = self.old_email
        if self.old_verified:
            fields["old_verified"] = True
        return Job(kind=SEND_MAIL, subject=json.dumps(fields, separators=(",", ":")))

    @classmethod
    def parse(cls, subject: str) -> MailJob | None:
        try:
            fields = json.loads(subject)
            return cls(
                kind=MailKind(fields["kind"]),
                user_id=str(fields["user"]),
                id=str(fields["id"]),
                old_email=fields.get("old"),
                old_verified=fields.get("old_verified") is True,
            )
        except (ValueError, KeyError, TypeError):
            return None


def queue_mail(
    queue: JobQueue,
    kind: MailKind,
    user: User,
    old_email: str | None = None,
    *,
    old_verified: bool = False,
) -> None:
    """Enqueue one mail; a queue that cannot take it loses the mail, not the request."""
    try:
        queue.enqueue(MailJob(kind, user.id, new_id(), old_email, old_verified).job())
    except Exception:  # the answer must not depend on the queue: see the module docstring
        log.exception("could not queue a %s mail for user %s", kind.value, user.id)


@dataclass(frozen=True)
class MailSettings:
    public_url: str  # where the links point: {public_url}/verify-email?token=...
    product: str = "firegate"


def _count_mail(
    user: User,
    mail_job: MailJob,
    *,
    verified: bool,
    action_tokens: ActionTokenRepository,
    now: datetime,
    settings: MailSettings,
) -> dict[str, str] | None:
    """Count the mail under the account's sending limit, issuing its token if it carries a
    link; what the template needs besides, or None when the limit refuses it."""
    if mail_job.kind is MailKind.ADDRESS_CHANGED:
        # One sending limit for every kind of mail; the warning to an address the account
        # had proved goes out even past it (docs/security.md, "Mail").
        if not action_tokens.count_mail(user.id, mail_job.id, now, always=verified):
            return None
        return {"new_email": user.email.value} if verified and user.email is not None else {}
    purpose = _PURPOSE[mail_job.kind]
    lifetime = INVITATION_LIFETIME if mail_job.kind is MailKind.INVITATION else None
    token, record = ActionToken.issue(user, purpose, now, lifetime)
    if not action_tokens.add(record, mail_job.id, now):
        return None
    left = record.expires_at - now
    return {
        "link": f"{settings.public_url}{_PATH[purpose]}?token={token}",
        "expires_hours": str(max(1, round(left / timedelta(hours=1)))),
        "expires_minutes": str(round(left / timedelta(minutes=1))),
    }


def send_mail(
    job: Job,
    final: bool,
    *,
    users: UserRepository,
    action_tokens: ActionTokenRepository,
    renderer: MailRenderer,
    mailer: Mailer,
    clock: Clock,
    audit: AuditLog,
    settings: MailSettings,
) -> None:
    """The SEND_MAIL job: issue the token (within the sending limit), render, send."""
    mail_job = MailJob.parse(job.subject)
    if mail_job is None:
        log.warning("unreadable mail job dropped")
        return
    user = users.get(mail_job.user_id)
    if user is None or not user.active or user.email is None:
        return  # deleted, disabled, or without an address since the request
    kind, now = mail_job.kind, clock.now()
    if kind is MailKind.ADDRESS_CHANGED:
        to, verified = mail_job.old_email or "", mail_job.old_verified
    else:
        to, verified = user.email.value, user.email_verified
    if not to:
        return
    context = {
        "product": settings.product,
        "public_url": settings.public_url,
        "email": to,
        "address_verified": "yes" if verified else "",
        "locale": user.locale or "",  # the mail's language (docs/pages.md)
    }
    if verified:
        # Only an address the account proved is greeted with what the account wrote: a mail
        # to any other address carries no user-written text (docs/reference/email.md).
        context |= {"username": user.username.value, "name": user.name or user.username.value}
    counted = _count_mail(
        user,
        mail_job,
        verified=verified,
        action_tokens=action_tokens,
        now=now,
        settings=settings,
    )
    if counted is None:
        audit.record(AuditEvent(Audit.MAIL, "failure", user_id=user.id, reason="send_limit"))
        return
    context |= counted
    mail = renderer.render(kind.value, to, context)
    try:
        mailer.send(mail)
    except MailUndelivered as exc:
        if not final:
            raise RetryJob(f"mail not delivered yet: {exc}") from exc
        log.warning("giving up on a %s mail for user %s: %s", kind.value, user.id, exc)
        audit.record(AuditEvent(Audit.MAIL, "failure", user_id=user.id, reason="delivery_failed"))
        return
    audit.record(AuditEvent(Audit.MAIL, user_id=user.id, reason=kind.value))


# -- the requests ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestVerification:
    actor: Actor


def request_verification(
    cmd: RequestVerification, *, users: UserRepository, queue: JobQueue, audit: AuditLog
) -> None:
    user = users.get(cmd.actor.user_id)
    if user is None or not user.active:
        raise InvalidToken()
    if user.email is None:
        raise Conflict("The account has no e-mail address to verify.", code="no_email")
    queue_mail(queue, MailKind.VERIFY_EMAIL, user)
    audit.record(AuditEvent(Audit.EMAIL_VERIFICATION_REQUESTED, user_id=user.id))


@dataclass(frozen=True)
class VerifyEmail:
    token: str
    client_ip: str = ""  # for the audit record


def verify_email(
    cmd: VerifyEmail,
    *,
    action_tokens: ActionTokenRepository,
    clock: Clock,
    audit: AuditLog,
) -> User:
    token, ip = cmd.token, cmd.client_ip
    now = clock.now()
    try:
        user = action_tokens.spend(
            token_hash(token), Purpose.VERIFY_EMAIL, lambda u: u.with_email_verified(now), now
        )
    except InvalidToken:
        audit.record(
            AuditEvent(Audit.EMAIL_VERIFIED, "failure", ip=ip or None, reason="invalid_token")
        )
        raise
    audit.record(AuditEvent(Audit.EMAIL_VERIFIED, user_id=user.id, ip=ip or None))
    return user


@dataclass(frozen=True)
class ForgotPassword:
    email: str
    client_ip: str = ""


def forgot_password(cmd: ForgotPassword, *, queue: JobQueue) -> None:
    """Blind: the request only enqueues a job for the address, the same for every address;
    the job finds the account (or none) and queues its mail (docs/security.md, "Password
    recovery"). No repository is read on the request thread, so nothing there depends on
    whether the address has an account."""
    job = ResetRequestJob(login_key(cmd.email), cmd.client_ip, new_id()).job()
    try:
        queue.enqueue(job)
    except Exception:  # the answer must not depend on the queue: see the module docstring
        log.exception("could not queue a password reset request")


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


def find_reset_account(
    job: Job, final: bool, *, users: UserRepository, queue: JobQueue, audit: AuditLog
) -> None:
    """The FIND_RESET_ACCOUNT job: the account with the address gets a reset mail (its own
    SEND_MAIL job, retried on its own); an unknown address ends here."""
    request = ResetRequestJob.parse(job.subject)
    if request is None:
        log.warning("unreadable password reset job dropped")
        return
    user = users.find_by_login(request.address)
    ip = request.ip or None
    if user is None:
        audit.record(
            AuditEvent(Audit.PASSWORD_RESET_REQUESTED, "failure", ip=ip, reason="unknown_address")
        )
        return
    try:
        queue.enqueue(MailJob(MailKind.RESET_PASSWORD, user.id, request.id).job())
    except Exception as exc:  # the audit is recorded once, by the attempt that queued the mail
        if final:
            log.exception("could not queue a reset mail for user %s", user.id)
            return
        raise RetryJob("the job queue did not take the reset mail") from exc
    audit.record(AuditEvent(Audit.PASSWORD_RESET_REQUESTED, user_id=user.id, ip=ip))


@dataclass(frozen=True)
class ResetPassword:
    token: str
    new_password: str
    client_ip: str = ""


def reset_password(
    cmd: ResetPassword,
    *,
    action_tokens: ActionTokenRepository,
    users: UserRepository,
    passkeys: OwnedData,
    factors: OwnedData,
    identities: OwnedData,
    hasher: PasswordHasher,
    throttle: LoginThrottle,
    throttle_policy: LoginThrottlePolicy,
    clock: Clock,
    audit: AuditLog,
) -> None:
    """Set the password, end every session, remove the passkeys, clear the login throttle,
    spend the token. An account that never proved its address starts clean: the reset is
    the first proof of it (docs/decisions/0104-first-proof-of-address-wins.md)."""
    hashed = token_hash(cmd.token)
    ip = cmd.client_ip or None
    check_password_policy(cmd.new_password)
    found = action_tokens.get(hashed)
    # A cheap look first, so a made-up token costs no argon2 hash; the spend decides.
    if found is None or found.purpose is not Purpose.RESET_PASSWORD or found.spent_at is not None:
        audit.record(AuditEvent(Audit.PASSWORD_RESET, "failure", ip=ip, reason="invalid_token"))
        raise InvalidToken()
    new_hash = hasher.hash(cmd.new_password)
    now = clock.now()

    def remove_factors(user_id: str, unproven: bool) -> None:
        if unproven:
            start_clean(user_id, passkeys=passkeys, factors=factors, identities=identities)
        else:
            remove_passkeys(user_id, passkeys=passkeys)

    # Before the spend, so that a process that dies after it never leaves them on the
    # account; again after it, for what the sessions it ends added meanwhile.
    holder = users.get(found.user_id)
    unproven = holder is not None and not holder.email_verified
    if holder is not None:
        remove_factors(holder.id, unproven)
    found_by_spend: list[User] = []

    def change(user: User) -> User:
        found_by_spend.append(user)  # the account as the reset found it (pre-reset)
        return user.reset_through_mail(new_hash, now)

    try:
        user = action_tokens.spend(hashed, Purpose.RESET_PASSWORD, change, now)
    except InvalidToken:
        audit.record(AuditEvent(Audit.PASSWORD_RESET, "failure", ip=ip, reason="invalid_token"))
        raise
    unproven = unproven or not found_by_spend[-1].email_verified
    remove_factors(user.id, unproven)
    names = [user.username.normalized] + ([user.email.normalized] if user.email else [])
    for name in names:
        for key, _ in throttle_policy.rules_for(name, cmd.client_ip)[:2]:
            throttle.reset(key)  # this account, and this account from this address
    audit.record(AuditEvent(Audit.PASSWORD_RESET, user_id=user.id, ip=ip))
    if unproven:
        audit.record(
            AuditEvent(Audit.ACCOUNT_CLAIMED, user_id=user.id, ip=ip, reason="password_reset")
        )


# -- invitations ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Invite:
    """``username`` None: made from the address (docs/reference/email.md)."""

    actor: Actor  # an admin
    username: str | None
    email: str
    name: str | None = None
    last_name: str | None = None
    role: str | None = None


def invite_user(
    cmd: Invite,
    *,
    users: UserRepository,
    queue: JobQueue,
    clock: Clock,
    audit: AuditLog,
) -> User:
    """An account without a password; its owner sets one through the invitation's link."""
    require_admin(cmd.actor)
    email = Email(cmd.email)
    given = cmd.username if cmd.username is not None else Username.from_address(email)
    username = Username.chosen(given)
    role = Role(cmd.role) if cmd.role else Role.USER
    now = clock.now()
    user = User.register(
        id=new_id(),
        username=username,
        email=email,
        password_hash=None,
        now=now,
        name=cmd.name,
        last_name=cmd.last_name,
    )
    if role is not Role.USER:
        user = user.with_role(role, now)
    users.add(user)
    queue_mail(queue, MailKind.INVITATION, user)
    audit.record(AuditEvent(Audit.INVITATION, user_id=user.id, actor_id=cmd.actor.user_id))
    return user


def mail_after_register(user: User, *, queue: JobQueue) -> None:
    """A new account with an address gets a verification mail."""
    if user.email is not None:
        queue_mail(queue, MailKind.VERIFY_EMAIL, user)


def mail_after_profile_change(
    before: User, after: User, *, queue: JobQueue, audit: AuditLog
) -> None:
    """A new address gets a verification mail, the old one a notice without a link."""
    if after.email is None or (
        before.email is not None and before.email.normalized == after.email.normalized
    ):
        return
    queue_mail(queue, MailKind.VERIFY_EMAIL, after)
    if before.email is not None:
        queue_mail(
            queue,
            MailKind.ADDRESS_CHANGED,
            after,
            old_email=before.email.value,
            old_verified=before.email_verified,
        )
    audit.record(AuditEvent(Audit.EMAIL_CHANGE, user_id=after.id))


# -- wiring (docs/decisions/0042-wiring-per-feature.md) -------------------------------------


class EmailPorts(Protocol):
    @property
    def users(self) -> UserRepository: ...
    @property
    def action_tokens(self) -> ActionTokenRepository: ...
    @property
    def mail_renderer(self) -> MailRenderer: ...
    @property
    def mailer(self) -> Mailer: ...
    @property
    def hasher(self) -> PasswordHasher: ...
    @property
    def throttle(self) -> LoginThrottle: ...
    @property
    def passkeys(self) -> OwnedData: ...
    @property
    def factors(self) -> OwnedData: ...
    @property
    def identities(self) -> OwnedData: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def audit(self) -> AuditLog: ...


class EmailPolicies(Protocol):
    @property
    def throttle_policy(self) -> LoginThrottlePolicy: ...
    @property
    def mail_settings(self) -> MailSettings: ...


@dataclass(frozen=True)
class EmailServices:
    request_verification: Callable[[RequestVerification], None]
    verify: Callable[[VerifyEmail], User]
    forgot_password: Callable[[ForgotPassword], None]
    reset_password: Callable[[ResetPassword], None]
    invite: Callable[[Invite], User]


def bind(ports: EmailPorts, policies: EmailPolicies, *, queue: JobQueue) -> EmailServices:
    p = ports
    return EmailServices(
        request_verification=lambda cmd: request_verification(
            cmd, users=p.users, queue=queue, audit=p.audit
        ),
        verify=lambda cmd: verify_email(
            cmd, action_tokens=p.action_tokens, clock=p.clock, audit=p.audit
        ),
        forgot_password=lambda cmd: forgot_password(cmd, queue=queue),
        reset_password=lambda cmd: reset_password(
            cmd,
            action_tokens=p.action_tokens,
            users=p.users,
            passkeys=p.passkeys,
            factors=p.factors,
            identities=p.identities,
            hasher=p.hasher,
            throttle=p.throttle,
            throttle_policy=policies.throttle_policy,
            clock=p.clock,
            audit=p.audit,
        ),
        invite=lambda cmd: invite_user(
            cmd, users=p.users, queue=queue, clock=p.clock, audit=p.audit
        ),
    )


def handlers(
    ports: EmailPorts, policies: EmailPolicies, *, queue: JobQueue
) -> dict[str, JobHandler]:
    """The jobs of the mail flows by kind: handlers, not use cases (they take the job)."""
    p = ports
    return {
        SEND_MAIL: lambda job, final: send_mail(
            job,
            final,
            users=p.users,
            action_tokens=p.action_tokens,
            renderer=p.mail_renderer,
            mailer=p.mailer,
            clock=p.clock,
            audit=p.audit,
            settings=policies.mail_settings,
        ),
        # It queues the reset mail itself, so it needs the queue its handlers run on.
        FIND_RESET_ACCOUNT: lambda job, final: find_reset_account(
            job, final, users=p.users, queue=queue, audit=p.audit
        ),
    }


def account_hooks(ports: EmailPorts, *, queue: JobQueue) -> AccountHooks:
    """The mails that follow a new account and a profile change."""
    audit = ports.audit
    return AccountHooks(
        registered=lambda user: mail_after_register(user, queue=queue),
        changed=lambda before, after: mail_after_profile_change(
            before, after, queue=queue, audit=audit
        ),
    )
