"""The "this wasn't me" link a notification mail carries. Spending its token ends every
session of the account and mails a password reset to the account's address
(docs/pages.md, /not-me; docs/decisions/0171-not-me-link.md). The link of a notice that a way
in was added (a passkey, a provider, an authenticator, a first password) removes that way in
too (docs/security.md, "A new way in"). A signed-in person does the same from the account's
recent activity, without a token (docs/decisions/0174-not-me-when-signed-in.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from application.accounts.accounts import UserRepository
from application.accounts.ways_in import IdentityRepository
from application.mail.sending import ActionTokenRepository, MailKind, queue_mail
from application.ports import Audit, AuditEvent, AuditLog, Clock, JobQueue
from application.signin.authentication import Actor
from application.signin.factors.passkeys import PasskeyRepository
from application.signin.mfa import MfaRepository
from application.signin.sessions import SessionRepository
from domain.accounts.identities import IdentityLink, PhoneNumber
from domain.accounts.users import User
from domain.link_tokens import InvalidToken, token_hash
from domain.mail.action_tokens import Purpose, password_fingerprint
from domain.ways_in import WayIn


@dataclass(frozen=True)
class NotMe:
    """From a notice's link (``token``), or from the account page (``actor``, signed in):
    either way every session of the account ends, this one included."""

    token: str = ""
    client_ip: str = ""
    actor: Actor | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class NotMeLinks:
    """The "this wasn't me" link, and its signed-in twin on the account page. ``passkeys``,
    ``identities`` and ``factors``: where the ways in that a notice's link removes are kept."""

    users: UserRepository
    action_tokens: ActionTokenRepository
    sessions: SessionRepository
    passkeys: PasskeyRepository
    identities: IdentityRepository
    factors: MfaRepository
    queue: JobQueue
    clock: Clock
    audit: AuditLog

    def not_me(self, cmd: NotMe) -> bool:
        """Spend the token once and, in the same commit, end every session of its
        account (for an ``actor``: of the actor's account, with no token); then queue a reset
        mail (under the link mails' sending limit). A token that is malformed, unknown, spent
        or expired changes nothing (InvalidToken, 400). The way in a notice's token names
        goes too (a first password in the same commit). True when a reset mail was queued
        (not for an account without an address, which only a signed-in actor can be)."""
        ip = cmd.client_ip or None
        now = self.clock.now()
        added: WayIn | None = None
        if cmd.actor is not None:
            user = self.users.update(
                cmd.actor.user_id, lambda found: found.ending_all_sessions(now)
            )
        else:
            try:
                hashed = token_hash(cmd.token)
                record = self.action_tokens.get(hashed)
                added = WayIn.of_key(record.undo) if record is not None and record.undo else None
                set_password = record.password if record is not None else ""

                def change(found: User) -> User:
                    ended = found.ending_all_sessions(now)
                    # Only the password the notice told of: not one set since by its owner.
                    told = password_fingerprint(found) == set_password
                    if added is not None and added.kind == WayIn.PASSWORD and told:
                        return ended.without_password(now)
                    return ended

                user = self.action_tokens.spend(hashed, Purpose.NOT_ME, change, now)
            except InvalidToken:
                self.audit.record(
                    AuditEvent(Audit.LOGOUT, "failure", ip=ip, reason="invalid_not_me_token")
                )
                raise
        if added is not None:
            self._remove_way_in(user.id, added, now)
        self.sessions.delete_for_user(user.id)  # housekeeping; already unusable
        session_id = cmd.actor.session_id if cmd.actor is not None else None
        self.audit.record(
            AuditEvent(Audit.LOGOUT, user_id=user.id, session_id=session_id, ip=ip, reason="not_me")
        )
        if user.email is None:
            return False
        # From the mailed link, the reset goes out even past the link mails' limit: whoever
        # has the password could have spent it (asking for verification mails) to keep the
        # owner from choosing a new one. The link is single-use and only a notice carries
        # one, so the notices' limit bounds these. Signed in, the owner can change the
        # password instead.
        queue_mail(self.queue, MailKind.RESET_PASSWORD, user, after_not_me=cmd.actor is None)
        return True

    def _remove_way_in(self, user_id: str, added: WayIn, now: datetime) -> None:
        """Remove ``added`` from the account, if it is still there: the passkey, the link of
        that provider and subject, the authenticator, or the number with its claim (a first
        password goes with the token's own commit). Nothing keeps a last way in here: the
        reset mail that follows gives the owner a password."""
        if added.kind == WayIn.PASSKEY:
            found = self.passkeys.get(added.ref)
            if found is not None and found.user_id == user_id:
                self.passkeys.delete(found.id)
        elif added.kind == WayIn.IDENTITY:
            provider, subject = added.identity_of()

            def going(_: User, links: list[IdentityLink]) -> list[IdentityLink]:
                return [x for x in links if x.provider == provider and x.subject == subject]

            self.identities.unlink(user_id, going, now)
        elif added.kind == WayIn.TOTP:
            self.factors.delete(user_id)
        elif added.kind == WayIn.PHONE:  # the number told of, not one proven since

            def without(user: User) -> User:
                told = user.part(PhoneNumber).number == added.ref
                return user.with_part(PhoneNumber(), now) if told else user

            self.users.update(user_id, without)
