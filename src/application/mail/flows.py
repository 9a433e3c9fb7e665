"""The e-mail flows, one module each (docs/reference/email.md): the mail job (``sending``),
address verification and the mails that follow an account's changes (here), password
recovery (``password_reset``), invitations (``invitations``) and the "not me" link
(``not_me``)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from application.accounts.accounts import UserRepository, nothing_follows
from application.accounts.address_proof import FirstProof
from application.accounts.admin import target_of
from application.mail.sending import (
    ActionTokenRepository,
    MailKind,
    queue_mail,
)
from application.ports import (
    Audit,
    AuditEvent,
    AuditLog,
    Clock,
    JobQueue,
)
from application.signin.authentication import Actor
from domain.accounts.identities import IdentityLink, made_unproven_by
from domain.accounts.users import User
from domain.errors import Conflict
from domain.link_tokens import InvalidToken, token_hash
from domain.mail.action_tokens import ActionToken, Purpose
from domain.signin.mfa import FEDERATED

log = logging.getLogger("firegate.mail")


@dataclass(frozen=True)
class RequestVerification:
    """``user_id``: another account's, whose address an admin asks to verify (/admin)."""

    actor: Actor
    user_id: str | None = None


@dataclass(frozen=True)
class VerifyEmail:
    token: str
    client_ip: str = ""  # for the audit record
    # Who opens the link, when signed in (the page's browser session; None: nobody). An
    # account a non-verifying provider's sign-in made stays that identity's only when its
    # link is opened signed in to it through an identity
    # (docs/decisions/0335-a-non-verifying-providers-account-and-the-first-proof.md).
    signed_in: Actor | None = None


@dataclass(frozen=True)
class Verified:
    user: User
    # The proof took the account from the identity whose sign-in made it (and from what was
    # set up through it): the account has no way in until a password is chosen.
    claimed: bool = False


class ProofIdentities(Protocol):
    """The identity links a proof of an address reads and removes."""

    def list_for(self, user_id: str) -> list[IdentityLink]:
        """The identities linked to the user, oldest link first."""
        ...

    def delete_owned_by(self, user_id: str, batch_size: int) -> None:
        """Remove every identity link to the user (idempotent)."""
        ...


def _through_an_identity(actor: Actor | None, user_id: str) -> bool:
    """Is the person signed in to this account through an identity linked to it? A session
    records how it began (``amr``), not through which identity; on an account whose address
    is unproven every identity was linked by whoever holds it (decision 0335)."""
    return actor is not None and actor.user_id == user_id and FEDERATED in actor.amr


