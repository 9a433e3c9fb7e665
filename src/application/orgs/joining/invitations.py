"""Invitations to an org: an admin invites an address with roles, a mail carries a single-use
link, and the person whose address it is joins (docs/reference/orgs.md, "Invitations").

The mail is a job, like the mail flows' (docs/decisions/0100-mail-through-jobs.md): the job
issues the token, stores its hash on the invitation and sends the mail, so the token exists
only in the mail. Accepting marks the invitation accepted by the person first, then adds the
membership (docs/decisions/0372-accepting-an-org-invitation.md).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from application.accounts.accounts import UserRepository, nothing_follows
from application.accounts.addresses import AddressRule
from application.mail.sending import MailingJob
from application.orgs.orgs import member_view
from application.orgs.ports import OrgInvitationRepository, OrgRepository
from application.ports import Audit, AuditEvent, AuditLog, Clock, Job, JobQueue
from application.signin.authentication import Actor
from domain.accounts.credentials import Email
from domain.accounts.users import User
from domain.errors import Conflict, DomainError, InvalidInput, NotFound
from domain.ids import new_id
from domain.link_tokens import InvalidToken, new_token, token_hash
from domain.orgs.invitations import OrgInvitation
from domain.orgs.orgs import Membership, Org, OrgRole, checked_roles, require
from domain.orgs.roles import Granter, Permission, check_grant

log = logging.getLogger("firegate.orgs")

SEND_ORG_INVITATION = "send_org_invitation"
MAIL_KIND = "org_invitation"  # the mail's template, and its kind in the metrics
LIST_MAX = 200  # the invitations an org's list shows


@dataclass(frozen=True)
class InviteToOrg:
    actor: Actor  # an admin of the org (an owner to invite an owner)
    org: str  # its id or slug
    email: str
    roles: object  # a list of role names, checked against the org's


@dataclass(frozen=True)
class OrgInvitations:
    actor: Actor
    org: str


@dataclass(frozen=True)
class RevokeOrgInvitation:
    actor: Actor
    org: str
    invitation_id: str


@dataclass(frozen=True)
class AcceptOrgInvitation:
    actor: Actor
    token: str


@dataclass(frozen=True)
class LookUpOrgInvitation:
    """What the join page shows of a link: ``actor`` None when no one is signed in."""

    actor: Actor | None
    token: str


@dataclass(frozen=True)
class Joined:
    org: Org
    membership: Membership


@dataclass(frozen=True)
class InvitationSeen:
    """The org a link invites to, and whether the signed-in person (if any) may accept it:
    ``refusal`` the code accepting would be refused with, or None."""

    org: Org
    email: str
    refusal: str | None


def _no_such_invitation() -> NotFound:
    return NotFound("No such invitation.", code="invitation_not_found")


@dataclass(frozen=True, kw_only=True, slots=True)
class Invitations:
    """An org's invitations: its admins invite, list and revoke; the person invited looks the
    link up and accepts it.

    ``queue``: where each invitation's mail goes (``InvitationMails``); ``ttl``: how long
    a link holds; ``proven``: what follows an address an accepted invitation proves;
    ``addresses``: the rule an invited address follows (the org's verified domains hold
    its special-use names)."""

    orgs: OrgRepository
    invitations: OrgInvitationRepository
    users: UserRepository
    queue: JobQueue
    clock: Clock
    audit: AuditLog
    ttl: timedelta
    addresses: AddressRule
    proven: Callable[[User], None] = nothing_follows

    def create(self, cmd: InviteToOrg) -> OrgInvitation:
        """A new invitation (replacing a pending one to the same address), its mail queued.
        An owner's invitation, made or replaced, only by an owner: replacing one ends it, as
        revoking does."""
        seen = member_view(cmd.actor, cmd.org, orgs=self.orgs, permission=Permission.MANAGE_MEMBERS)
        org, member = seen.org, seen.membership
        roles = checked_roles(cmd.roles, org.named_roles)
        if OrgRole.OWNER in roles:
            require(member.roles, Permission.MANAGE_OWNERS)
        check_grant(member.roles, roles, org.definitions)  # 403 permission_escalation
        invitation = OrgInvitation.create(
            org.id,
            self.addresses.new(cmd.email, org.id),
            roles,
            created_by=cmd.actor.user_id,
            now=self.clock.now(),
            ttl=self.ttl,
        )
        replaced = self.invitations.get(invitation.id)
        if replaced is not None and replaced.pending and OrgRole.OWNER in replaced.roles:
            require(member.roles, Permission.MANAGE_OWNERS)
        self.invitations.put(invitation)
        _enqueue(self.queue, InvitationMail(invitation.id, invitation.created_at, new_id()))
        self.audit.record(
            AuditEvent(Audit.ORG_INVITATION_CREATED, user_id=cmd.actor.user_id, org_id=org.id)
        )
        return invitation

    def list(self, cmd: OrgInvitations) -> list[OrgInvitation]:
        seen = member_view(cmd.actor, cmd.org, orgs=self.orgs, permission=Permission.MANAGE_MEMBERS)
        found = self.invitations.list_for(seen.org.id, LIST_MAX)
        return sorted(found, key=lambda invitation: (invitation.created_at, invitation.id))

    def revoke(self, cmd: RevokeOrgInvitation) -> None:
        """The invitation removed: its link stops working. An owner's only by an owner."""
        seen = member_view(cmd.actor, cmd.org, orgs=self.orgs, permission=Permission.MANAGE_MEMBERS)
        org, member = seen.org, seen.membership
        invitation = self.invitations.get(cmd.invitation_id)
        if invitation is None or invitation.org_id != org.id:
            raise _no_such_invitation()
        if OrgRole.OWNER in invitation.roles:
            require(member.roles, Permission.MANAGE_OWNERS)
        if not self.invitations.delete(invitation.id):
            raise _no_such_invitation()

    def look_up(self, cmd: LookUpOrgInvitation) -> InvitationSeen:
        """What the join page says of a link before anyone accepts it; 400 ``invalid_token``
        when it can never be accepted."""
        hashed, invitation, org = _invitation_of(cmd.token, self.invitations, self.orgs)
        refusal: str | None = None
        if cmd.actor is not None:
            user = _user_of(cmd.actor, self.users)
            try:
                invitation.check_address(user)
                invitation.accepted(user.id, hashed, self.clock.now())
            except DomainError as refused:  # shown on the page, not raised
                refusal = refused.code
        elif invitation.pending and self.clock.now() >= invitation.expires_at:
            raise InvalidToken()
        return InvitationSeen(org=org, email=invitation.email, refusal=refusal)

    def accept(self, cmd: AcceptOrgInvitation) -> Joined:
        """The signed-in person joins with the invitation's roles. The invitation is marked
        accepted by them first (409 ``invitation_used`` for anyone else), then the membership
        is added; accepting again, or in parallel, finds the membership made and answers
        it."""
        hashed, found, org = _invitation_of(cmd.token, self.invitations, self.orgs)
        user = _user_of(cmd.actor, self.users)
        found.check_address(user)
        now = self.clock.now()
        invitation = self.invitations.update(found.id, lambda it: it.accepted(user.id, hashed, now))
        proved = _prove_address(user, invitation, self.users, now)
        try:
            return _join(org, user, invitation, orgs=self.orgs, audit=self.audit, now=now)
        finally:
            if proved is not None:
                # After the invitation's membership: in its org, its roles hold, not
                # auto_join's.
                self.proven(proved)


