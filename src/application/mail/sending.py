"""The mail job: a request only enqueues the kind of mail and the account; the job issues
the token (within the account's sending limit), renders the mail and hands it to the mail
server, so no request waits on SMTP and a failed send changes no HTTP answer. The token
exists only in the mail and, hashed, in Firestore (docs/decisions/0100-mail-through-jobs.md).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Protocol

from application.accounts.accounts import UserRepository
from application.jobs import RetryJob
from application.metrics import MAILS
from application.ports import (
    NO_METRICS,
    Audit,
    AuditEvent,
    AuditLog,
    Clock,
    Job,
    JobQueue,
    Mail,
    MailBrand,
    Mailer,
    MailRenderer,
    MailUndelivered,
    Metrics,
    StagedWrites,
)
from domain.accounts.users import Role, User
from domain.ids import new_id
from domain.mail.action_tokens import INVITATION_LIFETIME, ActionToken, Purpose
from domain.signin.devices import device_key
from domain.slots import Slot
from domain.user_agents import browser_of
from domain.ways_in import WayIn

log = logging.getLogger("firegate.mail")

SEND_MAIL = "send_mail"


class ActionTokenRepository(Protocol):
    def add(self, token: ActionToken, job_id: str, now: datetime, *, always: bool = False) -> bool:
        """Store the token and count one mail for its user, atomically; False (nothing
        stored) when its sending limit is reached (a notice's token counts among the
        notices, any other among the link mails: ``SendLog.counting``). With ``always``
        (the reset a "this wasn't me" link asks for) it counts among the notices and is
        never refused. A job run again with the same ``job_id`` is not counted twice; the
        new token supersedes its earlier one of the same purpose."""
        ...

    def count_mail(self, user_id: str, job_id: str, now: datetime, *, always: bool = False) -> bool:
        """Count one mail without a token among the link mails; False (nothing counted)
        when their limit is reached. With ``always`` (a warning to a proved address) it
        counts among the notices and is never refused."""
        ...

    def get(self, hashed: str) -> ActionToken | None:
        """The token stored under this hash, spent or not; None if there is none."""
        ...

    def spend(
        self, hashed: str, purpose: Purpose, change: Callable[[User], User], now: datetime
    ) -> User:
        """Claim the token, then in one commit check it against its user
        (ActionToken.check) and apply ``change`` to the user; InvalidToken if it is not good.
        Of concurrent spends of one token exactly one succeeds. A token that fails the check
        stays spent; a ``change`` (or commit) that fails releases the claim, so the
        token stays usable (docs/security.md, "Action tokens")."""
        ...


@dataclass(frozen=True)
class ProviderName:
    """An identity provider as its notice names it: as people know it (``Google``, an SSO
    connection's name), with the org whose single sign-on it is, where it is one."""

    name: str
    org: str = ""


class ProviderNames(Protocol):
    def __call__(self, provider: str) -> ProviderName:
        """The provider of this id as people know it (its id, when it is gone)."""
        ...


def provider_ids(provider: str) -> ProviderName:
    """Each provider named by its id: where no names are known."""
    return ProviderName(provider)


class MailKind(StrEnum):
    VERIFY_EMAIL = "verify_email"
    RESET_PASSWORD = "reset_password"
    INVITATION = "invitation"
    ADDRESS_CHANGED = "address_changed"  # the notice to the old address; no link
    # Notices of a change to how the account signs in, each with a "not me" link.
    PASSWORD_CHANGED = "password_changed"
    MFA_ENABLED = "mfa_enabled"
    MFA_DISABLED = "mfa_disabled"
    PASSKEY_ADDED = "passkey_added"
    IDENTITY_LINKED = "identity_linked"  # another provider's sign-in connected by the person
    PHONE_ADDED = "phone_added"  # a number proven on the account: a code texted to it signs in
    NEW_DEVICE = "new_device"  # a sign-in from a new device: when, where from, which browser
    IMPERSONATED = "impersonated"  # an admin acts as the person (docs/support-access.md)
    # To each admin: a webhook failed for its whole retry window and was disabled; no link.
    WEBHOOK_DISABLED = "webhook_disabled"


# The audit event (a success, about an account) that each notice follows.
NOTICES: dict[Audit, MailKind] = {
    Audit.PASSWORD_CHANGE: MailKind.PASSWORD_CHANGED,
    Audit.MFA_ENABLED: MailKind.MFA_ENABLED,
    Audit.MFA_DISABLED: MailKind.MFA_DISABLED,
    Audit.PASSKEY_REGISTERED: MailKind.PASSKEY_ADDED,
    Audit.NEW_DEVICE: MailKind.NEW_DEVICE,
    # Only when the person connected it (``AuditEvent.added``): not a new account's own link.
    Audit.IDENTITY_LINKED: MailKind.IDENTITY_LINKED,
    Audit.PHONE_CHANGE: MailKind.PHONE_ADDED,
    # The person's event only: the admin's own copy names the person (``subject_id``).
    Audit.IMPERSONATION_STARTED: MailKind.IMPERSONATED,
}
NOTICE_TEMPLATE = "security_notice"  # one template for the notices, by ``change``

_PURPOSE = {
    MailKind.VERIFY_EMAIL: Purpose.VERIFY_EMAIL,
    MailKind.RESET_PASSWORD: Purpose.RESET_PASSWORD,
    MailKind.INVITATION: Purpose.RESET_PASSWORD,
} | dict.fromkeys(NOTICES.values(), Purpose.NOT_ME)
_PATH = {
    Purpose.VERIFY_EMAIL: "/verify-email",
    Purpose.RESET_PASSWORD: "/reset-password",
    Purpose.NOT_ME: "/not-me",
}


@dataclass(frozen=True)
class SignInSeen:
    """NEW_DEVICE: the sign-in the mail tells of."""

    at: datetime
    ip: str | None
    user_agent: str | None


@dataclass(frozen=True)
class MailJob:
    kind: MailKind
    user_id: str
    id: str  # one per request: a retried delivery is the same mail, not another one
    old_email: str | None = None  # ADDRESS_CHANGED: where the notice goes
    old_verified: bool = False  # ADDRESS_CHANGED: the account had verified ``old_email``
    sign_in: SignInSeen | None = None  # NEW_DEVICE
    # RESET_PASSWORD asked for by a "this wasn't me" link: never held back by the link
    # mails' limit, which whoever has the password can spend first (docs/security.md).
    after_not_me: bool = False
    # A notice of a way in the person added: named in the mail, removed by its link.
    added: WayIn | None = None
    # VERIFY_EMAIL of an account a provider's sign-in made: the provider's name (as admins
    # configured it, never the person's words), which the mail names.
    provider: str | None = None

    def job(self) -> Job:
        fields: dict[str, object] = {"kind": self.kind.value, "user": self.user_id, "id": self.id}
        if self.old_email is not None:
            fields["old"] = self.old_email
        if self.old_verified:
            fields["old_verified"] = True
        if self.sign_in is not None:
            seen = self.sign_in
            fields["sign_in"] = [seen.at.isoformat(), seen.ip, seen.user_agent]
        if self.after_not_me:
            fields["not_me"] = True
        if self.added is not None:
            fields["added"] = [self.added.kind, self.added.ref, self.added.label]
        if self.provider is not None:
            fields["provider"] = self.provider
        return Job(kind=SEND_MAIL, subject=json.dumps(fields, separators=(",", ":")))

    @classmethod
    def parse(cls, subject: str) -> MailJob | None:
        try:
            fields = json.loads(subject)
            seen = fields.get("sign_in")
            added = fields.get("added")
            return cls(
                kind=MailKind(fields["kind"]),
                user_id=str(fields["user"]),
                id=str(fields["id"]),
                old_email=fields.get("old"),
                old_verified=fields.get("old_verified") is True,
                sign_in=_sign_in_seen(seen) if seen is not None else None,
                after_not_me=fields.get("not_me") is True,
                added=WayIn(*(str(part) for part in added[:3])) if added else None,
                provider=_text_or_none(fields.get("provider")),
            )
        except (ValueError, KeyError, TypeError, IndexError):
            return None


def _made_by(mail_job: MailJob) -> dict[str, str]:
    """A verification mail's words on the provider whose sign-in made the account."""
    if mail_job.kind is MailKind.VERIFY_EMAIL and mail_job.provider:
        return {"provider": mail_job.provider}
    return {}


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _sign_in_seen(fields: list[object]) -> SignInSeen:
    at, ip, agent = fields
    return SignInSeen(
        at=datetime.fromisoformat(str(at)),
        ip=str(ip) if ip is not None else None,
        user_agent=str(agent) if agent is not None else None,
    )


def queue_mail(
    queue: JobQueue,
    kind: MailKind,
    user: User,
    old_email: str | None = None,
    *,
    old_verified: bool = False,
    after_not_me: bool = False,
    provider: str | None = None,
) -> None:
    """Enqueue one mail; a queue that cannot take it loses the mail, not the request."""
    _enqueue(
        queue,
        MailJob(
            kind,
            user.id,
            new_id(),
            old_email,
            old_verified,
            after_not_me=after_not_me,
            provider=provider,
        ),
    )


def _enqueue(queue: JobQueue, mail_job: MailJob) -> None:
    try:
        queue.enqueue(mail_job.job())
    except Exception:  # the answer must not depend on the queue: see the module docstring
        log.exception(
            "could not queue a %s mail for user %s", mail_job.kind.value, mail_job.user_id
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class NotifyingAuditLog:
    """An ``AuditLog`` that hands each event to ``log`` and queues the notice mail that a
    successful change to how an account signs in, or a sign-in from a new device, calls for
    (``NOTICES``): one place for every use case that already audits it
    (docs/reference/email.md)."""

    log: AuditLog
    queue: JobQueue
    clock: Clock

    def stage(self, events: Sequence[AuditEvent]) -> StagedWrites:
        return self.log.stage(events)

    def committed(self, staged: StagedWrites) -> None:
        self.log.committed(staged)
        for event in staged.audit:
            self._notify(event)

    def record(self, event: AuditEvent) -> None:
        self.log.record(event)
        self._notify(event)

    def _notify(self, event: AuditEvent) -> None:
        kind = NOTICES.get(event.event)
        if kind is None or event.outcome != "success" or not event.user_id:
            return
        if kind is MailKind.IDENTITY_LINKED and event.added is None:
            return  # a new account's own link, or an address's first proof: no one to warn
        if kind is MailKind.IMPERSONATED and event.subject_id is not None:
            return  # the admin's record of it: the person is the one told
        seen = None
        if kind is MailKind.NEW_DEVICE:
            seen = SignInSeen(self.clock.now(), event.ip, event.user_agent)
        job = MailJob(kind, event.user_id, new_id(), sign_in=seen, added=event.added)
        _enqueue(self.queue, job)


class NewDeviceMails(Protocol):
    def claim(self, key: str, user_id: str, job_id: str, now: datetime) -> bool:
        """May the mail job ``job_id`` tell ``user_id`` of the new device ``key``? True
        once per key in ``NEW_DEVICE_MAIL_EVERY`` (and again for the same job, retried);
        of parallel claims of one key exactly one wins. Kept with a TTL."""
        ...


NEW_DEVICE_MAIL_EVERY = timedelta(hours=24)  # one new-device mail per device and day


@dataclass(frozen=True)
class MailSettings:
    public_url: str  # where the links point: {public_url}/verify-email?token=...
    product: str = "firegate"
    support_email: str = ""  # SUPPORT_EMAIL: at the foot of every mail, where set


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
    if mail_job.kind is MailKind.WEBHOOK_DISABLED:  # an operator's notice: never held back
        return {} if action_tokens.count_mail(user.id, mail_job.id, now, always=True) else None
    if mail_job.kind is MailKind.ADDRESS_CHANGED:
        # A mail to an unproved address counts with the link mails; the warning to an
        # address the account had proved is a notice and goes out even past their limit
        # (docs/security.md, "Mail").
        if not action_tokens.count_mail(user.id, mail_job.id, now, always=verified):
            return None
        return {"new_email": user.email.value} if verified and user.email is not None else {}
    purpose = _PURPOSE[mail_job.kind]
    lifetime = INVITATION_LIFETIME if mail_job.kind is MailKind.INVITATION else None
    undo = mail_job.added.key if mail_job.added is not None else ""
    token, record = ActionToken.issue(user, purpose, now, lifetime, undo=undo)
    if not action_tokens.add(record, mail_job.id, now, always=mail_job.after_not_me):
        return None
    left = record.expires_at - now
    # An invitation's link says so: its page greets a new account instead of warning of a
    # reset (the token alone does not tell them apart, and the flag changes only words).
    invited = "&invited=1" if mail_job.kind is MailKind.INVITATION else ""
    return {
        "link": f"{settings.public_url}{_PATH[purpose]}?token={token}{invited}",
        "expires_hours": str(max(1, round(left / timedelta(hours=1)))),
        "expires_minutes": str(round(left / timedelta(minutes=1))),
        "expires_days": str(max(1, round(left / timedelta(days=1)))),
    }


def _notice(mail_job: MailJob, names: ProviderNames) -> dict[str, str]:
    """What a notice's template says besides: which change, and the way in it added, an
    identity by its provider's name (and the org whose single sign-on it is), never a name
    the person who added it chose (a passkey's)."""
    added = mail_job.added or WayIn("")
    named = names(added.label) if added.kind == WayIn.IDENTITY and added.label else None
    return {
        "change": mail_job.kind.value,
        "added": added.kind,
        "method": named.name if named is not None else added.label,
        "org": named.org if named is not None else "",
    }


def _new_device(
    mail_job: MailJob, user: User, mails: NewDeviceMails, now: datetime
) -> SignInSeen | None:
    """The sign-in a NEW_DEVICE job tells of, if this job may tell of its device (at most one
    mail per device a day, docs/decisions/0173-new-device-mail.md); None for other jobs."""
    seen = mail_job.sign_in
    if mail_job.kind is not MailKind.NEW_DEVICE or seen is None:
        return None
    key = device_key(user.id, seen.ip, seen.user_agent)
    return seen if mails.claim(key, user.id, mail_job.id, now) else None


def deliver(mailer: Mailer, mail: Mail, final: bool, what: str) -> bool:
    """Hand ``mail`` to the mail server: RetryJob while the job has attempts left; False (and
    a warning naming ``what``) when its last attempt failed."""
    try:
        mailer.send(mail)
    except MailUndelivered as exc:
        if not final:
            raise RetryJob(f"mail not delivered yet: {exc}") from exc
        log.warning("giving up on %s: %s", what, exc)
        return False
    return True


# The brand a mail about an org goes out under (docs/contributing.md, "Units"): what a unit
# lends (``Lent.fills``) to answer, for an org's id, its ``MailBrand`` or None; asked in the
# units' order, the first that answers wins. None answering, the mail is the service's own.
type MailBrandOf = Callable[[str], MailBrand | None]
MAIL_BRANDS = Slot[MailBrandOf]("the mails' brands")


def brand_of(brands: Sequence[MailBrandOf], org_id: str | None) -> MailBrand | None:
    """The first brand ``brands`` answer for the org ``org_id``; None without an org."""
    if not org_id:
        return None
    for brand in brands:
        found = brand(org_id)
        if found is not None:
            return found
    return None


def _one_line(text: str) -> str:
    """``text`` with each run of whitespace (CR and LF among it) as one space: a header's
    display name cannot start another header."""
    return " ".join(text.split())


def branded(mail: Mail, brand: MailBrand, product: str) -> Mail:
    """``mail`` under ``brand``: from its own sender, by its name, where it has one, else
    from the service's address as "{brand} via {product}"
    (docs/decisions/0865-a-mail-about-an-org-goes-out-under-its-brand.md)."""
    name = _one_line(brand.name)
    if brand.sender:
        return replace(
            mail, brand=brand, from_name=name, from_address="".join(brand.sender.split())
        )
    return replace(mail, brand=brand, from_name=f"{name} via {_one_line(product)}")


def _brand_context(brand: MailBrand | None) -> dict[str, str]:
    """What the layout shows of ``brand`` (its name, its logo): nothing without one."""
    if brand is None:
        return {}
    return {"brand_name": _one_line(brand.name), "brand_logo_url": brand.logo_url or ""}


@dataclass(frozen=True, kw_only=True, slots=True)
class MailingJob:
    """What a job that mails one person on the service's behalf builds on (an org's
    invitation, an IdP certificate's warning): the templates (``renderer``), the mail server
    (``mailer``), what every mail's links and foot name (``settings``), the mails' count
    (``metrics``) and the brands an org's mail may go out under (``brands``, the units'
    ``MAIL_BRANDS``)."""

    renderer: MailRenderer
    mailer: Mailer
    settings: MailSettings
    metrics: Metrics = NO_METRICS
    brands: Sequence[MailBrandOf] = ()

    def mail(
        self,
        kind: str,
        to: str,
        context: Mapping[str, str],
        final: bool,
        what: str,
        *,
        org_id: str | None = None,
    ) -> None:
        """Render the ``kind`` mail to ``to`` with ``context`` and the settings' product,
        public URL and support address; send it (``deliver``: RetryJob while attempts are
        left) and count it, sent or failed. A mail about an org (``org_id``) goes out under
        the brand the first of ``brands`` answers for it, if one does: its name and logo in
        the layout, its ``From``."""
        settings = self.settings
        brand = brand_of(self.brands, org_id)
        context = {
            "product": settings.product,
            "public_url": settings.public_url,
            "support_email": settings.support_email,
            **context,
            **_brand_context(brand),
        }
        mail = self.renderer.render(kind, to, context)
        if brand is not None:
            mail = branded(mail, brand, settings.product)
        delivered = deliver(self.mailer, mail, final, what)
        self.metrics.add(MAILS, kind=kind, outcome="sent" if delivered else "failed")


@dataclass(frozen=True, kw_only=True, slots=True)
class SendMailJob:
    """The SEND_MAIL job: issue the token (within the sending limit), render, send; a notice
    names the provider it tells of by ``names``."""

    users: UserRepository
    action_tokens: ActionTokenRepository
    renderer: MailRenderer
    mailer: Mailer
    clock: Clock
    audit: AuditLog
    settings: MailSettings
    new_device_mails: NewDeviceMails
    metrics: Metrics = NO_METRICS
    names: ProviderNames = provider_ids

    def run(self, job: Job, final: bool) -> None:
        mail_job = MailJob.parse(job.subject)
        if mail_job is None:
            log.warning("unreadable mail job dropped")
            return
        user = self.users.get(mail_job.user_id)
        if user is None or not user.active or user.email is None:
            return  # deleted, disabled, or without an address since the request
        kind, now = mail_job.kind, self.clock.now()
        if kind is MailKind.ADDRESS_CHANGED:
            to, verified = mail_job.old_email or "", mail_job.old_verified
        else:
            to, verified = user.email.value, user.email_verified
        notice = kind in NOTICES.values()
        admin_only = kind is MailKind.WEBHOOK_DISABLED
        if (
            not to
            or ((notice or admin_only) and not verified)
            or (admin_only and user.role is not Role.ADMIN)
            # proven since the mail was asked for (an org invitation's link, a password
            # reset, a provider's verified sign-in): nothing is left to confirm
            or (kind is MailKind.VERIFY_EMAIL and verified)
        ):
            return  # a notice goes to an address the account proved, or nowhere; an admin's too
        seen = _new_device(mail_job, user, self.new_device_mails, now)
        if kind is MailKind.NEW_DEVICE and seen is None:
            return  # this device was told of today (or the job is unreadable)
        context = {
            "product": self.settings.product,
            "public_url": self.settings.public_url,
            "support_email": self.settings.support_email,
            "email": to,
            "address_verified": "yes" if verified else "",
            "locale": user.locale or "",  # the mail's language (docs/pages.md)
        }
        if verified or mail_job.kind is MailKind.INVITATION:
            # Only an address the account proved is greeted with what the account wrote: a mail
            # to any other address carries no user-written text (docs/reference/email.md). An
            # invitation's names were written by the admin who invited, and tell the person
            # which account is theirs.
            context |= {"username": user.shown_name, "name": user.name or user.shown_name}
        counted = _count_mail(
            user,
            mail_job,
            verified=verified,
            action_tokens=self.action_tokens,
            now=now,
            settings=self.settings,
        )
        if counted is None:
            self.audit.record(
                AuditEvent(Audit.MAIL, "failure", user_id=user.id, reason="send_limit")
            )
            self.metrics.add(MAILS, kind=kind.value, outcome="refused")
            return
        context |= counted
        if kind in NOTICES.values():
            context |= _notice(mail_job, self.names)
        context |= _made_by(mail_job)
        if seen is not None:
            context |= {
                "signed_in_at": seen.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"),
                "ip": seen.ip or "",
                "browser": browser_of(seen.user_agent),
            }
        mail = self.renderer.render(
            NOTICE_TEMPLATE if kind in NOTICES.values() else kind.value, to, context
        )
        mail = replace(mail, kind=kind.value)  # a notice's template is shared: its own kind
        if not deliver(self.mailer, mail, final, f"a {kind.value} mail for user {user.id}"):
            self.audit.record(
                AuditEvent(Audit.MAIL, "failure", user_id=user.id, reason="delivery_failed")
            )
            self.metrics.add(MAILS, kind=kind.value, outcome="failed")
            return
        self.audit.record(AuditEvent(Audit.MAIL, user_id=user.id, reason=kind.value))
        self.metrics.add(MAILS, kind=kind.value, outcome="sent")
