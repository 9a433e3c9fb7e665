"""Support access: an admin acts as a person in a session of their own, time-boxed, whose
tokens name the admin in ``act`` (docs/support-access.md)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from application.accounts.accounts import UserRepository as Users
from application.accounts.admin import target_of
from application.ports import Audit, AuditEvent, AuditLog, Clock
from application.signin.authentication import Actor
from application.signin.ports import NO_TOKEN_HOOK, TokenHook, TokenIssuer
from application.signin.sessions import SessionRepository
from application.signin.sign_in import start_session
from application.signin.tokens import TokenPair, TokenPolicy
from domain.accounts.users import User
from domain.errors import Conflict
from domain.ids import new_id
from domain.signin.sessions import Acting
from domain.support_access.impersonation import Grant, check_may_impersonate

IMPERSONATION_AMR = ("imp",)  # not an RFC 8176 value: no credential of the person was shown


@dataclass(frozen=True)
class Impersonate:
    """An admin asks to act as the account ``user_id``, for ``grant.minutes``."""

    actor: Actor
    user_id: str
    grant: Grant
    user_agent: str = ""


@dataclass(frozen=True)
class EndImpersonation:
    actor: Actor


def _both_accounts(
    event: Audit,
    *,
    person_id: str,
    admin_id: str,
    org_id: str | None,
    session_id: str,
    grant: Grant | None = None,
) -> list[AuditEvent]:
    """One event on the person's account, the admin its actor, in the org's log where an
    org's admin acts; and the admin's own record of it, naming the person, in no org's log
    (docs/reference/events.md). The start's carry the reason and the minutes."""
    reason = grant.reason if grant is not None else None
    minutes = grant.minutes if grant is not None else None
    person = AuditEvent(
        event,
        user_id=person_id,
        actor_id=admin_id,
        org_id=org_id,
        session_id=session_id,
        reason=reason,
        minutes=minutes,
    )
    return [
        person,
        replace(person, user_id=admin_id, actor_id=None, org_id=None, subject_id=person_id),
    ]


@dataclass(frozen=True, kw_only=True, slots=True)
class Impersonation:
    """Starting and ending support access. ``start`` is the one step both ways in take (an
    admin's, and an org admin's through orgs): the rule of who may act as whom, the
    session, its events."""

    users: Users
    sessions: SessionRepository
    tokens: TokenIssuer
    clock: Clock
    policy: TokenPolicy
    audit: AuditLog
    hook: TokenHook = NO_TOKEN_HOOK

    def by_admin(self, cmd: Impersonate) -> TokenPair:
        """An admin's (403 ``admin_required`` for anyone else; 404 for no such account)."""
        person = target_of(cmd.actor, cmd.user_id, self.users)
        return self.start(person, by=cmd.actor, grant=cmd.grant, user_agent=cmd.user_agent)

    def start(
        self,
        person: User,
        *,
        by: Actor,
        grant: Grant,
        user_agent: str = "",
        org_id: str | None = None,
    ) -> TokenPair:
        """A new session of ``person`` for ``grant.minutes``, acted in by ``by``; the event
        on both accounts is written in the session's commit (the mail to the person follows
        from it)."""
        check_may_impersonate(
            by_id=by.user_id, by_impersonated=by.acting_admin_id is not None, person=person
        )
        session_id = new_id()
        records = _both_accounts(
            Audit.IMPERSONATION_STARTED,
            person_id=person.id,
            admin_id=by.user_id,
            org_id=org_id,
            session_id=session_id,
            grant=grant,
        )
        staged = self.audit.stage(records)
        pair = start_session(
            person,
            user_agent=user_agent,
            sessions=self.sessions,
            tokens=self.tokens,
            clock=self.clock,
            policy=self.policy,
            amr=IMPERSONATION_AMR,
            session_id=session_id,
            staged=staged,
            hook=self.hook,
            lifetime=grant.lifetime,
            acting=Acting(by.user_id, by.username, org_id),
        )
        self.audit.committed(staged)
        return pair

    def end(self, cmd: EndImpersonation) -> None:
        """End the caller's session of support access, recorded on both accounts and, where
        an org's admin began it, in the org's log; 409 ``not_impersonating`` for a person's
        own session."""
        actor, session = cmd.actor, cmd.actor.session
        if actor.acting_admin_id is None or session is None:
            raise Conflict("This session is the person's own.", code="not_impersonating")
        self.sessions.delete(actor.session_id)
        for event in _both_accounts(
            Audit.IMPERSONATION_ENDED,
            person_id=actor.user_id,
            admin_id=actor.acting_admin_id,
            org_id=session.acting_org_id,
            session_id=actor.session_id,
        ):
            self.audit.record(event)