@dataclass(frozen=True, kw_only=True, slots=True)
class OpenInvitations:
    """The accounts' ``InvitedAddresses``: whether an org's invitation to an address is
    open, which lets it sign up where sign-up is by invitation only."""

    invitations: OrgInvitationRepository
    clock: Clock

    def invited(self, email: Email) -> bool:
        now = self.clock.now()
        found = self.invitations.to_address(email.normalized, OPEN_READ)
        return any(invitation.open_at(now) for invitation in found)


OPEN_READ = 20  # the invitations to one address read (one per org that invited it)


def _invitation_of(
    token: str, invitations: OrgInvitationRepository, orgs: OrgRepository
) -> tuple[str, OrgInvitation, Org]:
    hashed = token_hash(token)
    invitation = invitations.by_token(hashed)
    org = orgs.get(invitation.org_id) if invitation is not None else None
    if invitation is None or org is None:
        raise InvalidToken()
    return hashed, invitation, org


def _user_of(actor: Actor, users: UserRepository) -> User:
    user = users.get(actor.user_id)
    if user is None or not user.active:
        raise InvalidToken()
    return user


def _prove_address(
    user: User, invitation: OrgInvitation, users: UserRepository, now: datetime
) -> User | None:
    """The token was mailed to the address: it proves it, as a verification link does
    (docs/decisions/0373-the-invitation-proves-the-address.md). The account, when this
    proved it; None when it was proven already."""
    if user.email_verified:
        return None
    unproven: list[bool] = []  # as each attempt of the update found the account

    def prove(current: User) -> User:
        unproven.append(not current.email_verified)
        return _proven(current, invitation, now)

    proved = users.update(user.id, prove)
    return proved if unproven[-1] else None


