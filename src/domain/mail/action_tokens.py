"""Single-use tokens that a mail carries: prove an address, set a new password, say "this
was not me".

Only a SHA-256 hash of a token is ever stored; the token itself exists in the mail alone.
A token is void once spent, expired, or superseded (docs/security.md, "Action tokens").
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from domain.accounts.users import User
from domain.link_tokens import InvalidToken, new_token, token_hash

# Mails with a link to act on (verify, reset, invitation) and mails to an address the account
# has not proved, per account inside SEND_WINDOW; more requests answer alike, send nothing.
SEND_LIMIT = 3
SEND_WINDOW = timedelta(minutes=15)
# Notices to a proved address (a change to how the account signs in, a new device) have a
# limit of their own, so they never hold back a reset mail, and still cannot bomb a mailbox
# (docs/decisions/0172-notice-mail-limit.md).
NOTICE_LIMIT = 10
NOTICE_WINDOW = timedelta(hours=24)


class Purpose(StrEnum):
    VERIFY_EMAIL = "verify_email"
    RESET_PASSWORD = "reset_password"  # invitations too: a reset token that lives 7 days
    NOT_ME = "not_me"  # a notification's "this wasn't me" link (docs/pages.md, /not-me)

    @property
    def notice(self) -> bool:
        """Is a mail carrying a token of this purpose a notice (under ``NOTICE_LIMIT``)?"""
        return self is Purpose.NOT_ME


LIFETIME = {
    Purpose.VERIFY_EMAIL: timedelta(hours=24),
    Purpose.RESET_PASSWORD: timedelta(minutes=30),
    Purpose.NOT_ME: timedelta(days=7),
}
INVITATION_LIFETIME = timedelta(days=7)


def password_fingerprint(user: User) -> str:
    """What a reset token remembers of the password it replaces: the hash's hash."""
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()


@dataclass(frozen=True)
class ActionToken:
    hash: str
    purpose: Purpose
    user_id: str
    created_at: datetime
    expires_at: datetime
    email: str  # the normalized address it was sent to
    password: str  # password_fingerprint(user) when it was issued
    spent_at: datetime | None = None
    email_version: int = 0  # the user's email_version when it was issued
    # NOT_ME: the way in its notice told of, which spending it removes (``WayIn.key``); "".
    undo: str = ""

    @classmethod
    def issue(
        cls,
        user: User,
        purpose: Purpose,
        now: datetime,
        lifetime: timedelta | None = None,
        *,
        undo: str = "",
    ) -> tuple[str, ActionToken]:
        """A new token (to mail) and its record (to store)."""
        if user.email is None:
            raise ValueError("a user without an address gets no mail")
        token = new_token()
        record = cls(
            hash=token_hash(token),
            purpose=purpose,
            user_id=user.id,
            created_at=now,
            expires_at=now + (lifetime or LIFETIME[purpose]),
            email=user.email.normalized,
            password=password_fingerprint(user),
            email_version=user.email_version,
            undo=undo,
        )
        return token, record

    def check(self, purpose: Purpose, user: User | None, now: datetime, latest: str | None) -> User:
        """The live user this token may act on; InvalidToken when it may not.

        ``latest``: the hash of the newest token of this purpose for the user.
        """
        if (
            self.purpose is not purpose
            or self.spent_at is not None
            or now >= self.expires_at
            or user is None
            or not user.active
            or user.email is None
            or user.email.normalized != self.email  # the address changed since
            or user.email_version != self.email_version  # ... even if back to this one
        ):
            raise InvalidToken()
        if purpose is Purpose.RESET_PASSWORD and (
            latest != self.hash or password_fingerprint(user) != self.password
        ):
            raise InvalidToken()  # a newer token exists, or the password changed since
        return user

    def spent(self, now: datetime) -> ActionToken:
        return replace(self, spent_at=now)


@dataclass(frozen=True)
class SendLog:
    """The mails sent to one account lately, under two limits: link mails (and mails to an
    unproved address) in ``sent``, notices to a proved address in ``notices``; and the
    account's newest token of each purpose."""

    sent: tuple[tuple[str, datetime], ...] = ()  # (job id, when) inside SEND_WINDOW
    latest: tuple[tuple[Purpose, str], ...] = ()  # (purpose, token hash)
    notices: tuple[tuple[str, datetime], ...] = ()  # (job id, when) inside NOTICE_WINDOW

    def latest_of(self, purpose: Purpose) -> str | None:
        return dict(self.latest).get(purpose)

    def allows(self, job_id: str, now: datetime, *, notice: bool = False) -> bool:
        """A retried job sends again without counting twice; others only under the limit."""
        sends, window, limit = self._budget(notice)
        recent = [job for job, at in sends if now - at < window]
        return job_id in recent or len(recent) < limit

    def after_send(
        self,
        job_id: str,
        now: datetime,
        token: ActionToken | None = None,
        *,
        notice: bool = False,
    ) -> SendLog:
        """Counted one more mail (a notice, or a link mail carrying ``token``)."""
        latest = self.latest
        if token is not None:
            others = tuple((purpose, h) for purpose, h in latest if purpose is not token.purpose)
            latest = (*others, (token.purpose, token.hash))
        sent, notices = (
            self._kept(self.sent, SEND_WINDOW, now),
            self._kept(self.notices, NOTICE_WINDOW, now),
        )
        if notice:
            notices = (*(item for item in notices if item[0] != job_id), (job_id, now))
        else:
            sent = (*(item for item in sent if item[0] != job_id), (job_id, now))
        return SendLog(sent=sent, latest=latest, notices=notices)

    def counting(
        self, job_id: str, now: datetime, token: ActionToken | None = None, *, always: bool = False
    ) -> SendLog | None:
        """The log with one more mail counted, or None when its limit refuses it. A mail
        carrying a notice's token counts among the notices; ``always`` (the warning to an
        address the account proved) counts among them too and is never refused."""
        notice = always or (token is not None and token.purpose.notice)
        if not always and not self.allows(job_id, now, notice=notice):
            return None
        return self.after_send(job_id, now, token, notice=notice)

    def _budget(self, notice: bool) -> tuple[tuple[tuple[str, datetime], ...], timedelta, int]:
        if notice:
            return self.notices, NOTICE_WINDOW, NOTICE_LIMIT
        return self.sent, SEND_WINDOW, SEND_LIMIT

    @staticmethod
    def _kept(
        sends: tuple[tuple[str, datetime], ...], window: timedelta, now: datetime
    ) -> tuple[tuple[str, datetime], ...]:
        return tuple((job, at) for job, at in sends if now - at < window)
