"""Support access in an organization: its owner or admin acts as one of its members
(docs/support-access.md, "In an organization")."""

from __future__ import annotations

from dataclasses import dataclass

from application.accounts.accounts import UserRepository as Users
from application.orgs.orgs import member_view
from application.orgs.ports import OrgRepository
from application.signin.authentication import Actor
from application.signin.tokens import TokenPair
from application.support_access.impersonation import Impersonation
from domain.errors import NotFound
from domain.ids import is_id
from domain.support_access.impersonation import Grant


@dataclass(frozen=True)
class ImpersonateMember:
    actor: Actor
    org: str  # an id or a slug
    user_id: str
    grant: Grant
    user_agent: str = ""


def _no_member() -> NotFound:
    return NotFound("No such member of this organization.", code="member_not_found")


@dataclass(frozen=True, kw_only=True, slots=True)
class OrgSupportAccess:
    orgs: OrgRepository
    users: Users
    impersonation: Impersonation  # sign-in's: the rule of who may act as whom, the session

    def impersonate(self, cmd: ImpersonateMember) -> TokenPair:
        """A session of the member for ``grant.minutes``, its tokens naming the caller in
        ``act``: 404 unless both are members, 403 as ``Org.check_impersonation`` says."""
        seen = member_view(cmd.actor, cmd.org, orgs=self.orgs)
        org = seen.org
        membership = self.orgs.membership(org.id, cmd.user_id) if is_id(cmd.user_id) else None
        person = self.users.get(cmd.user_id) if membership is not None else None
        if membership is None or person is None or person.deleted_at is not None:
            raise _no_member()
        org.check_impersonation(seen.membership.roles, membership.roles)
        return self.impersonation.start(
            person, by=cmd.actor, grant=cmd.grant, user_agent=cmd.user_agent, org_id=org.id
        )
