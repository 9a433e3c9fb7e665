"""The JWT bearer grant (RFC 7523 §2.1) at the token endpoint, for an ID-JAG
(draft-ietf-oauth-identity-assertion-authz-grant), which Authlib has not as such: an Authlib
grant whose rules are domain/agents/id_jag.py's and application/agents/id_jag.py's; the
access token made where every other grant's is (interfaces/provider/server/grants/grants.py,
``token_answer``; docs/reference/oauth.md, "ID-JAG"). The agents unit's grant of the token
endpoint (``TOKEN_GRANTS``, application/provider/slots.py): without the unit,
``unsupported_grant_type``."""

from __future__ import annotations

from typing import Any, ClassVar

from authlib.oauth2.rfc6749 import TokenEndpointMixin
from authlib.oauth2.rfc6749.errors import (
    InvalidGrantError,
    InvalidRequestError,
    UnauthorizedClientError,
)

from application.agents.id_jag import (
    JagRedemptions,
    RedeemJag,
    SpendJag,
    SpentJag,
    VouchedPerson,
)
from application.provider.claims import Admission
from application.provider.services import ProviderServices
from domain.agents.id_jag import JagRefused
from domain.clients.oauth import JWT_BEARER, scope_list, unusable_resource
from interfaces.provider.server.grants.grants import token_answer
from interfaces.provider.server.models.config import CONFIDENTIAL_AUTH, OAuthConfig
from interfaces.provider.server.models.models import NOT_A_MEMBER, Client, Subject
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


def _redemptions() -> JagRedemptions:
    """The ID-JAGs' redemptions, which the provider built for the unit on its internals."""
    return services().of(ProviderServices).units.part(JagRedemptions)


def _assertion(values: Any) -> str:
    found = list(values.get("assertion") or ())
    if len(found) != 1 or not found[0] or len(found[0]) > MAX_ASSERTION_CHARS:
        raise InvalidRequestError(ONE_ASSERTION)
    return str(found[0])


class JwtBearerGrant(ProofOfPossession, TokenEndpointMixin):  # type: ignore[misc]
    """An ID-JAG redeemed by the confidential client it names, once: an access token for the
    person its issuer vouches for, for its resource, with its scopes within the client's,
    and no refresh token, made where every grant's is (``token_answer``: the resource's
    ``min_acr`` against the sign-in's class, ``act`` and the end of a session of support
    access). With a DPoP proof the token is bound to its key."""

    GRANT_TYPE = JWT_BEARER
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = list(CONFIDENTIAL_AUTH)

    def validate_token_request(self) -> None:
        client: Client = self.authenticate_token_endpoint_client()
        if not client.check_grant_type(self.GRANT_TYPE):
            raise UnauthorizedClientError(NOT_ALLOWED)
        assertion = _assertion(self.request.payload.datalist)
        config: OAuthConfig = self.server.config
        try:
            vouched = _redemptions().vouched(RedeemJag(assertion, client.client))
        except JagRefused as refused:
            raise InvalidGrantError(refused.description) from refused
        resource = vouched.jag.resource
        if unusable_resource(resource, config.forbidden_audiences):
            raise InvalidGrantError(RESOURCE_REFUSED)
        person = Admission(client.client, vouched.user.id)
        if (
            not services().of(ProviderServices).accounts.admits(person)
        ):  # an app for its org's members only
            raise InvalidGrantError(NOT_A_MEMBER)
        asked = [name for name in vouched.jag.scope if name != "offline_access"]
        allowed = client.client.allowed_scope(tuple(asked)) if asked else ()
        self.request.client = client
        self.redeemed = (vouched, token_scope(" ".join(allowed), resource, client))

    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        vouched: VouchedPerson
        vouched, scope = self.redeemed
        client: Client = self.request.client
        redemptions = _redemptions()
        grant = redemptions.granted(SpendJag(vouched, client.get_client_id(), scope_list(scope)))
        subject = Subject(
            vouched.user,
            grant.id,
            vouched.auth_time,
            vouched.amr,
            resource=vouched.jag.resource,
            acting_admin_id=grant.acting_admin_id,
            acting_until=grant.acting_until,
        )
        token = token_answer(client, subject, scope)  # refused before the jti is spent
        try:
            redemptions.spend(SpentJag(vouched, grant))
        except JagRefused as refused:
            raise InvalidGrantError(refused.description) from refused
        proof = client.dpop
        if proof is not None:
            spend_token_proof(proof)
            token["token_type"] = "DPoP"
        return 200, token, self.TOKEN_RESPONSE_HEADER
