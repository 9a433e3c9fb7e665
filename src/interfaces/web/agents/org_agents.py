"""The Agents section of an organization's page (docs/pages.md, "Organizations";
docs/reference/orgs.md, "Agent policy"): which apps and agents may act for the org's members
acting in it, for its owners, as ``PUT /orgs/{org}/agent-policy``'s use case
(``services().of(OrgAgentPolicies)``); a refused host shows the section again with the API's
message beside the field. The agents unit's pages hand ``AGENTS`` to the org's page
(bootstrap/agents.py, ``ORG_SECTIONS``)."""

from __future__ import annotations

from flask import Response
from flask_babel import lazy_gettext

from application.agents.policy import AgentPolicyQuery, OrgAgentPolicies, SetAgentPolicy
from application.signin.authentication import Actor
from domain.orgs.roles import Permission
from interfaces.shared.services import services
from interfaces.web.accounts.account import signed_in
from interfaces.web.forms import field
from interfaces.web.orgs.org import OrgSection, done, listed, org_form
from interfaces.web.rendering import bp


def _policy(actor: Actor, org: str) -> dict[str, object]:
    return {"policy": services().of(OrgAgentPolicies).policy(AgentPolicyQuery(actor, org))}


AGENTS = OrgSection(
    "agents",
    "agents/org_agents.html",
    _policy,
    lazy_gettext("Agents"),
    Permission.MANAGE_OWNERS,
)


@bp.post("/account/orgs/<org>/agents")
@signed_in
@org_form("agents", AGENTS)
def save_agent_policy(actor: Actor, org: str) -> Response:
    """The mode chosen and, for an allow list, the hosts typed (one a line, or separated by
    commas or spaces; ignored with another mode)."""
    mode = field("mode")
    hosts = listed(field("hosts", required=False)) if mode == "allow_list" else []
    services().of(OrgAgentPolicies).set_policy(SetAgentPolicy(actor, org, mode, hosts))
    return done("agent-policy", AGENTS, org)
