"""What the provider is configured with, and the metadata it publishes
(docs/reference/oauth.md, "Discovery")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from authlib.oauth2.rfc6749.errors import OAuth2Error

from application.provider.ports import DpopProofs, ProviderTokens
from domain.clients.client_keys import PRIVATE_KEY_JWT
from domain.clients.oauth import SCOPES
from domain.languages import LOCALES
from domain.provider.assertions import ASSERTION_ALGORITHMS
from domain.provider.claims_request import PROVIDER_CLAIMS
from domain.signin.acr import ACR_VALUES

PUBLIC_AUTH = ("none",)
SECRET_AUTH = ("client_secret_basic", "client_secret_post")
# a confidential client authenticates with its secret, or with an assertion signed by its key
CONFIDENTIAL_AUTH = (*SECRET_AUTH, PRIVATE_KEY_JWT)


@dataclass(frozen=True)
class OAuthConfig:
    issuer: str  # PUBLIC_URL
    keys: ProviderTokens  # the provider's public keys (JWKS), and its ID tokens' algorithm
    dynamic_registration: bool = False
    forbidden_audiences: tuple[str, ...] = ()  # firegate's own API's audience
    dpop: DpopProofs | None = None  # checks DPoP proofs (RFC 9449); None: DPoP is not offered
    dpop_nonce: bool = False  # every DPoP proof must carry the server's nonce (OAUTH_DPOP_NONCE)
    require_par: bool = (
        False  # every client's authorization requests are pushed (OAUTH_REQUIRE_PAR)
    )

    @property
    def public_jwks(self) -> list[dict[str, Any]]:
        """What /.well-known/jwks.json adds for the provider's tokens."""
        return self.keys.public_jwks()

    @property
    def id_token_alg(self) -> str:
        return self.keys.id_token_alg


class InvalidTargetError(OAuth2Error):  # type: ignore[misc]
    """RFC 8707 §2: the ``resource`` is not one firegate issues tokens for."""

    error = "invalid_target"


def metadata(
    config: OAuthConfig,
    grant_types: tuple[str, ...],
    resource_scopes: Sequence[str] = (),
    attribute_claims: Sequence[str] = (),
    clients: Mapping[str, object] | None = None,
    *,
    exchanges: Mapping[str, object] | None = None,
) -> dict[str, Any]:
    """OpenID Provider Metadata and RFC 8414 Authorization Server Metadata (one document);
    ``grant_types``: the token endpoint's, as the server registered them;
    ``resource_scopes``: the registered API resources'; ``attribute_claims``: the profile
    attributes released as claims; ``clients``: what the units' resolvers of clients say of
    theirs (the agents': ``client_id_metadata_document_supported``); ``exchanges``: what the
    units' requested token types of the token exchange say of theirs (the agents':
    ``identity_chaining_requested_token_types_supported``) (docs/reference/oauth.md)."""
    base = config.issuer
    found: dict[str, Any] = {
        "issuer": base,
        "authorization_endpoint": f"{base}/oauth/authorize",
        "token_endpoint": f"{base}/oauth/token",
        "userinfo_endpoint": f"{base}/oauth/userinfo",
        "jwks_uri": f"{base}/.well-known/jwks.json",
        "revocation_endpoint": f"{base}/oauth/revoke",
        "introspection_endpoint": f"{base}/oauth/introspect",
        "end_session_endpoint": f"{base}/oauth/logout",
        "device_authorization_endpoint": f"{base}/oauth/device_authorization",
        "pushed_authorization_request_endpoint": f"{base}/oauth/par",
        "require_pushed_authorization_requests": config.require_par,
        "scopes_supported": [*SCOPES, *resource_scopes],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": list(grant_types),
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [config.id_token_alg],
        "token_endpoint_auth_methods_supported": [*CONFIDENTIAL_AUTH, *PUBLIC_AUTH],
        "revocation_endpoint_auth_methods_supported": [*CONFIDENTIAL_AUTH, *PUBLIC_AUTH],
        "introspection_endpoint_auth_methods_supported": list(CONFIDENTIAL_AUTH),
        # private_key_jwt's algorithms, at each endpoint that takes it (RFC 8414 §2)
        "token_endpoint_auth_signing_alg_values_supported": list(ASSERTION_ALGORITHMS),
        "revocation_endpoint_auth_signing_alg_values_supported": list(ASSERTION_ALGORITHMS),
        "introspection_endpoint_auth_signing_alg_values_supported": list(ASSERTION_ALGORITHMS),
        "code_challenge_methods_supported": ["S256"],
        "prompt_values_supported": ["none", "login", "consent"],
        "claims_supported": [*PROVIDER_CLAIMS, *attribute_claims],
        # the classes of a sign-in, weakest first (docs/reference/acr.md)
        "acr_values_supported": list(ACR_VALUES),
        "authorization_response_iss_parameter_supported": True,
        "resource_indicators_supported": True,
        # OpenID Connect Discovery §3, for what the Basic OP plan asks (docs/conformance.md):
        # the ``claims`` parameter is taken, request objects are not (request_not_supported)
        "claims_parameter_supported": True,
        "claim_types_supported": ["normal"],
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "display_values_supported": ["page", "popup", "touch"],
        # the pages' languages (``ui_locales``); claims are the person's own words, in no
        # language of firegate's, so ``claims_locales`` is accepted and changes nothing
        "ui_locales_supported": list(LOCALES),
        # Back-Channel Logout 1.0 §2.1: logout tokens to clients that register a URI, with
        # ``sid`` where the session is known
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
    }
    found.update(clients or {})
    found.update(exchanges or {})
    if config.dpop is not None:
        found["dpop_signing_alg_values_supported"] = list(config.dpop.algorithms)
    if config.dynamic_registration:
        found["registration_endpoint"] = f"{base}/oauth/register"
    return found
