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
from application.clients.services import ClientServices
from application.provider.authorization.consent import ConsentQuery
from application.provider.claims import Admission
from application.provider.minting import MintExchangedToken, MintIdJag
from application.provider.services import ProviderServices
from application.provider.tokens import GRANT_CLAIM, InspectToken
from domain.clients.oauth import SCOPES, scope_list, unusable_resource
from domain.provider.dpop import bound_key
from domain.provider.token_exchange import (
    GRANT_TYPE,
    ID_JAG,
    Delegation,
    ExchangeRefused,
    ExchangeRequest,
    IdJagRequest,
    answer,
    check_chain,
    delegated,
    exchanged,
    id_jag_answer,
    id_token_for,
    issued_for,
    narrowed_scope,
    requested_type,
)
from domain.signin.acr import acr_of, methods
from interfaces.provider.server.models.config import (
    CONFIDENTIAL_AUTH,
    InvalidTargetError,
    OAuthConfig,
)
from interfaces.provider.server.models.models import REFUSALS, Client, org_of
from interfaces.provider.server.models.proofs import (
    InvalidDpopProofError,
    ProofOfPossession,
    spend_token_proof,
)
from interfaces.provider.server.models.scopes import (
    check_acr,
    check_resource_scopes,
    org_refusal,
    token_scope,
)
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
NOT_A_RESOURCE = (
    "The 'resource' is not a registered API resource this client may have: an ID-JAG is "
    "minted for one only."
)
NOT_ITS_ISSUER = (
    "The 'audience' is not the issuer of the resource's authorization server (this server's "
    "own, or the one registered with the resource)."
)
NOT_AN_ID_TOKEN = (
    "The subject token is not a valid ID token this server issued: unknown or expired."
)
NOT_ITS_ID_TOKEN = "The subject ID token was not issued to this client."
SIGN_IN_ENDED = (
    "The sign-in of the subject ID token has ended: the person signed out everywhere or "
    "removed the app, the account is disabled, or its session of support access is over."
)
NO_ORG = (
    "The ID token names no organization the person is a member of: an ID-JAG is minted only "
    "for a person acting in an organization whose agent policy names this client (sign in "
    "with scope organization)."
)
NOT_NAMED = (
    "The organization's agent policy does not name this client: an ID-JAG is minted only for "
    "an app whose every host its allow list names."
)
RESOURCE_SCOPES_ONLY = "An ID-JAG carries the resource's scopes only."
NO_SCOPE_LEFT = "No scope of the resource is left for this client and this person."
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
    return not services().of(ProviderServices).consent.consent_needed(query)


class _Refusal(OAuth2Error):  # type: ignore[misc]
    def __init__(self, error: str, description: str) -> None:
        super().__init__(description=description)
        self.error = error


