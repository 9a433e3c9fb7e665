"""The IdP certificates' expiry: 30 days before a certificate of an active SAML connection
ends, the org's admins are mailed and ``org.sso_certificate_expiring`` is recorded, once per
certificate (docs/reference/sso.md, "Certificate expiry";
docs/decisions/0398-the-certificate-expiry-warning.md).

A sweep (``CertificateSweep``, run periodically: the process's scheduler and the
``orgs sso-certificates`` command) finds the certificates due and records each warning on
its connection under compare-and-set with the event in the same commit, so two sweeps at
once warn once. Then a job per connection names the admins, and a job per admin sends the
mail, so a retried mail is one mail, not one to every admin again.

The sweep only warns: it never fetches a connection's metadata URL again to pick up a new
certificate (docs/decisions/0392-an-idps-metadata-url.md); an admin gives the URL again.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime

from application.accounts.accounts import UserRepository
from application.mail.sending import MailingJob
from application.orgs.ports import OrgRepository
from application.ports import Audit, AuditEvent, AuditLog, Clock, Job, JobQueue
from application.sso.ports import Connections
from domain.errors import Conflict, NotFound
from domain.orgs.orgs import OrgRole
from domain.sso.connections import Connection

log = logging.getLogger("firegate.sso")

WARN_ADMINS = "sso_certificate_expiring"  # a connection's warning: find its admins
MAIL_ADMIN = "sso_certificate_expiring_mail"  # one admin's mail
MAIL_KIND = "sso_certificate_expiring"  # the mail's template, and its kind in the metrics
SWEEP_BATCH = 100
ADMINS_MAX = 50  # the admins one warning mails (an org has a few)
_MANAGERS = {OrgRole.OWNER.value, OrgRole.ADMIN.value}


@dataclass(frozen=True)
class CertificateWarning:
    """A warning of one connection's certificate, and to whom (None: find the admins)."""

    connection_id: str
    not_after: datetime
    user_id: str | None = None

    def job(self) -> Job:
        fields = {"connection": self.connection_id, "not_after": self.not_after.isoformat()}
        if self.user_id is not None:
            fields["user"] = self.user_id
        subject = json.dumps(fields, separators=(",", ":"))
        return Job(kind=WARN_ADMINS if self.user_id is None else MAIL_ADMIN, subject=subject)

    @classmethod
    def parse(cls, subject: str) -> CertificateWarning | None:
        try:
            fields = json.loads(subject)
            user = fields.get("user")
            return cls(
                str(fields["connection"]),
                datetime.fromisoformat(fields["not_after"]),
                str(user) if user is not None else None,
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return None


def _enqueue(queue: JobQueue, warning: CertificateWarning) -> None:
    try:
        queue.enqueue(warning.job())
    except Exception:  # the warning is recorded; its mail is lost with the queue, not the sweep
        log.exception("could not queue the certificate warning of %s", warning.connection_id)


@dataclass(frozen=True, kw_only=True, slots=True)
class CertificateSweep:
    """The sweep: every certificate due warned of, once each.

    ``queue``: where each warning's job goes (``CertificateWarnings``)."""

    connections: Connections
    audit: AuditLog
    queue: JobQueue
    clock: Clock

    def sweep(self) -> int:
        """Warn of every certificate due, once each: how many were."""
        now, after, warned = self.clock.now(), None, 0
        while True:
            page = self.connections.active_page(after, SWEEP_BATCH)
            for connection in page:
                warned += self._warn(connection, now)
            if len(page) < SWEEP_BATCH:
                return warned
            after = page[-1].id

    def run_scheduled(self) -> None:
        """The sweep as the process's scheduler runs it (its count unused)."""
        self.sweep()

    def _warn(self, connection: Connection, now: datetime) -> int:
        due = connection.expiring(now)
        if not due:
            return 0
        # About the admin who created the connection (an event is about an account), as its
        # other events are about the admin who acted.
        events = [
            AuditEvent(
                Audit.ORG_SSO_CERTIFICATE_EXPIRING,
                user_id=connection.created_by,
                org_id=connection.org_id,
                reason=connection.id,
            )
            for _ in due
        ]
        staged = self.audit.stage(events)
        try:
            self.connections.replace(connection.warned_of(due), staged)
        except (Conflict, NotFound):  # changed or deleted meanwhile: the next sweep reads it again
            return 0
        self.audit.committed(staged)
        for certificate in due:
            _enqueue(self.queue, CertificateWarning(connection.id, certificate.not_after))
        return len(due)


@dataclass(frozen=True, kw_only=True, slots=True)
class CertificateWarnings(MailingJob):
    """A warning's jobs: WARN_ADMINS finds the org's admins (``warn_admins``), MAIL_ADMIN
    mails each (``mail_admin``)."""

    connections: Connections
    orgs: OrgRepository
    users: UserRepository
    queue: JobQueue
    clock: Clock

    def warn_admins(self, job: Job, final: bool) -> None:
        """The WARN_ADMINS job: a mail job for each owner and admin of the connection's
        org."""
        warning = CertificateWarning.parse(job.subject)
        connection = self.connections.get(warning.connection_id) if warning is not None else None
        if warning is None or connection is None:
            return  # unreadable, or the connection deleted since
        members = self.orgs.members_page(connection.org_id, None, ADMINS_MAX)
        for member in members:
            if _MANAGERS & set(member.roles):
                _enqueue(
                    self.queue,
                    CertificateWarning(connection.id, warning.not_after, member.user_id),
                )

    def mail_admin(self, job: Job, final: bool) -> None:
        """The MAIL_ADMIN job: the warning to one admin, at an address they proved, in their
        language, while they still manage the org."""
        orgs, settings = self.orgs, self.settings
        warning = CertificateWarning.parse(job.subject)
        if warning is None or warning.user_id is None:
            return
        connection = self.connections.get(warning.connection_id)
        org = orgs.get(connection.org_id) if connection is not None else None
        user = self.users.get(warning.user_id)
        membership = orgs.membership(org.id, user.id) if org is not None and user else None
        if (
            connection is None
            or org is None
            or user is None
            or not user.active
            or user.email is None
            or not user.email_verified
            or membership is None
            or not _MANAGERS & set(membership.roles)
        ):
            return  # gone, or no longer theirs to hear of
        days = max(0, (warning.not_after - self.clock.now()).days)
        context = {
            "email": user.email.value,
            "locale": user.locale or "",
            "name": user.name or user.shown_name,
            "org": org.name,
            "connection": connection.name,
            "expires_on": warning.not_after.date().isoformat(),
            "days": str(days),
            "link": f"{settings.public_url}/account/orgs/{org.slug.value}/sso",
        }
        self.mail(
            MAIL_KIND,
            user.email.value,
            context,
            final,
            f"the certificate warning of {connection.id}",
            org_id=org.id,
        )
