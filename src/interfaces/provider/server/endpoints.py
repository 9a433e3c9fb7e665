"""The endpoints Authlib answers beside the token endpoint: revocation, introspection,
userinfo, registration, logout (docs/reference/oauth.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from authlib.integrations.flask_oauth2 import ResourceProtector
from authlib.oauth2.base import invalid_error_characters
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc6750.errors import InvalidTokenError
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7591 import ClientRegistrationEndpoint
from authlib.oauth2.rfc7591.errors import InvalidClientMetadataError
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from authlib.oauth2.rfc9207 import IssuerParameter
from authlib.oidc.core import UserInfo, UserInfoEndpoint
from authlib.oidc.rpinitiated import EndSessionEndpoint
from flask import request
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, KeySetSerialization

from application.accounts.services import AccountServices
from application.clients.clients import CreateClient, new_client_id
from application.clients.services import ClientServices
from application.provider.grants import RevokeClientToken, RevokeGrant
from application.provider.minting import HOOK_CLAIMS
from application.provider.services import ProviderServices
from application.provider.tokens import GRANT_CLAIM
from domain.clients.oauth import may_introspect, scope_list
from domain.errors import DomainError
from domain.provider.token_exchange import exchanged
from domain.signin.claims.sources import Minting
from interfaces.provider.server.models.config import (
    CONFIDENTIAL_AUTH,
    PUBLIC_AUTH,
    OAuthConfig,
    metadata,
)
from interfaces.provider.server.models.models import AccessToken, Client, Subject, user_info
from interfaces.provider.server.models.proofs import bound_token_refusal, resource_proof
from interfaces.shared.services import services


class _AnyHint:
    """RFC 7662 §2.1 and RFC 7009 §2.1: ``token_type_hint`` only helps the search, and every
    kind of token is searched whatever it says, so a hint of another value is ignored rather
    than refused (Authlib refuses it, as a 401)."""

    def check_params(self, oauth_request: Any, client: Client) -> None:
        if "token" not in oauth_request.form:
            raise InvalidRequestError(description="The token to look at is missing (token).")


class Revocation(_AnyHint, RevocationEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS: ClassVar[list[str]] = [*CONFIDENTIAL_AUTH, *PUBLIC_AUTH]

    def query_token(self, token_string: str, token_type_hint: str | None) -> AccessToken | None:
        return AccessToken.of(token_string)

    def revoke_token(self, token: AccessToken, oauth_request: Any) -> None:
        claims = token.claims
        grant_id = claims.get(GRANT_CLAIM)
        client_id = oauth_request.client.get_client_id()
        if isinstance(grant_id, str) and not exchanged(claims):
            services().of(ProviderServices).grants.revoke_grant(RevokeGrant(grant_id, client_id))
            return
        # a client's own token, or one from an exchange (its grant is the subject's, which
        # another client may hold): only itself to end, by its jti
        services().of(ProviderServices).grants.revoke_client_token(
            RevokeClientToken(
                jti=str(claims.get("jti", "")),
                token_client_id=str(claims.get("client_id", "")),
                client_id=client_id,
                expires_at=datetime.fromtimestamp(int(claims.get("exp", 0)), UTC),
            )
        )


class Introspection(_AnyHint, IntrospectionEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS: ClassVar[list[str]] = list(CONFIDENTIAL_AUTH)

    def __init__(self, issuer: str) -> None:
        super().__init__()
        self.issuer = issuer

    def query_token(self, token_string: str, token_type_hint: str | None) -> AccessToken | None:
        return AccessToken.of(token_string)

    def check_permission(self, token: AccessToken, client: Client, oauth_request: Any) -> bool:
        claims = token.claims  # the rule: domain.clients.oauth.may_introspect
        return may_introspect(
            client.client,
            issued_to=claims.get("client_id"),
            kind=token.kind,
            audience=claims.get("aud"),
        )

    def introspect_token(self, token: AccessToken) -> dict[str, Any]:
        claims = token.claims
        answer = {
            "active": True,
            "token_type": token.kind,
            "client_id": claims.get("client_id"),
            "scope": claims.get("scope"),
            "sub": claims.get("sub"),
            "iss": self.issuer,
        }
        # cnf: a DPoP-bound token's key (RFC 9449 §6.2), for the resource server to check;
        # org_id: the org it acts in (an org's client's own token, or scope organization's)
        for name in ("aud", "exp", "iat", "jti", "auth_time", "cnf", "org_id"):
            if name in claims:
                answer[name] = claims[name]
        # the units' claims introspection answers (the sign-in's class, who acts: RFC 8693)
        sources = services().of(ProviderServices).minting.claims
        answer.update(sources.claims(Minting(kind="introspection", token=claims)))
        # the claims a hook added (before_token, credentials_exchange), under ours
        # (docs/decisions/0580-credentials-exchange.md)
        named = claims.get(HOOK_CLAIMS)
        added = [n for n in named if isinstance(n, str)] if isinstance(named, list) else []
        return {**{n: claims[n] for n in added if n in claims}, **answer}


class UserInfoValidator(BearerTokenValidator):  # type: ignore[misc]
    """``Authorization: Bearer``: an access token of ours that is not DPoP-bound."""

    def __init__(self, config: OAuthConfig) -> None:
        super().__init__()
        self.config = config

    def authenticate_token(self, token_string: str) -> AccessToken | None:
        token = AccessToken.of(token_string)
        if token is None or token.kind != "access_token":
            raise InvalidTokenError()
        if "cnf" in token.claims:
            raise bound_token_refusal(self.config)
        return token


class DpopUserInfoValidator(UserInfoValidator):
    """``Authorization: DPoP`` (RFC 9449 §7): a DPoP-bound access token with a proof of its
    key for this request, used once."""

    TOKEN_TYPE = "dpop"

    def authenticate_token(self, token_string: str) -> AccessToken | None:
        token = AccessToken.of(token_string)
        if token is None or token.kind != "access_token":
            raise InvalidTokenError()
        resource_proof(self.config, token_string, token.claims)
        return token


class UserInfoProtector(ResourceProtector):  # type: ignore[misc]
    """Userinfo's token from the ``Authorization`` header, or (RFC 6750 §2.2, OpenID Connect
    Core §5.3.1) as ``access_token`` in a form-encoded POST body: a bearer token either way.
    Both at once, or the parameter twice, is ``invalid_request``."""

    def parse_request_authorization(self, oauth_request: Any) -> tuple[Any, str]:
        posted = (
            request.method == "POST"
            and request.mimetype == "application/x-www-form-urlencoded"
            and "access_token" in request.form
        )
        if not posted:
            found: tuple[Any, str] = super().parse_request_authorization(oauth_request)
            return found
        if "Authorization" in request.headers or len(request.form.getlist("access_token")) > 1:
            raise InvalidRequestError(
                "Send the access token once: in the Authorization header or in the body."
            )
        return self.get_token_validator("bearer"), request.form["access_token"]


class UserInfoClaims(UserInfoEndpoint):  # type: ignore[misc]
    def get_issuer(self) -> str:
        return self.server.config.issuer  # type: ignore[no-any-return]

    def generate_user_info(self, user: Subject | None, scope: str) -> UserInfo:
        return user_info(user, scope)


# The grants a client registered here (public, PKCE) can use: client_credentials, which the
# server supports, is for confidential clients only. Authlib refuses the rest itself.
PUBLIC_GRANT_TYPES = frozenset({"authorization_code", "refresh_token"})


class Registration(ClientRegistrationEndpoint):  # type: ignore[misc]
    """RFC 7591 for public clients only (``token_endpoint_auth_method`` ``none``)."""

    def authenticate_token(self, oauth_request: Any) -> bool:
        return True  # open registration of public clients, when switched on

    def resolve_public_key(self, oauth_request: Any) -> None:
        return None

    def get_server_metadata(self) -> dict[str, Any]:
        resource_scopes = services().of(ClientServices).resources.resource_catalogue().scope_names()
        attribute_claims = services().of(AccountServices).profile_schemas.claim_names()
        return metadata(
            self.server.config,
            self.server.grant_types,
            resource_scopes,
            attribute_claims,
            services().of(ClientServices).resolvers.discovery(),
        )

    def generate_client_secret(self, oauth_request: Any) -> None:
        return None

    def generate_client_id(self, oauth_request: Any) -> str:
        return new_client_id()

    def save_client(
        self, client_info: dict[str, Any], client_metadata: dict[str, Any], oauth_request: Any
    ) -> Client:
        if client_metadata.get("token_endpoint_auth_method", "none") != "none":
            raise InvalidClientMetadataError("Only public clients register here: use 'none'.")
        bound = oauth_request.payload.data.get("dpop_bound_access_tokens", False)
        if not isinstance(bound, bool):  # RFC 9449 §5.2: a boolean
            raise InvalidClientMetadataError("dpop_bound_access_tokens must be true or false.")
        pushed = oauth_request.payload.data.get("require_pushed_authorization_requests", False)
        if not isinstance(pushed, bool):  # RFC 9126 §6: a boolean
            raise InvalidClientMetadataError(
                "require_pushed_authorization_requests must be true or false."
            )
        data = oauth_request.payload.data
        logout_uri = data.get("backchannel_logout_uri")
        session_required = data.get("backchannel_logout_session_required", False)
        if logout_uri is not None and not isinstance(logout_uri, str):
            raise InvalidClientMetadataError("backchannel_logout_uri must be a string.")
        if not isinstance(session_required, bool):  # Back-Channel Logout 1.0 §2.2
            raise InvalidClientMetadataError(
                "backchannel_logout_session_required must be true or false."
            )
        unusable = set(client_metadata.get("grant_types") or ()) - PUBLIC_GRANT_TYPES
        if unusable:  # RFC 7591 §2.1: metadata that cannot work together are refused
            raise InvalidClientMetadataError(
                f"A public client cannot use {', '.join(sorted(unusable))}: only "
                "authorization_code and refresh_token."
            )
        try:
            created = (
                services()
                .of(ClientServices)
                .clients.create_client(
                    CreateClient(
                        name=str(client_metadata.get("client_name") or "unnamed app"),
                        redirect_uris=tuple(client_metadata.get("redirect_uris") or ()),
                        scopes=scope_list(client_metadata.get("scope")),
                        post_logout_redirect_uris=tuple(
                            oauth_request.payload.data.get("post_logout_redirect_uris") or ()
                        ),
                        dynamic=True,
                        client_id=client_info["client_id"],
                        dpop_bound_access_tokens=bound,
                        par_required=pushed,
                        backchannel_logout_uri=logout_uri or None,
                        backchannel_logout_session_required=session_required,
                    )
                )
            )
        except DomainError as exc:
            raise InvalidClientMetadataError(exc.detail) from exc
        client_info.pop("client_secret", None)
        client_info.pop("client_secret_expires_at", None)
        return Client(created.client)

    def generate_client_registration_info(
        self, client: Client, oauth_request: Any
    ) -> dict[str, Any]:
        registered = client.client
        logout = (
            {
                "backchannel_logout_uri": registered.backchannel_logout_uri,
                "backchannel_logout_session_required": (
                    registered.backchannel_logout_session_required
                ),
            }
            if registered.backchannel_logout_uri is not None
            else {}
        )
        return {
            "dpop_bound_access_tokens": registered.dpop_bound_access_tokens,
            "require_pushed_authorization_requests": registered.par_required,
            **logout,
        }

    def generate_client_info(self, oauth_request: Any) -> dict[str, Any]:
        info: dict[str, Any] = super().generate_client_info(oauth_request)
        info.pop("client_secret", None)
        info.pop("client_secret_expires_at", None)
        return info


class EndSession(EndSessionEndpoint):  # type: ignore[misc]
    def __init__(self, config: OAuthConfig) -> None:
        super().__init__()
        self.config = config

    def get_server_jwks(self) -> KeySetSerialization:
        return {"keys": self.config.public_jwks}

    def get_algorithms(self) -> list[str]:
        return [self.config.id_token_alg]  # the hint is an ID token

    def is_post_logout_redirect_uri_legitimate(self, *args: Any) -> bool:
        return False  # only with an id_token_hint

    def validate_request(self, oauth_request: Any) -> Any:
        """Authlib's checks, after the hint's own (``checked_hint``); and a
        ``post_logout_redirect_uri`` that is not registered for the hint's client is refused
        (an error page, no sign-out), as an unregistered redirect URI is at the authorization
        endpoint: the app sent something wrong, and signing out without going back would
        leave it guessing (docs/decisions/0417-an-unregistered-post-logout-uri-is-refused.md)."""
        hint = oauth_request.payload.data.get("id_token_hint")
        if hint:
            self.checked_hint(hint)
        ending = super().validate_request(oauth_request)
        asked = oauth_request.payload.data.get("post_logout_redirect_uri")
        if asked and ending.id_token_claims is not None and ending.redirect_uri is None:
            raise InvalidRequestError(
                "The post_logout_redirect_uri is not registered for this client."
            )
        return ending

    def end_session(self, end_session_request: Any) -> None:
        pass  # the route ends the browser's session (it holds the cookies)

    def checked_hint(self, hint: str) -> dict[str, Any]:
        """The claims of an ``id_token_hint`` this provider signed with its ID-token key,
        expired or not, as Authlib's logout reads it; whatever else a forged hint makes the
        libraries raise (a refusal quoting characters RFC 6749 forbids in one, a ``crit``
        header naming an object: each a 500 otherwise) is the refusal, saying less."""
        refusal = "The id_token_hint is not an ID token this server issued."
        try:
            keys = KeySet.import_key_set(self.get_server_jwks())
            token = jwt.decode(hint, keys, algorithms=self.get_algorithms())
        except JoseError as exc:  # said as Authlib says it, where the words may be said
            said = exc.description or ""
            raise InvalidRequestError(
                refusal if not said or invalid_error_characters(said) else said
            ) from None
        except Exception:  # a forged token, pure decoding: no I/O to mistake for it
            raise InvalidRequestError(refusal) from None
        return dict(token.claims)

    def hinted_subject(self, hint: str, client_id: str, redirect_uri: str, state: Any) -> str:
        """An authorization request's ``id_token_hint`` (OpenID Connect Core §3.1.2.1): the
        ``sub`` of an ID token this server issued to ``client_id``, checked as logout checks
        its hint (signed by the provider's ID-token key, expired or not). Anything else is
        ``invalid_request``, back to the client."""
        refusal = "The id_token_hint is not an ID token this server issued to the client."
        try:
            claims = self.checked_hint(hint)
        except InvalidRequestError:
            claims = {}
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        subject = claims.get("sub")
        if (
            claims.get("iss") != self.config.issuer
            or client_id not in audiences
            or not isinstance(subject, str)
        ):
            raise InvalidRequestError(refusal, redirect_uri=redirect_uri, state=state)
        return subject


class Issuer(IssuerParameter):  # type: ignore[misc]
    def __init__(self, issuer: str) -> None:
        self.issuer = issuer

    def get_issuer(self) -> str:
        return self.issuer