def _agent(actor_token: str, subject: dict[str, Any]) -> tuple[str, str]:
    """The agent an ``actor_token`` is of, and the person's grant to it: a live access token
    of the subject's person, issued to an agent client from that person's grant, not from an
    exchange (docs/decisions/0551-what-makes-a-client-an-agent.md)."""
    state = services().of(ProviderServices).introspection.token_state(InspectToken(actor_token))
    if state is None or state.kind != "access_token" or not state.live:
        raise _Refusal("invalid_grant", ACTOR_NOT_LIVE)
    claims = state.claims
    grant_id = claims.get(GRANT_CLAIM)
    if not isinstance(grant_id, str) or claims.get("sub") != subject.get("sub"):
        raise _Refusal("invalid_grant", ACTOR_NOT_THE_PERSONS)
    if exchanged(claims):
        raise _Refusal("invalid_grant", ACTOR_EXCHANGED)
    agent_id = str(claims.get("client_id", ""))
    agent = services().of(ClientServices).clients.client(FindClient(agent_id))
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

    minting: MintIdJag | None = None  # an ID-JAG's request, once checked

    def validate_token_request(self) -> None:
        client: Client = self.authenticate_token_endpoint_client()
        if not client.check_grant_type(self.GRANT_TYPE):
            raise UnauthorizedClientError(NOT_ALLOWED)
        form = self.request.payload.datalist
        try:
            if requested_type(form) == ID_JAG:  # the identity assertion grant's exchange
                self.minting = self._id_jag(client, IdJagRequest.parse(form))
                self.request.client = client
                return
            asked = ExchangeRequest.parse(form)
        except ExchangeRefused as refused:
            raise _Refusal(refused.error, refused.description) from refused
        self._exchange(client, asked)

    def _exchange(self, client: Client, asked: ExchangeRequest) -> None:
        """RFC 8693's exchange of a person's access token for another resource's."""
        config: OAuthConfig = self.server.config
        allowed = client.client.resources
        if unusable_resource(asked.target, config.forbidden_audiences) or (
            asked.target not in allowed
        ):
            raise InvalidTargetError(TARGET_NOT_ALLOWED)
        not_for_org = org_refusal(asked.target, client)
        if not_for_org is not None:
            raise InvalidTargetError(not_for_org)
        state = (
            services()
            .of(ProviderServices)
            .introspection.token_state(InspectToken(asked.subject_token))
        )
        if state is None or state.kind != "access_token" or not state.live:
            raise _Refusal("invalid_grant", NOT_LIVE)
        claims = state.claims
        if not isinstance(claims.get(GRANT_CLAIM), str):
            raise _Refusal("invalid_grant", NOT_A_PERSONS)
        if not issued_for(claims.get("aud"), client.get_client_id(), allowed):
            raise _Refusal("invalid_grant", NOT_ISSUED_FOR_IT)
        if client.client.org_id is not None and not _consented(claims, client, asked.target):
            raise _Refusal("invalid_grant", NOT_CONSENTED)
        # an app for its org's members only; the org the subject token acts in allowing it
        org_id = claims.get("org_id") if isinstance(claims.get("org_id"), str) else None
        person = Admission(client.client, str(claims.get("sub", "")), org_id=org_id)
        not_admitted = services().of(ProviderServices).accounts.refusal(person)
        if not_admitted is not None:
            raise _Refusal("invalid_grant", REFUSALS[not_admitted])
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
        check_acr(asked.target, claims.get("acr"))  # the subject's sign-in, as for a grant
        if bound_key(claims) is not None and client.dpop is None:  # RFC 9449: kept bound
            raise InvalidDpopProofError(BOUND_SUBJECT)
        self.request.client = client
        self.exchange = (claims, asked.target, scope, delegation)

    def _id_jag(self, client: Client, asked: IdJagRequest) -> MintIdJag:
        """The draft's processing rules (§4.3.1) as firegate applies them: a registered API
        resource the client may have, the audience its authorization server's issuer; an ID
        token of ours issued to the client, of an enabled account, naming an org the person
        is still a member of, whose agent policy names the client (``AgentPolicy.lists``);
        the resource's scopes the client is allowed and the person's permissions in the org
        allow (docs/decisions/0550-minting-id-jags.md)."""
        config: OAuthConfig = self.server.config
        catalogue = services().of(ClientServices).resources.resource_catalogue()
        resource = catalogue.find(asked.resource)
        if (
            resource is None
            or unusable_resource(asked.resource, config.forbidden_audiences)
            or not client.client.allows_resource(asked.resource)
            or org_refusal(asked.resource, client) is not None
        ):
            raise InvalidTargetError(NOT_A_RESOURCE)
        if asked.audience != resource.audience(config.issuer):
            raise InvalidTargetError(NOT_ITS_ISSUER)
        found = (
            services()
            .of(ProviderServices)
            .introspection.id_token(InspectToken(asked.subject_token))
        )
        if found is None:
            raise ExchangeRefused("invalid_grant", NOT_AN_ID_TOKEN)
        subject, holding = found.claims, found.holding
        if not id_token_for(subject, client.get_client_id()):
            raise ExchangeRefused("invalid_grant", NOT_ITS_ID_TOKEN)
        if holding is None or holding.grant.client_id != client.get_client_id():
            raise ExchangeRefused("invalid_grant", SIGN_IN_ENDED)
        person, grant = holding.account.id, holding.grant
        amr = methods(subject.get("amr"))
        check_acr(asked.resource, acr_of(amr))  # the sign-in's class, as for any grant
        org = org_of(person, subject.get("org_id"))
        if org is None:
            raise ExchangeRefused("invalid_grant", NO_ORG)
        if not org.agents.lists(client.client.hosts()):
            raise ExchangeRefused("invalid_grant", NOT_NAMED)
        if asked.scope is not None:
            if any(name in SCOPES for name in asked.scope):
                raise ExchangeRefused("invalid_scope", RESOURCE_SCOPES_ONLY)
            check_resource_scopes(" ".join(asked.scope), asked.resource, client)
        wanted = asked.scope if asked.scope is not None else resource.scope_names
        scope = scope_list(token_scope(" ".join(wanted), asked.resource, client, org))
        if not scope:
            raise ExchangeRefused("invalid_scope", NO_SCOPE_LEFT)
        auth_time = subject.get("auth_time")
        return MintIdJag(
            client_id=client.get_client_id(),
            subject=person,
            audience=asked.audience,
            resource=asked.resource,
            scope=scope,
            org_id=org.id,
            amr=amr,
            auth_time=auth_time if isinstance(auth_time, int) else None,
            # read again when firegate redeems it; no other server could
            grant_id=grant.id if asked.audience == config.issuer else None,
            acting_admin_id=grant.acting_admin_id,
            acting_until=grant.acting_until,
        )

    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        if self.minting is not None:
            granted = services().of(ProviderServices).minting.mint_id_jag(self.minting)
            answered = id_jag_answer(granted.token, granted.expires_in, self.minting.scope)
            return 200, answered, self.TOKEN_RESPONSE_HEADER
        subject, target, scope, delegation = self.exchange
        proof = self.request.client.dpop
        minted = (
            services()
            .of(ProviderServices)
            .minting.mint_exchanged_token(
                MintExchangedToken(
                    client_id=self.request.client.get_client_id(),
                    subject=subject,
                    target=target,
                    scope=scope,
                    jkt=proof.jkt if proof is not None else None,
                    delegation=delegation,
                    client_org_id=self.request.client.client.org_id,
                )
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
