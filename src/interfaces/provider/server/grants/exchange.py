"""Token exchange (RFC 8693) at the token endpoint, which Authlib has not: an Authlib grant
whose rules are domain/provider/token_exchange.py's; the subject token is read as
introspection reads it, and the exchanged one minted with the provider's other tokens
(application/provider/minting.py;
docs/reference/oauth.md, "Token exchange")."""

from __future__ import annotations

from typing import Any, ClassVar

from authlib.oauth2.rfc6749 import TokenEndpointMixin
from authlib.oauth2.rfc6749.errors import OAuth2Error, UnauthorizedClientError

from application.clients.clients import FindClient
from application.provider.authorization.consent import ConsentQuery
from application.provider.claims import Admission
from application.provider.minting import MintExchangedToken
from application.provider.tokens import GRANT_CLAIM, InspectToken
from domain.clients.oauth import scope_list, unusable_resource
from domain.provider.dpop import bound_key
from domain.provider.token_exchange import (
    GRANT_TYPE,
    Delegation,
    ExchangeRefused,
    ExchangeRequest,
    answer,
    check_chain,
    delegated,
    exchanged,
    issued_for,
    narrowed_scope,
)
from interfaces.provider.server.models.config import (
    CONFIDENTIAL_AUTH,
    InvalidTargetError,
    OAuthConfig,
)
from interfaces.provider.server.models.models import NOT_A_MEMBER, Client
from interfaces.provider.server.models.proofs import (
    InvalidDpopProofError,
    ProofOfPossession,
    spend_token_proof,
)
from interfaces.provider.server.models.scopes import check_resource_scopes, org_refusal, token_scope
from interfaces.shared.services import services

NOT_ALLOWED = (
    "This client may not exchange tokens: it is allowed with "
    "'clients create --confidential --grant token_exchange'."
)
TARGET_NOT_ALLOWED = (
    "The target is not one of this client's resources ('clients create --resource'): an "
    "exchange is only to a resource the client is allowed."
)
NOT_CONSENTED = (
    "The person has not let this app act at the target: an organization's app exchanges a "
    "token only for a resource the person consented to."
)
NOT_ISSUED_FOR_IT = "The subject token was not issued for this client or its resources."
NOT_LIVE = "The subject token is not valid: unknown, expired or revoked."
NOT_A_PERSONS = "The subject token is not a person's: a client's own token is not exchanged."
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
BOUND_SUBJECT = (
    "The subject token is DPoP-bound: exchanging it needs a DPoP proof of the exchanging "
    "client's own key, to which the new token is bound."
)


def _consented(subject: dict[str, Any], client: Client, target: str) -> bool:
    """Whether the person the subject token is about let this app act at ``target`` (their
    consent names it): what an org's app registered as its resources is its own word, not
    theirs (docs/decisions/0452-an-orgs-app-gets-what-the-operator-allows.md)."""
    query = ConsentQuery(str(subject.get("sub", "")), client.get_client_id(), "", target)
    return not services().provider.consent.consent_needed(query)


class _Refusal(OAuth2Error):  # type: ignore[misc]
    def __init__(self, error: str, description: str) -> None:
        super().__init__(description=description)
        self.error = error


def _agent(actor_token: str, subject: dict[str, Any]) -> tuple[str, str]:
    """The agent an ``actor_token`` is of, and the person's grant to it: a live access token
    of the subject's person, issued to an agent client from that person's grant, not from an
    exchange (docs/decisions/0551-what-makes-a-client-an-agent.md)."""
    state = services().provider.introspection.token_state(InspectToken(actor_token))
    if state is None or state.kind != "access_token" or not state.live:
        raise _Refusal("invalid_grant", ACTOR_NOT_LIVE)
    claims = state.claims
    grant_id = claims.get(GRANT_CLAIM)
    if not isinstance(grant_id, str) or claims.get("sub") != subject.get("sub"):
        raise _Refusal("invalid_grant", ACTOR_NOT_THE_PERSONS)
    if exchanged(claims):
        raise _Refusal("invalid_grant", ACTOR_EXCHANGED)
    agent_id = str(claims.get("client_id", ""))
    agent = services().clients.clients.client(FindClient(agent_id))
    if agent is None or not agent.agent:
        raise _Refusal("invalid_grant", ACTOR_NOT_AN_AGENT)
    return agent_id, grant_id


