"""An org's agent policy: request and response bodies (docs/reference/orgs.md, "Agent
policy")."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from domain.signin.active_org import MAX_HOSTS, AgentPolicy
from interfaces.http.schemas.common import Schema, Strict

Mode = Literal["any", "allow_list", "none"]


class AgentPolicyPut(Strict):
    mode: Mode = Field(examples=["allow_list"])
    hosts: list[str] = Field(
        default_factory=list,
        max_length=MAX_HOSTS,
        examples=[["agent.example.com"]],
        description="Bare host names (allow_list only): no scheme, port, path or wildcard",
    )


class AgentPolicyOut(Schema):
    mode: Mode
    hosts: list[str] = Field(description="Lower case, IDNA A-labels, sorted")

    @classmethod
    def of(cls, policy: AgentPolicy) -> AgentPolicyOut:
        return cls(mode=policy.mode.value, hosts=list(policy.hosts))
