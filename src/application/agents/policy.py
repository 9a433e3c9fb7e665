"""An org's agent policy, as its owners read and set it (``GET`` and ``PUT
/orgs/{org}/agent-policy``; docs/reference/orgs.md, "Agent policy"): the agents unit's door to
it. The policy is the org's (``Org.agent_policy``) and the provider enforces it on every grant
that acts in the org (application/provider/claims.py, ``admission_refusal``;
docs/decisions/0548-an-orgs-agent-policy.md, 0770-what-the-agents-unit-is.md)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from application.orgs.orgs import member_view
from application.orgs.ports import OrgRepository
from application.ports import Audit, AuditEvent, AuditLog, Clock
from application.signin.authentication import Actor
from domain.orgs.roles import Permission
from domain.signin.active_org import AgentPolicy

# The audit log's ``org.updated`` names what changed by this word
AGENT_POLICY = "agent_policy"


@dataclass(frozen=True)
class AgentPolicyQuery:
    actor: Actor
    org: str  # an id or a slug


@dataclass(frozen=True)
class SetAgentPolicy:
    actor: Actor
    org: str
    mode: object  # as sent: checked by ``AgentPolicy.checked``
    hosts: object


@dataclass(frozen=True, kw_only=True, slots=True)
class OrgAgentPolicies:
    """The org's agent policy, its owners' alone (it decides what acts for every member,
    owners among them): 404 ``org_not_found`` for a non-member, 403
    ``org_permission_denied`` for a member who is no owner. ``local``: the local profile,
    whose policies may name the loopback hosts it fetches client metadata documents from."""

    orgs: OrgRepository
    clock: Clock
    audit: AuditLog
    local: bool = False

    def policy(self, query: AgentPolicyQuery) -> AgentPolicy:
        seen = member_view(
            query.actor, query.org, orgs=self.orgs, permission=Permission.MANAGE_OWNERS
        )
        return seen.org.agent_policy

    def set_policy(self, cmd: SetAgentPolicy) -> AgentPolicy:
        """Replace the policy (422 before any write), with ``org.updated`` naming it in the
        same commit; what it refuses is refused from the next request on."""
        seen = member_view(cmd.actor, cmd.org, orgs=self.orgs, permission=Permission.MANAGE_OWNERS)
        policy = AgentPolicy.checked(cmd.mode, cmd.hosts, local=self.local)
        now = self.clock.now()
        event = AuditEvent(
            Audit.ORG_UPDATED, user_id=cmd.actor.user_id, org_id=seen.org.id, reason=AGENT_POLICY
        )
        staged = self.audit.stage([event])
        org = self.orgs.update(
            seen.org.id, lambda org: replace(org, agent_policy=policy, updated_at=now), staged
        )
        self.audit.committed(staged)
        return org.agent_policy
