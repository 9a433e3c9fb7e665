"""Delegation through an agent's ``actor_token`` (RFC 8693 §2.1, its type an access token), the
agents unit's actor token type (``ACTOR_TOKEN_TYPES``, application/provider/slots.py): the
agent acts for the person in the exchanged token, outermost in its ``act`` chain, with the
person's grant to it, which must hold for the token to (docs/agents-and-clis.md, "Agents
acting for agents: act chains"; docs/decisions/0551-what-makes-a-client-an-agent.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from application.clients.clients import FindClient
from application.clients.services import ClientServices
from application.provider.services import ProviderServices
from application.provider.tokens import GRANT_CLAIM, InspectToken
from domain.provider.token_exchange import ExchangeRefused, exchanged
from interfaces.shared.services import services

ACTOR_NOT_LIVE = "The actor_token is not valid: unknown, expired or revoked."
ACTOR_NOT_AN_AGENT = (
    "The actor_token was not issued to an agent: an agent is registered with "
    "'clients create --agent'."
)
ACTOR_NOT_THE_PERSONS = (
    "The actor_token is not the same person's: an agent acts for a person with the grant "
    "that person gave it."
)
ACTOR_EXCHANGED = "The actor_token is from an exchange: an agent acts with its own token."


def _agent(actor_token: str, subject: Mapping[str, Any]) -> tuple[str, str]:
    """The agent an ``actor_token`` is of, and the person's grant to it: a live access token
    of the subject's person, issued to an agent client from that person's grant, not from an
    exchange (docs/decisions/0551-what-makes-a-client-an-agent.md)."""
    state = services().of(ProviderServices).introspection.token_state(InspectToken(actor_token))
    if state is None or state.kind != "access_token" or not state.live:
        raise ExchangeRefused("invalid_grant", ACTOR_NOT_LIVE)
    claims = state.claims
    grant_id = claims.get(GRANT_CLAIM)
    if not isinstance(grant_id, str) or claims.get("sub") != subject.get("sub"):
        raise ExchangeRefused("invalid_grant", ACTOR_NOT_THE_PERSONS)
    if exchanged(claims):
        raise ExchangeRefused("invalid_grant", ACTOR_EXCHANGED)
    agent_id = str(claims.get("client_id", ""))
    agent = services().of(ClientServices).clients.client(FindClient(agent_id))
    if agent is None or not agent.agent:
        raise ExchangeRefused("invalid_grant", ACTOR_NOT_AN_AGENT)
    return agent_id, grant_id


class AgentActor:
    """``actor_token_type`` access token: an agent's own token of the subject's person."""

    def actor(self, actor_token: str, subject: Mapping[str, Any]) -> tuple[str, str]:
        return _agent(actor_token, subject)