def _delegation(
    asked: ExchangeRequest, subject: dict[str, Any], client_id: str, issuer: str
) -> Delegation:
    """Who acts in the exchanged token: the agent of the ``actor_token``, else the client."""
    actor_id, agent_grant = client_id, None
    if asked.actor_token is not None:  # delegation: the agent acts, not the client
        actor_id, agent_grant = _agent(asked.actor_token, subject)
    try:
        return delegated(subject, actor_id, issuer, agent_grant)
    except ExchangeRefused as refused:
        raise _Refusal(refused.error, refused.description) from refused


class TokenExchangeGrant(ProofOfPossession, TokenEndpointMixin):  # type: ignore[misc]
    """RFC 8693 for confidential clients that opted in: a person's access token issued for
    the client, for one at another of the client's resources, no wider, with ``act`` (the
    client, or the agent of an ``actor_token``, within at most three actors, as the
    subject's ``may_act`` allows), never outliving the subject token. With a DPoP proof
    (RFC 9449 §5; required of a client registered so, and for a DPoP-bound subject token)
    the token is bound to its key."""

    GRANT_TYPE = GRANT_TYPE
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = list(CONFIDENTIAL_AUTH)

    def validate_token_request(self) -> None:
        client: Client = self.authenticate_token_endpoint_client()
        if not client.check_grant_type(self.GRANT_TYPE):
            raise UnauthorizedClientError(NOT_ALLOWED)
        try:
            asked = ExchangeRequest.parse(self.request.payload.datalist)
        except ExchangeRefused as refused:
            raise _Refusal(refused.error, refused.description) from refused
        config: OAuthConfig = self.server.config
        allowed = client.client.resources
        if unusable_resource(asked.target, config.forbidden_audiences) or (
            asked.target not in allowed
        ):
            raise InvalidTargetError(TARGET_NOT_ALLOWED)
        not_for_org = org_refusal(asked.target, client)
        if not_for_org is not None:
            raise InvalidTargetError(not_for_org)
        state = services().provider.introspection.token_state(InspectToken(asked.subject_token))
        if state is None or state.kind != "access_token" or not state.live:
            raise _Refusal("invalid_grant", NOT_LIVE)
        claims = state.claims
        if not isinstance(claims.get(GRANT_CLAIM), str):
            raise _Refusal("invalid_grant", NOT_A_PERSONS)
        if not issued_for(claims.get("aud"), client.get_client_id(), allowed):
            raise _Refusal("invalid_grant", NOT_ISSUED_FOR_IT)
        if client.client.org_id is not None and not _consented(claims, client, asked.target):
            raise _Refusal("invalid_grant", NOT_CONSENTED)
        person = Admission(client.client, str(claims.get("sub", "")))
        if not services().provider.accounts.admits(person):  # an app for its org's members only
            raise _Refusal("invalid_grant", NOT_A_MEMBER)
        delegation = _delegation(asked, claims, client.get_client_id(), config.issuer)
        try:
            check_chain(claims, client.get_client_id(), asked.target)
            scope = narrowed_scope(scope_list(str(claims.get("scope", ""))), asked.scope)
        except ExchangeRefused as refused:
            raise _Refusal(refused.error, refused.description) from refused
        # An API resource's scopes only at that resource, to a client allowed them: refused
        # when asked for, left out when inherited from the subject token
        if asked.scope is not None:
            check_resource_scopes(" ".join(scope), asked.target, client)
        scope = scope_list(token_scope(" ".join(scope), asked.target, client))
        if bound_key(claims) is not None and client.dpop is None:  # RFC 9449: kept bound
            raise InvalidDpopProofError(BOUND_SUBJECT)
        self.request.client = client
        self.exchange = (claims, asked.target, scope, delegation)

    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        subject, target, scope, delegation = self.exchange
        proof = self.request.client.dpop
        minted = services().provider.minting.mint_exchanged_token(
            MintExchangedToken(
                client_id=self.request.client.get_client_id(),
                subject=subject,
                target=target,
                scope=scope,
                jkt=proof.jkt if proof is not None else None,
                delegation=delegation,
            )
        )
        if minted is None:  # the subject's exp is now or past: nothing left to give
            raise _Refusal("invalid_grant", NOT_LIVE)
        if proof is not None:
            spend_token_proof(proof)
        token = answer(minted.token, minted.expires_in, scope)
        if proof is not None:
            token["token_type"] = "DPoP"
        return 200, token, self.TOKEN_RESPONSE_HEADER
