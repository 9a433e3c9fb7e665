"""The JWT bearer grant (RFC 7523 §2.1) at the token endpoint, for an ID-JAG
(draft-ietf-oauth-identity-assertion-authz-grant), which Authlib has not as such: an Authlib
grant whose rules are domain/provider/id_jag.py's and application/provider/id_jag.py's; the
access token minted with the provider's other tokens (application/provider/minting.py;
docs/reference/oauth.md, "ID-JAG")."""

from __future__ import annotations

from typing import Any, ClassVar

from authlib.oauth2.rfc6749 import TokenEndpointMixin
from authlib.oauth2.rfc6749.errors import (
    InvalidGrantError,
    InvalidRequestError,
    UnauthorizedClientError,
)

from application.provider.claims import Admission
from application.provider.id_jag import RedeemJag, SpendJag, VouchedPerson
from application.provider.minting import MintAccessToken
from domain.clients.oauth import JWT_BEARER, unusable_resource
from domain.provider.id_jag import JagRefused
from interfaces.provider.server.models.config import CONFIDENTIAL_AUTH, OAuthConfig
from interfaces.provider.server.models.models import NOT_A_MEMBER, Client
from interfaces.provider.server.models.proofs import ProofOfPossession, spend_token_proof
from interfaces.provider.server.models.scopes import token_scope
from interfaces.shared.services import services

NOT_ALLOWED = (
    "This client may not redeem ID-JAGs: it is allowed with "
    "'clients create --confidential --grant jwt_bearer'."
)
ONE_ASSERTION = "Send one 'assertion': the ID-JAG."
RESOURCE_REFUSED = "The ID-JAG's resource is not one this server issues tokens for."
MAX_ASSERTION_CHARS = 16384


def _assertion(values: Any) -> str:
    found = list(values.get("assertion") or ())
    if len(found) != 1 or not found[0] or len(found[0]) > MAX_ASSERTION_CHARS:
        raise InvalidRequestError(ONE_ASSERTION)
    return str(found[0])


class JwtBearerGrant(ProofOfPossession, TokenEndpointMixin):  # type: ignore[misc]
    """An ID-JAG redeemed by the confidential client it names, once: an access token for the
    person its issuer vouches for, for its resource, with its scopes within the client's,
    and no refresh token. With a DPoP proof the token is bound to its key."""

    GRANT_TYPE = JWT_BEARER
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = list(CONFIDENTIAL_AUTH)

    def validate_token_request(self) -> None:
        client: Client = self.authenticate_token_endpoint_client()
        if not client.check_grant_type(self.GRANT_TYPE):
            raise UnauthorizedClientError(NOT_ALLOWED)
        assertion = _assertion(self.request.payload.datalist)
        config: OAuthConfig = self.server.config
        try:
            vouched = services().provider.id_jag.vouched(RedeemJag(assertion, client.client))
        except JagRefused as refused:
            raise InvalidGrantError(refused.description) from refused
        resource = vouched.jag.resource
        if unusable_resource(resource, config.forbidden_audiences):
            raise InvalidGrantError(RESOURCE_REFUSED)
        person = Admission(client.client, vouched.user.id)
        if not services().provider.accounts.admits(person):  # an app for its org's members only
            raise InvalidGrantError(NOT_A_MEMBER)
        asked = [name for name in vouched.jag.scope if name != "offline_access"]
        allowed = client.client.allowed_scope(tuple(asked)) if asked else ()
        self.request.client = client
        self.redeemed = (vouched, token_scope(" ".join(allowed), resource, client))

    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        vouched: VouchedPerson
        vouched, scope = self.redeemed
        client: Client = self.request.client
        proof = client.dpop
        try:
            grant_id = services().provider.id_jag.spend(
                SpendJag(vouched, client.get_client_id(), tuple(scope.split()))
            )
        except JagRefused as refused:
            raise InvalidGrantError(refused.description) from refused
        minted = services().provider.minting.mint_access_token(
            MintAccessToken(
                client_id=client.get_client_id(),
                scope=scope,
                user_id=vouched.user.id,
                grant_id=grant_id,
                resource=vouched.jag.resource,
                jkt=proof.jkt if proof is not None else None,
                user=vouched.user,
            )
        )
        if proof is not None:
            spend_token_proof(proof)
        token: dict[str, Any] = {
            "access_token": minted.token,
            "token_type": "DPoP" if proof is not None else "Bearer",
            "expires_in": minted.expires_in,
        }
        if scope:
            token["scope"] = scope
        return 200, token, self.TOKEN_RESPONSE_HEADER
