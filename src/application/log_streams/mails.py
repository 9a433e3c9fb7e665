"""A paused stream's mails: a job finds its org's owners and queues one mail each, so a
retried mail is one mail, not one to every owner again (docs/log-streams.md)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from application.accounts.accounts import UserRepository
from application.mail.sending import MailingJob
from application.orgs.ports import OrgRepository
from application.ports import Job, JobQueue
from domain.log_streams.streams import LogStream
from domain.orgs.roles import OWNER

log = logging.getLogger("firegate.log_streams")

PAUSED = "log_streams.paused"  # the job that finds the owners of a paused stream's org
MAIL_OWNER = "log_streams.paused_mail"  # the job that mails one of them
MAIL_KIND = "log_stream_paused"  # the mail's template, and its kind in the metrics
OWNERS_MAX = 50  # owners one pause mails


def paused_job(stream: LogStream) -> Job:
    return Job(PAUSED, json.dumps({"org": stream.org_id, "stream": stream.id}))


def _read(subject: str) -> tuple[str, str, str | None] | None:
    try:
        data = json.loads(subject)
        user = data.get("user")
        return str(data["org"]), str(data["stream"]), str(user) if user is not None else None
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


@dataclass(frozen=True, kw_only=True)
class PausedMails:
    orgs: OrgRepository
    users: UserRepository
    queue: JobQueue
    mails: MailingJob
    public_url: str

    def paused(self, stream: LogStream) -> None:
        """What follows a stream paused: its owners' mail queued (once: the pause is one
        change of the stream's, made by one worker)."""
        try:
            self.queue.enqueue(paused_job(stream))
        except Exception as error:
            log.warning("log stream pause mail not queued (%s)", type(error).__name__)

    def find_owners(self, job: Job, final: bool) -> None:
        read = _read(job.subject)
        if read is None:
            log.warning("unreadable log stream pause dropped")
            return
        org_id, stream_id, _ = read
        after: str | None = None
        owners: list[str] = []
        while len(owners) < OWNERS_MAX:
            page = self.orgs.members_page(org_id, after, 100)
            owners.extend(member.user_id for member in page if OWNER in member.roles)
            if len(page) < 100:
                break
            after = page[-1].user_id
        for user_id in owners[:OWNERS_MAX]:
            subject = json.dumps({"org": org_id, "stream": stream_id, "user": user_id})
            self.queue.enqueue(Job(MAIL_OWNER, subject))

    def mail_owner(self, job: Job, final: bool) -> None:
        read = _read(job.subject)
        user_id = read[2] if read is not None else None
        if read is None or user_id is None:
            log.warning("unreadable log stream pause mail dropped")
            return
        org_id, stream_id = read[0], read[1]
        org = self.orgs.get(org_id)
        user = self.users.get(user_id)
        if org is None or user is None or not user.active or user.email is None:
            return
        if not user.email_verified:
            return  # a notice goes to an address the account proved, or nowhere
        context = {
            "name": user.shown_name,
            "org": org.name,
            "stream": stream_id,
            "link": f"{self.public_url.rstrip('/')}/account/orgs/{org.slug.value}",
            "locale": user.locale or "",
        }
        what = f"the pause mail of log stream {stream_id}"
        self.mails.mail(MAIL_KIND, user.email.value, context, final, what, org_id=org.id)
