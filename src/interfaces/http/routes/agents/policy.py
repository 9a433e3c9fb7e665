"""An org's agent policy: which apps and agents may act for its members acting in it; its
owners read and set it (docs/reference/orgs.md, "Agent policy")."""

from __future__ import annotations

from flask import Blueprint, Response

from application.agents.policy import AgentPolicyQuery, OrgAgentPolicies, SetAgentPolicy
from application.signin.authentication import Actor
from interfaces.http.auth import authenticated, session_authenticated
from interfaces.http.openapi import doc
from interfaces.http.parsing import parse_json, parse_query
from interfaces.http.responses import json_response
from interfaces.http.routes.agents.schemas import AgentPolicyOut, AgentPolicyPut
from interfaces.http.schemas.common import NoQuery, Problem
from interfaces.shared.services import services

bp = Blueprint("org_agent_policy", __name__, url_prefix="/orgs")
TAGS = ("organizations",)


@bp.get("/<org>/agent-policy")
@doc(
    query=NoQuery, responses={200: AgentPolicyOut, 403: Problem, 404: Problem}, auth=True, tags=TAGS
)
@authenticated
def get_agent_policy(actor: Actor, org: str) -> Response:
    """The org's agent policy (owners): ``any`` where none was set."""
    parse_query(NoQuery)
    policy = services().of(OrgAgentPolicies).policy(AgentPolicyQuery(actor, org))
    return json_response(AgentPolicyOut.of(policy))


@bp.put("/<org>/agent-policy")
@doc(
    json=AgentPolicyPut,
    responses={200: AgentPolicyOut, 403: Problem, 404: Problem, 422: Problem},
    auth=True,
    tags=TAGS,
)
@session_authenticated
def put_agent_policy(actor: Actor, org: str) -> Response:
    """Set the org's agent policy (owners): ``any`` app, the apps of an ``allow_list`` of
    hosts, or ``none`` but the org's own. 422 ``invalid_agent_host``, ``too_many_agent_hosts``,
    ``invalid_agent_hosts``."""
    body = parse_json(AgentPolicyPut)
    policy = (
        services()
        .of(OrgAgentPolicies)
        .set_policy(SetAgentPolicy(actor, org, body.mode, body.hosts))
    )
    return json_response(AgentPolicyOut.of(policy))
