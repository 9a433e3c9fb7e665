"""Token exchange (RFC 8693) at the token endpoint, which Authlib has not: an Authlib grant
whose rules are domain/provider/token_exchange.py's; the subject token is read as
introspection reads it, and the exchanged one minted with the provider's other tokens
(application/provider/minting.py; docs/reference/oauth.md, "Token exchange"). The other
requested token types and the actor tokens are the units' (``RequestedType``, ``ActorType``:
the provider's slots, application/provider/slots.py), handed to it by the server."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, Protocol

from authlib.oauth2.rfc6749 import TokenEndpointMixin
from authlib.oauth2.rfc6749.errors import OAuth2Error, UnauthorizedClientError

from application.provider.authorization.consent import ConsentQuery
from application.provider.claims import Admission
from application.provider.minting import MintExchangedToken
from application.provider.services import ProviderServices
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
    issued_for,
    narrowed_scope,
    requested_type,
)
from interfaces.provider.server.models.config import (
    CONFIDENTIAL_AUTH,
    InvalidTargetError,
    OAuthConfig,
)
from interfaces.provider.server.models.models import REFUSALS, Client
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
BOUND_SUBJECT = (
    "The subject token is DPoP-bound: exchanging it needs a DPoP proof of the exchanging "
    "client's own key, to which the new token is bound."
)


# What answers a requested token type a unit serves: it checks the request (raising an
# ``OAuth2Error`` or ``ExchangeRefused``) and gives what makes the answer once it passed.
type Answer = Callable[[], dict[str, Any]]


class RequestedType(Protocol):
    """A ``requested_token_type`` a unit serves (``REQUESTED_TOKEN_TYPES``), and what the
    metadata says of it."""

    @property
    def discovery(self) -> Mapping[str, Any]: ...

    def validate(
        self, grant: TokenExchangeGrant, client: Client, form: Mapping[str, Sequence[str]]
    ) -> Answer: ...


class ActorType(Protocol):
    """An ``actor_token_type`` a unit takes (``ACTOR_TOKEN_TYPES``): who its token says acts
    for the subject's person, and the person's grant to it (``ExchangeRefused`` else)."""

    def actor(self, actor_token: str, subject: Mapping[str, Any]) -> tuple[str, str]: ...


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


def _delegation(
    asked: ExchangeRequest,
    subject: dict[str, Any],
    client_id: str,
    issuer: str,
    actors: Mapping[str, ActorType],
) -> Delegation:
    """Who acts in the exchanged token: the one its ``actor_token`` names, by the handler of
    its type, else the client."""
    actor_id: str = client_id
    agent_grant: str | None = None
    try:
        if asked.actor_token is not None:  # delegation: a unit's actor acts, not the client
            kind = actors[str(asked.actor_token_type)]  # parsed as one of them
            actor_id, agent_grant = kind.actor(asked.actor_token, subject)
        return delegated(subject, actor_id, issuer, agent_grant)
    except ExchangeRefused as refused:
        raise _Refusal(refused.error, refused.description) from refused


class TokenExchangeGrant(ProofOfPossession, TokenEndpointMixin):  # type: ignore[misc]
    """RFC 8693 for confidential clients that opted in: a person's access token issued for
    the client, for one at another of the client's resources, no wider, with ``act`` (the
    client, or whom an ``actor_token`` of a type a unit takes names, within at most three
    actors, as the subject's ``may_act`` allows), never outliving the subject token. With a
    DPoP proof (RFC 9449 §5; required of a client registered so, and for a DPoP-bound subject token)
    the token is bound to its key."""

    GRANT_TYPE = GRANT_TYPE
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = list(CONFIDENTIAL_AUTH)

    answered: Answer | None = None  # a unit's requested token type's, once checked

    def validate_token_request(self) -> None:
        client: Client = self.authenticate_token_endpoint_client()
        if not client.check_grant_type(self.GRANT_TYPE):
            raise UnauthorizedClientError(NOT_ALLOWED)
        form = self.request.payload.datalist
        requested: Mapping[str, RequestedType] = self.server.requested_types
        actors: Mapping[str, ActorType] = self.server.actor_types
        try:
            kind = requested.get(requested_type(form) or "")
            if kind is not None:  # a unit's (the agents' ID-JAG)
                self.answered = kind.validate(self, client, form)
                self.request.client = client
                return
            asked = ExchangeRequest.parse(
                form, requested_types=tuple(requested), actor_types=tuple(actors)
            )
        except ExchangeRefused as refused:
            raise _Refusal(refused.error, refused.description) from refused
        self._exchange(client, asked, actors)

    def _exchange(
        self, client: Client, asked: ExchangeRequest, actors: Mapping[str, ActorType]
    ) -> None:
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
        delegation = _delegation(asked, claims, client.get_client_id(), config.issuer, actors)
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

    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        if self.answered is not None:
            return 200, self.answered(), self.TOKEN_RESPONSE_HEADER
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
