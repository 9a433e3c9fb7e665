"""The e-mail flows, one module each: the mail job (``mail``), address verification (here),
password recovery (``password_reset``) and invitations (``invitations``); this module also
binds them all (docs/reference/email.md), with the "not me" link (``not_me``)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from application.identity.accounts import AccountHooks, UserRepository
from application.identity.admin import target_of
from application.identity.authentication import Actor
from application.identity.linking import IdentityRepository
from application.identity.mfa import MfaRepository
from application.identity.passkeys import PasskeyRepository
from application.identity.sessions import SessionRepository
from application.identity.throttle import LoginThrottle
from application.jobs import JobHandler
from application.mail.invitations import Invite, invite_user
from application.mail.not_me import AddedWaysIn, NotMe, not_me
from application.mail.password_reset import (
    FIND_RESET_ACCOUNT,
    ForgotPassword,
    ResetPassword,
    find_reset_account,
    forgot_password,
    reset_password,
)
from application.mail.sending import (
    SEND_MAIL,
    ActionTokenRepository,
    MailKind,
    MailSettings,
    NewDeviceMails,
    queue_mail,
    send_mail,
)
from application.ports import (
    Audit,
    AuditEvent,
    AuditLog,
    Clock,
    JobQueue,
    Mailer,
    MailRenderer,
    Metrics,
    PasswordHasher,
)
from domain.action_tokens import (
    InvalidToken,
    Purpose,
    token_hash,
)
from domain.errors import Conflict
from domain.throttling import LoginThrottlePolicy
from domain.users import User

log = logging.getLogger("firegate.mail")


@dataclass(frozen=True)
class RequestVerification:
    """``user_id``: another account's, whose address an admin asks to verify (/admin)."""

    actor: Actor
    user_id: str | None = None


def request_verification(
    cmd: RequestVerification, *, users: UserRepository, queue: JobQueue, audit: AuditLog
) -> None:
    actor = cmd.actor
    if cmd.user_id is None or cmd.user_id == actor.user_id:
        user, actor_id = users.get(actor.user_id), None
        if user is None or not user.active:
            raise InvalidToken()
    else:
        user, actor_id = target_of(actor, cmd.user_id, users), actor.user_id
        if user.disabled:  # the mail job sends nothing to a disabled account
            raise Conflict("The account is disabled; enable it first.", code="user_disabled")
    if user.email is None:
        raise Conflict("The account has no e-mail address to verify.", code="no_email")
    queue_mail(queue, MailKind.VERIFY_EMAIL, user)
    audit.record(AuditEvent(Audit.EMAIL_VERIFICATION_REQUESTED, user_id=user.id, actor_id=actor_id))


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
    def new_device_mails(self) -> NewDeviceMails: ...
    @property
    def mail_renderer(self) -> MailRenderer: ...
    @property
    def mailer(self) -> Mailer: ...
    @property
    def hasher(self) -> PasswordHasher: ...
    @property
    def throttle(self) -> LoginThrottle: ...
    @property
    def passkeys(self) -> PasskeyRepository: ...
    @property
    def factors(self) -> MfaRepository: ...
    @property
    def identities(self) -> IdentityRepository: ...
    @property
    def sessions(self) -> SessionRepository: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def audit(self) -> AuditLog: ...
    @property
    def metrics(self) -> Metrics: ...


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
    not_me: Callable[[NotMe], bool]  # a notification's "this wasn't me" link; True: mailed


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
        not_me=lambda cmd: not_me(
            cmd,
            action_tokens=p.action_tokens,
            users=p.users,
            sessions=p.sessions,
            queue=queue,
            clock=p.clock,
            audit=p.audit,
            ways_in=AddedWaysIn(p.passkeys, p.identities, p.factors),
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
            new_device_mails=p.new_device_mails,
            metrics=p.metrics,
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
