"""Invitations: an admin makes an account without a password; its owner sets one through
the mailed link (docs/reference/email.md)."""

from __future__ import annotations

from dataclasses import dataclass

from application.accounts.accounts import UserRepository
from application.accounts.addresses import AddressRule
from application.accounts.admin import parse_role, require_admin
from application.accounts.signups import SignUp, Signups, SignUpWay
from application.mail.sending import MailKind, queue_mail
from application.ports import (
    Audit,
    AuditEvent,
    AuditLog,
    Clock,
    JobQueue,
)
from application.signin.authentication import Actor
from domain.accounts.credentials import Username
from domain.accounts.users import Role, User
from domain.ids import new_id


@dataclass(frozen=True)
class Invite:
    """``username`` None: made from the address (docs/reference/email.md)."""

    actor: Actor  # an admin
    username: str | None
    email: str
    name: str | None = None
    last_name: str | None = None
    role: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class AccountInvitations:
    """An admin's invitation: an account without a password, whose owner sets one through
    the mailed link (an org's invitations are ``application/orgs/joining/invitations.py``'s).

    ``signups``: the door every new account passes (the operators make these: the domain
    lists and the operator's hook, not the mode)."""

    users: UserRepository
    queue: JobQueue
    clock: Clock
    audit: AuditLog
    addresses: AddressRule
    signups: Signups

    def invite(self, cmd: Invite) -> User:
        """An account without a password; its owner sets one through the invitation's link."""
        require_admin(cmd.actor)
        email = self.addresses.new(cmd.email)
        given = cmd.username if cmd.username is not None else Username.from_address(email)
        username = Username.chosen(given)
        role = parse_role(cmd.role) if cmd.role else Role.USER
        verdict = self.signups.admit(SignUp(SignUpWay.INVITATION, email, username=username.value))
        now = self.clock.now()
        user = User.register(
            id=new_id(),
            username=username,
            email=email,
            password_hash=None,
            now=now,
            admitted=verdict,
            name=cmd.name,
            last_name=cmd.last_name,
        )
        if role is not Role.USER:
            user = user.with_role(role, now)
        self.users.add(user)
        queue_mail(self.queue, MailKind.INVITATION, user)
        self.audit.record(AuditEvent(Audit.INVITATION, user_id=user.id, actor_id=cmd.actor.user_id))
        return user
