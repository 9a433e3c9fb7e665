"""What a security event taken does to a firegate account (docs/reference/ssf-receiver.md):
every session ends as at the person's "sign out everywhere" (the account's token version
moves on: its refresh and access tokens, and its Firebase access, end at the next read),
or the account is disabled as an org's directory disables one it manages."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from application.accounts.accounts import UserRepository as Users
from application.accounts.admin import DisableAccount, set_disabled_by_id
from application.ports import Audit, AuditEvent, AuditLog, Clock
from application.signin.sessions import SessionRepository, end_every_session
from domain.errors import DomainError

log = logging.getLogger("firegate.ssf")

SSF = "ssf"  # the audit events' reason and ``via``


@dataclass(frozen=True, kw_only=True, slots=True)
class Effects:
    users: Users
    sessions: SessionRepository
    clock: Clock
    audit: AuditLog

    def end_sessions(self, user_id: str, org_id: str | None) -> None:
        """Every session of the account ends at once; a ``logout`` event (reason ``ssf``)."""
        try:
            end_every_session(user_id, users=self.users, sessions=self.sessions, clock=self.clock)
        except DomainError as gone:  # deleted meanwhile: nothing left to end
            log.warning("ssf: no account to sign out (%s)", gone.code)
            return
        self.audit.record(
            AuditEvent(Audit.LOGOUT, user_id=user_id, reason=SSF, org_id=org_id, via=SSF)
        )

    def disable(self, user_id: str, org_id: str | None) -> None:
        """The account disabled (its sessions, grants, tokens and Firebase access end in the
        same commit), recorded as the admins' disabling is, ``via`` ``ssf``."""
        set_disabled_by_id(
            DisableAccount(user_id, True, reason=SSF, org_id=org_id, via=SSF),
            users=self.users,
            clock=self.clock,
            audit=self.audit,
        )
