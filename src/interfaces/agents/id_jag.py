"""The token exchange's ID-JAG (draft-ietf-oauth-identity-assertion-authz-grant §4.3), the
agents unit's requested token type (``REQUESTED_TOKEN_TYPES``, application/provider/slots.py):
the person's ID token firegate issued the client, for an identity assertion JWT authorization
grant to another resource's authorization server, minted by ``IdJagMint``
(application/agents/id_jag.py; docs/reference/oauth.md, "ID-JAG minting")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from application.agents.id_jag import IdJagMint, MintIdJag
from application.clients.services import ClientServices
from application.provider.services import ProviderServices
from application.provider.tokens import InspectToken
from domain.agents.id_jag import ID_JAG, IdJagRequest, id_jag_answer, id_token_for
from domain.clients.oauth import SCOPES, scope_list, unusable_resource
from domain.provider.token_exchange import ExchangeRefused
from domain.signin.acr import acr_of, methods
from interfaces.provider.server.grants.exchange import Answer, TokenExchangeGrant
from interfaces.provider.server.models.config import InvalidTargetError, OAuthConfig
from interfaces.provider.server.models.models import Client, org_of
from interfaces.provider.server.models.scopes import (
    check_acr,
    check_resource_scopes,
    org_refusal,
    token_scope,
)
from interfaces.shared.services import services

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


def _checked(config: OAuthConfig, client: Client, asked: IdJagRequest) -> MintIdJag:
    """The draft's processing rules (§4.3.1) as firegate applies them: a registered API
    resource the client may have, the audience its authorization server's issuer; an ID
    token of ours issued to the client, of an enabled account, naming an org the person
    is still a member of, whose agent policy names the client (``AgentPolicy.lists``);
    the resource's scopes the client is allowed and the person's permissions in the org
    allow (docs/decisions/0550-minting-id-jags.md)."""
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
        services().of(ProviderServices).introspection.id_token(InspectToken(asked.subject_token))
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


class IdJagExchange:
    """``requested_token_type`` id-jag: checked as the draft says (``_checked``), answered
    with the ID-JAG (§4.3.2); the metadata names it (§6)."""

    discovery: Mapping[str, Any] = {"identity_chaining_requested_token_types_supported": [ID_JAG]}

    def validate(
        self, grant: TokenExchangeGrant, client: Client, form: Mapping[str, Sequence[str]]
    ) -> Answer:
        minting = _checked(grant.server.config, client, IdJagRequest.parse(form))

        def answered() -> dict[str, Any]:
            mint = services().of(ProviderServices).units.part(IdJagMint)
            granted = mint.mint_id_jag(minting)
            return id_jag_answer(granted.token, granted.expires_in, minting.scope)

        return answered