def _join(
    org: Org,
    user: User,
    invitation: OrgInvitation,
    *,
    orgs: OrgRepository,
    audit: AuditLog,
    now: datetime,
) -> Joined:
    # The membership is an org.member_added as any other, in its own commit.
    added = audit.stage(
        [AuditEvent(Audit.ORG_MEMBER_ADDED, user_id=user.id, org_id=org.id, reason="invitation")]
    )
    try:
        # Given with the inviter's rights as the commit reads them: an inviter demoted since
        # gives no more than they now may (403 ``permission_escalation``).
        granter = Granter.invitation(invitation.created_by)
        membership = orgs.add_member(org.id, user.id, invitation.roles, now, added, granter=granter)
    except InvalidInput as unknown:
        # A custom role it gives was removed from the org since: an admin invites again.
        raise Conflict(
            "This invitation gives a role the organization no longer has; ask for a new one.",
            code="invitation_outdated",
        ) from unknown
    except Conflict as taken:
        if taken.code != "already_member":
            raise
        existing = orgs.membership(org.id, user.id)
        if existing is None:  # removed again meanwhile: nothing to answer but a retry
            raise
        return Joined(org, existing)
    audit.committed(added)
    audit.record(AuditEvent(Audit.ORG_INVITATION_ACCEPTED, user_id=user.id, org_id=org.id))
    return Joined(org, membership)


def _proven(user: User, invitation: OrgInvitation, now: datetime) -> User:
    invitation.check_address(user)  # the address changed since: no proof of the new one
    return user if user.email_verified else user.with_email_verified(now)


@dataclass(frozen=True)
class InvitationMail:
    """The mail job of one invitation: ``created_at`` tells it from one that replaced it."""

    invitation_id: str
    created_at: datetime
    id: str

    def job(self) -> Job:
        fields = {
            "invitation": self.invitation_id,
            "at": self.created_at.isoformat(),
            "id": self.id,
        }
        return Job(kind=SEND_ORG_INVITATION, subject=json.dumps(fields, separators=(",", ":")))

    @classmethod
    def parse(cls, subject: str) -> InvitationMail | None:
        try:
            fields = json.loads(subject)
            return cls(
                str(fields["invitation"]), datetime.fromisoformat(fields["at"]), str(fields["id"])
            )
        except (ValueError, KeyError, TypeError):
            return None


def _enqueue(queue: JobQueue, mail: InvitationMail) -> None:
    try:
        queue.enqueue(mail.job())
    except Exception:  # a queue that cannot take it loses the mail, not the request
        log.exception("could not queue the mail of invitation %s", mail.invitation_id)


@dataclass(frozen=True, kw_only=True, slots=True)
class InvitationMails(MailingJob):
    """The SEND_ORG_INVITATION job (``send``): issue the link's token, render the mail, send
    it."""

    invitations: OrgInvitationRepository
    orgs: OrgRepository
    users: UserRepository
    clock: Clock

    def send(self, job: Job, final: bool) -> None:
        invitations, users, settings = self.invitations, self.users, self.settings
        mail_job = InvitationMail.parse(job.subject)
        invitation = invitations.get(mail_job.invitation_id) if mail_job is not None else None
        if mail_job is None or invitation is None or not invitation.pending:
            return  # unreadable, revoked, replaced (by another job's mail) or accepted
        org = self.orgs.get(invitation.org_id)
        inviter = users.get(invitation.created_by)
        if org is None or inviter is None:
            return
        token = new_token()
        try:
            invitation = invitations.update(
                invitation.id, _with_token(token_hash(token), mail_job.created_at)
            )
        except NotFound:
            return
        invitee = users.find_by_login(invitation.email)
        # An account's own address where one holds the invited address's key, else the address
        # as invited (docs/security.md, "One address, one account").
        to = (
            invitee.email.value
            if invitee is not None and invitee.email is not None
            else invitation.mailed_to
        )
        days_left = (invitation.expires_at - self.clock.now()) / timedelta(days=1)
        context = {
            "email": to,
            # The invitee's language where they have an account, else the inviter's.
            "locale": (invitee.locale if invitee is not None else None) or inviter.locale or "",
            "org": org.name,
            "inviter": inviter.name or inviter.shown_name,
            "link": f"{settings.public_url}/orgs/join?token={token}",
            "expires_days": str(max(1, round(days_left))),
        }
        what = f"the mail of org invitation {invitation.id}"
        self.mail(MAIL_KIND, to, context, final, what, org_id=org.id)


def _with_token(hashed: str, created_at: datetime) -> Callable[[OrgInvitation], OrgInvitation]:
    def change(invitation: OrgInvitation) -> OrgInvitation:
        return invitation.with_token(hashed, created_at)

    return change