@dataclass(frozen=True, kw_only=True, slots=True)
class EmailVerification:
    """Address verification: the mail asked for, and the proof of the address its link
    gives. ``first_proof``: what the first proof of an address removes from an account a
    non-verifying provider's sign-in made; ``proven``: what follows an address a mailed link
    proves (an org's auto_join)."""

    users: UserRepository
    identities: ProofIdentities
    first_proof: FirstProof
    action_tokens: ActionTokenRepository
    queue: JobQueue
    clock: Clock
    audit: AuditLog
    proven: Callable[[User], None] = nothing_follows

    def request_verification(self, cmd: RequestVerification) -> None:
        actor = cmd.actor
        if cmd.user_id is None or cmd.user_id == actor.user_id:
            user, actor_id = self.users.get(actor.user_id), None
            if user is None or not user.active:
                raise InvalidToken()
        else:
            user, actor_id = target_of(actor, cmd.user_id, self.users), actor.user_id
            if user.disabled:  # the mail job sends nothing to a disabled account
                raise Conflict("The account is disabled; enable it first.", code="user_disabled")
        if user.email is None:
            raise Conflict("The account has no e-mail address to verify.", code="no_email")
        queue_mail(self.queue, MailKind.VERIFY_EMAIL, user)
        self.audit.record(
            AuditEvent(Audit.EMAIL_VERIFICATION_REQUESTED, user_id=user.id, actor_id=actor_id)
        )

    def verify(self, cmd: VerifyEmail) -> Verified:
        """The address proven; ``proven`` follows when it was not before (an org's
        auto_join). The first proof of it wins, as a verified provider's does (rule 4 of
        docs/reference/identities.md): an account a non-verifying provider's sign-in made is
        claimed by whoever proves its address without being signed in through an identity,
        and loses what was set up through that sign-in (its links, password, passkeys,
        authenticator, sessions and the apps it allowed)."""
        hashed, ip = token_hash(cmd.token), cmd.client_ip or None
        now = self.clock.now()
        squatter = self._taken_from(cmd, self.action_tokens.get(hashed), now)
        if squatter is not None:
            # Before the spend, so that no crash leaves them to the account's earlier holder.
            self.first_proof.start_clean(squatter.user_id)
        claimed: list[User] = []
        found: list[User] = []  # the account as each attempt of the spend found it

        def change(user: User) -> User:
            found.append(user)
            if squatter is not None and not user.email_verified:
                claimed.append(user)
                return user.claimed(now)
            return user.with_email_verified(now)

        audit = self.audit
        try:
            user = self.action_tokens.spend(hashed, Purpose.VERIFY_EMAIL, change, now)
        except InvalidToken:
            audit.record(AuditEvent(Audit.EMAIL_VERIFIED, "failure", ip=ip, reason="invalid_token"))
            raise
        audit.record(AuditEvent(Audit.EMAIL_VERIFIED, user_id=user.id, ip=ip))
        if found and not found[-1].email_verified:
            self.proven(user)
        if squatter is not None and claimed:
            # Again, for what the sessions the claim ended added meanwhile.
            self.first_proof.start_clean(user.id)
            audit.record(
                AuditEvent(Audit.IDENTITY_UNLINKED, user_id=user.id, reason=squatter.provider)
            )
            self.first_proof.claimed(user.id, reason="email_verification", ip=ip)
        return Verified(user, claimed=bool(claimed))

    def _taken_from(
        self, cmd: VerifyEmail, found: ActionToken | None, now: datetime
    ) -> IdentityLink | None:
        """The link whose sign-in made the token's account unproven, when this proof of its
        address takes the account from it: the token is good, and whoever opens it is not
        signed in to the account through an identity."""
        if found is None:
            return None
        holder = self.users.get(found.user_id)
        try:
            found.check(Purpose.VERIFY_EMAIL, holder, now, latest=None)
        except InvalidToken:
            return None
        if holder is None or _through_an_identity(cmd.signed_in, holder.id):
            return None
        return made_unproven_by(self.identities.list_for(holder.id), holder)


@dataclass(frozen=True, kw_only=True, slots=True)
class MailsAfterChanges:
    """The mails that follow a stored change of an account: the mail flows' part of
    ``AccountHooks`` (its ``registered``, ``registered_with`` and ``changed``)."""

    queue: JobQueue
    audit: AuditLog

    def registered(self, user: User) -> None:
        """A new account with an address gets a verification mail."""
        self._verification_mail(user, None)

    def registered_with(self, user: User, provider: str) -> None:
        """The same, for an account made by signing in with ``provider`` (its name), which
        the mail names."""
        self._verification_mail(user, provider)

    def _verification_mail(self, user: User, provider: str | None) -> None:
        if user.email is not None:
            queue_mail(self.queue, MailKind.VERIFY_EMAIL, user, provider=provider)

    def changed(self, before: User, after: User) -> None:
        """A new address gets a verification mail, the old one a notice without a link."""
        if after.email is None or (
            before.email is not None and before.email.normalized == after.email.normalized
        ):
            return
        queue_mail(self.queue, MailKind.VERIFY_EMAIL, after)
        if before.email is not None:
            queue_mail(
                self.queue,
                MailKind.ADDRESS_CHANGED,
                after,
                old_email=before.email.value,
                old_verified=before.email_verified,
            )
        self.audit.record(AuditEvent(Audit.EMAIL_CHANGE, user_id=after.id))
