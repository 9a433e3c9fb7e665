"""The "this wasn't me" link a notification mail carries. Spending its token ends every
session of the account and mails a password reset to the account's address
(docs/pages.md, /not-me; docs/decisions/0171-not-me-link.md). A signed-in person does the
same from the account's recent activity, without a token
(docs/decisions/0174-not-me-when-signed-in.md)."""

from __future__ import annotations

from dataclasses import dataclass

from application.identity.accounts import UserRepository
from application.identity.authentication import Actor
from application.identity.sessions import SessionRepository
from application.mail.sending import ActionTokenRepository, MailKind, queue_mail
from application.ports import Audit, AuditEvent, AuditLog, Clock, JobQueue
from domain.action_tokens import InvalidToken, Purpose, token_hash


@dataclass(frozen=True)
class NotMe:
    """From a notice's link (``token``), or from the account page (``actor``, signed in):
    either way every session of the account ends, this one included."""

    token: str = ""
    client_ip: str = ""
    actor: Actor | None = None


def not_me(
    cmd: NotMe,
    *,
    action_tokens: ActionTokenRepository,
    users: UserRepository,
    sessions: SessionRepository,
    queue: JobQueue,
    clock: Clock,
    audit: AuditLog,
) -> bool:
    """Spend the token once and, in the same transaction, end every session of its account
    (for an ``actor``: of the actor's account, with no token); then queue a reset mail
    (under the link mails' sending limit). A token that is malformed, unknown, spent or
    expired changes nothing (InvalidToken, 400). True when a reset mail was queued (not for
    an account without an address, which only a signed-in actor can be)."""
    ip = cmd.client_ip or None
    now = clock.now()
    if cmd.actor is not None:
        user = users.update(cmd.actor.user_id, lambda found: found.ending_all_sessions(now))
    else:
        try:
            hashed = token_hash(cmd.token)
            user = action_tokens.spend(
                hashed, Purpose.NOT_ME, lambda found: found.ending_all_sessions(now), now
            )
        except InvalidToken:
            audit.record(AuditEvent(Audit.LOGOUT, "failure", ip=ip, reason="invalid_not_me_token"))
            raise
    sessions.delete_for_user(user.id)  # housekeeping; already unusable
    session_id = cmd.actor.session_id if cmd.actor is not None else None
    audit.record(
        AuditEvent(Audit.LOGOUT, user_id=user.id, session_id=session_id, ip=ip, reason="not_me")
    )
    if user.email is None:
        return False
    # From the mailed link, the reset goes out even past the link mails' limit: whoever has
    # the password could have spent it (asking for verification mails) to keep the owner
    # from choosing a new one. The link is single-use and only a notice carries one, so the
    # notices' limit bounds these. Signed in, the owner can change the password instead.
    queue_mail(queue, MailKind.RESET_PASSWORD, user, after_not_me=cmd.actor is None)
    return True
