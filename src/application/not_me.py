"""The "this wasn't me" link a notification mail carries. Spending its token ends every
session of the account and mails a password reset to the account's address
(docs/pages.md, /not-me; docs/decisions/0171-not-me-link.md)."""

from __future__ import annotations

from dataclasses import dataclass

from application.accounts import UserRepository
from application.mail import ActionTokenRepository, MailKind, queue_mail
from application.ports import Audit, AuditEvent, AuditLog, Clock, JobQueue
from application.sessions import SessionRepository
from domain.action_tokens import InvalidToken, Purpose, token_hash


@dataclass(frozen=True)
class NotMe:
    token: str
    client_ip: str = ""


def not_me(
    cmd: NotMe,
    *,
    action_tokens: ActionTokenRepository,
    users: UserRepository,
    sessions: SessionRepository,
    queue: JobQueue,
    clock: Clock,
    audit: AuditLog,
) -> None:
    """Spend the token once and, in the same transaction, end every session of its account;
    then queue a reset mail (under the account's sending limit, like every mail). A token
    that is malformed, unknown, spent or expired changes nothing (InvalidToken, 400)."""
    ip = cmd.client_ip or None
    now = clock.now()
    try:
        hashed = token_hash(cmd.token)
        user = action_tokens.spend(
            hashed, Purpose.NOT_ME, lambda found: found.ending_all_sessions(now), now
        )
    except InvalidToken:
        audit.record(AuditEvent(Audit.LOGOUT, "failure", ip=ip, reason="invalid_not_me_token"))
        raise
    sessions.delete_for_user(user.id)  # housekeeping; already unusable
    audit.record(AuditEvent(Audit.LOGOUT, user_id=user.id, ip=ip, reason="not_me"))
    queue_mail(queue, MailKind.RESET_PASSWORD, user)
